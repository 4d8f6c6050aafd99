// Code blocks announced by `<!-- snippet: path#region -->` in the README and in docs/**/*.md are
// copies of that region of a checked file (between `// #region name` and `// #endregion name`,
// dedented). This rewrites them from their files; with --check it changes nothing and fails,
// naming each block, when one has drifted, a region is missing, or a guide's snippet file has a
// region no page shows.
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const check = process.argv.includes('--check');
// Files whose every region must appear on some page: the guides' snippet sources.
const snippetSources = 'examples/guides/src';

/** Markdown files that may carry snippets: the README and the site's pages (not generated ones). */
function pages() {
  const found = ['README.md'];
  const walk = (folder) => {
    for (const entry of readdirSync(join(root, folder), { withFileTypes: true })) {
      const path = join(folder, entry.name);
      if (entry.isDirectory()) {
        if (!['node_modules', 'api', '.vitepress'].includes(entry.name)) walk(path);
      } else if (entry.name.endsWith('.md')) found.push(path);
    }
  };
  walk('docs');
  return found;
}

function regionsOf(path) {
  const source = readFileSync(join(root, path), 'utf8');
  return [...source.matchAll(/\/\/ #region (\S+)\n/g)].map((match) => match[1]);
}

function region(path, name) {
  const source = readFileSync(join(root, path), 'utf8');
  const match = source.match(new RegExp(`// #region ${name}\\n([\\s\\S]*?)\\n\\s*// #endregion ${name}`));
  if (match?.[1] === undefined) throw new Error(`no region ${name} in ${path}`);
  const lines = match[1].split('\n');
  const indent = Math.min(...lines.filter((line) => line.trim() !== '').map((line) => line.search(/\S/)));
  return lines.map((line) => line.slice(indent)).join('\n');
}

const problems = [];
const shown = new Set();
let changed = 0;
for (const page of pages()) {
  const text = readFileSync(join(root, page), 'utf8');
  const markers = [...text.matchAll(/<!-- snippet: ([^#\s]+)#(\S+) -->/g)];
  let synced = 0;
  const next = text.replace(
    /<!-- snippet: ([^#\s]+)#(\S+) -->\n```(\w+)\n(?:[\s\S]*?\n)??```/g,
    (block, path, name, language) => {
      synced += 1;
      shown.add(`${path}#${name}`);
      let code;
      try {
        code = region(path, name);
      } catch (error) {
        problems.push(`${page}: ${error.message}`);
        return block;
      }
      const fresh = `<!-- snippet: ${path}#${name} -->\n\`\`\`${language}\n${code}\n\`\`\``;
      if (fresh !== block) problems.push(`${page}: ${path}#${name} differs from its file`);
      return fresh;
    },
  );
  if (synced !== markers.length) problems.push(`${page}: a snippet marker is not followed by a code block`);
  if (next !== text) {
    changed += 1;
    if (!check) writeFileSync(join(root, page), next);
  }
}

for (const entry of readdirSync(join(root, snippetSources))) {
  const path = `${snippetSources}/${entry}`;
  for (const name of regionsOf(path)) {
    if (!shown.has(`${path}#${name}`)) problems.push(`${path}#${name} is shown on no page`);
  }
}

const stale = problems.filter((problem) => !problem.endsWith('differs from its file'));
if (check && problems.length > 0) {
  console.error(`Snippets out of date (npm run docs:sync rewrites them):\n  ${problems.join('\n  ')}`);
  process.exit(1);
}
if (stale.length > 0) {
  console.error(stale.join('\n'));
  process.exit(1);
}
console.log(changed === 0 ? 'snippets already in sync' : `snippets updated in ${changed} file(s)`);
