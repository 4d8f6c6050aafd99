import { existsSync, readFileSync } from 'node:fs';
import { type DefaultTheme, defineConfig } from 'vitepress';

// TypeDoc writes the API pages and their sidebar before the site builds (`npm run docs:build`);
// without them (a bare `vitepress dev`) the guides still work and the API section is empty.
const apiSidebarFile = new URL('../api/typedoc-sidebar.json', import.meta.url);
const apiSidebar: DefaultTheme.SidebarItem[] = existsSync(apiSidebarFile)
  ? JSON.parse(readFileSync(apiSidebarFile, 'utf8'))
  : [];

const guides: DefaultTheme.SidebarItem[] = [
  { text: 'Getting started', link: '/guide/getting-started' },
  { text: 'Aggregates and commands', link: '/guide/aggregates' },
  { text: 'Projections', link: '/guide/projections' },
  { text: 'Process managers', link: '/guide/process-managers' },
  { text: 'Listeners and dead letters', link: '/guide/listeners' },
  { text: 'Subscriptions', link: '/guide/subscriptions' },
  { text: 'Testing', link: '/guide/testing' },
  { text: 'Storage and deployment', link: '/guide/storage-and-deployment' },
  { text: 'Evolving events', link: '/guide/evolving-events' },
  { text: 'Personal data (GDPR)', link: '/guide/personal-data' },
  { text: 'Storage growth', link: '/guide/storage-growth' },
];

const migrating: DefaultTheme.SidebarItem[] = [
  { text: 'From Emmett', link: '/guide/migrating-from-emmett' },
  { text: 'From @requence/event-sourcing', link: '/guide/migrating-from-requence' },
];

// biome-ignore lint/style/noDefaultExport: VitePress loads its configuration from the default export
export default defineConfig({
  title: 'Hindsight',
  description: 'Event sourcing for TypeScript, typed end to end.',
  cleanUrls: true,
  lastUpdated: false,
  // Pages are linked from the README and the packages; a dead link is a build failure.
  ignoreDeadLinks: false,
  srcExclude: ['**/node_modules/**', 'README.md'],
  themeConfig: {
    nav: [
      { text: 'Guide', link: '/guide/getting-started' },
      { text: 'Error codes', link: '/reference/errors' },
      { text: 'API', link: '/api/' },
    ],
    sidebar: {
      '/guide/': [
        { text: 'Guide', items: guides },
        { text: 'Migrating', items: migrating },
        { text: 'Reference', items: [{ text: 'Error codes', link: '/reference/errors' }] },
      ],
      '/reference/': [
        {
          text: 'Reference',
          items: [
            { text: 'Error codes', link: '/reference/errors' },
            { text: 'API', link: '/api/' },
          ],
        },
        { text: 'Guide', items: guides },
      ],
      '/api/': [{ text: 'API reference', link: '/api/', items: apiSidebar }],
    },
    outline: [2, 3],
    search: { provider: 'local' },
    docFooter: { prev: 'Previous', next: 'Next' },
  },
});
