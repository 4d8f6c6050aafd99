import { createHash } from 'node:crypto';

/** The explorer page and the Content-Security-Policy it is served with. */
export interface ExplorerPage {
  readonly html: string;
  readonly contentSecurityPolicy: string;
}

const style = `
:root { color-scheme: light dark; --muted: #6b7280; --line: #d1d5db; --accent: #2563eb; --bad: #b91c1c; }
body { font: 14px/1.4 system-ui, sans-serif; margin: 0 auto; padding: 1rem 1.5rem; max-width: 110rem; }
h1 { font-size: 1.4rem; margin: 0; }
h2 { font-size: 1.1rem; margin: 1.2rem 0 0.5rem; }
h3 { font-size: 1rem; margin: 1rem 0 0.4rem; }
header { display: flex; flex-wrap: wrap; align-items: baseline; gap: 0.5rem 2rem; }
#store { color: var(--muted); margin: 0; }
dl { display: flex; gap: 1.5rem; margin: 0; }
dl div { display: flex; gap: 0.4rem; }
dt { color: var(--muted); }
dd { margin: 0; font-weight: 600; font-variant-numeric: tabular-nums; }
table { border-collapse: collapse; width: 100%; }
th, td { text-align: left; vertical-align: top; padding: 0.3rem 0.6rem; border-bottom: 1px solid var(--line); }
th { font-weight: 600; color: var(--muted); }
td.number, th.number { text-align: right; font-variant-numeric: tabular-nums; }
.badge { display: inline-block; margin-left: 0.4em; padding: 0 0.45em; border-radius: 0.7em; font-size: 0.75em; font-weight: normal; border: 1px solid currentColor; }
.badge-closed { color: #8a5a00; }
.badge-deleted { color: #b00020; }
.badge-archived { color: #3a5a8a; }
.badge-invalid { color: #b00020; }
#consumers { width: auto; min-width: 24rem; }
pre { margin: 0; max-height: 16rem; overflow: auto; white-space: pre-wrap; word-break: break-word; font-size: 12px; }
nav { display: flex; gap: 0.3rem; margin: 1.2rem 0 0.8rem; border-bottom: 1px solid var(--line); }
nav button { border: 0; border-bottom: 2px solid transparent; background: none; padding: 0.4rem 0.8rem; font: inherit; cursor: pointer; color: inherit; }
nav button[aria-selected="true"] { border-bottom-color: var(--accent); font-weight: 600; }
form { display: flex; flex-wrap: wrap; align-items: end; gap: 0.5rem 1rem; margin: 0 0 0.8rem; }
label { display: flex; flex-direction: column; gap: 0.2rem; color: var(--muted); }
input, select, button { font: inherit; }
button.link { border: 0; background: none; padding: 0; color: var(--accent); cursor: pointer; text-align: left; word-break: break-all; }
button.link[aria-current="true"] { font-weight: 600; }
.split { display: grid; grid-template-columns: minmax(16rem, 1fr) 3fr; gap: 1.5rem; }
.split > * { min-width: 0; }
.scroll { overflow-x: auto; }
.pager { display: flex; flex-wrap: wrap; align-items: center; gap: 0.5rem; margin: 0.6rem 0; }
tr.current td { background: color-mix(in srgb, var(--accent) 12%, transparent); }
a { color: var(--accent); }
@media (max-width: 50rem) {
  body { padding: 0.6rem 0.8rem; }
  header { gap: 0.4rem 1rem; }
  dl { flex-wrap: wrap; gap: 0.3rem 1rem; }
  #consumers { min-width: 0; }
  .split { grid-template-columns: 1fr; }
  input { max-width: 100%; box-sizing: border-box; }
}
.note { color: var(--muted); }
.error { color: var(--bad); }
#state-result { border: 1px solid var(--line); border-radius: 4px; padding: 0.6rem; margin-bottom: 1rem; }
`;

const body = `
<header>
  <h1>Hindsight explorer</h1>
  <p id="store"></p>
  <dl>
    <div><dt>head</dt><dd id="head">…</dd></div>
    <div><dt>streams</dt><dd id="stream-count">…</dd></div>
    <div><dt>events</dt><dd id="event-count">…</dd></div>
  </dl>
  <button id="refresh" type="button">Refresh</button>
</header>
<p id="error" class="error" role="alert" hidden></p>

<section>
  <h2>Consumers</h2>
  <p id="no-consumers" class="note" hidden>No consumer has saved a checkpoint or recorded a failure.</p>
  <div class="scroll"><table id="consumers" hidden>
    <thead><tr><th>Consumer</th><th>State</th><th class="number">Position</th><th class="number">Lag</th><th>Owner</th><th class="number">Dead letters</th><th>Last error</th></tr></thead>
    <tbody></tbody>
  </table></div>
  <div id="dead-letters-panel" hidden>
    <h3>Dead letters</h3>
    <div class="scroll"><table id="dead-letters">
      <thead><tr><th>Listener</th><th class="number">Position</th><th>Type</th><th>Stream</th><th class="number">Attempts</th><th>Failed at</th><th>Error</th></tr></thead>
      <tbody></tbody>
    </table></div>
  </div>
</section>

<nav role="tablist">
  <button id="tab-streams" role="tab" type="button" aria-selected="true" aria-controls="streams-panel">Streams</button>
  <button id="tab-log" role="tab" type="button" aria-selected="false" aria-controls="log-panel">Global log</button>
</nav>

<section id="streams-panel" role="tabpanel" aria-labelledby="tab-streams">
  <form id="streams-filter">
    <label>Id starts with <input id="streams-prefix" name="prefix" autocomplete="off" placeholder="e.g. Order-"></label>
    <label>Stream type <input id="streams-type" name="type" autocomplete="off" placeholder="all"></label>
    <button type="submit">Filter</button>
  </form>
  <div class="split">
    <div>
      <div class="scroll"><table id="streams">
        <thead><tr><th>Stream</th><th>Type</th><th class="number">Version</th><th>Status</th></tr></thead>
        <tbody></tbody>
      </table></div>
      <p id="no-streams" class="note" hidden>No streams.</p>
      <div class="pager">
        <button id="streams-previous" type="button" disabled>Previous</button>
        <button id="streams-next" type="button" disabled>Next</button>
      </div>
    </div>
    <div id="stream" hidden>
      <h2 id="stream-title"></h2>
      <p id="stream-summary" class="note"></p>
      <form id="state-form" hidden>
        <label>State as of
          <select id="state-mode">
            <option value="atVersion">version</option>
            <option value="asOf">date-time (ISO 8601)</option>
          </select>
        </label>
        <label>Value <input id="state-at" autocomplete="off" placeholder="e.g. 2 (empty: now)"></label>
        <button type="submit">Show state</button>
      </form>
      <p id="state-unavailable" class="note" hidden></p>
      <div id="state-result" hidden>
        <p id="state-summary"></p>
        <pre id="state-json"></pre>
      </div>
      <div class="pager">
        <button id="stream-first" type="button">First</button>
        <button id="stream-previous" type="button">Previous</button>
        <span id="stream-range" class="note"></span>
        <button id="stream-next" type="button">Next</button>
        <button id="stream-last" type="button">Last</button>
      </div>
      <div class="scroll"><table id="stream-events">
        <thead><tr><th class="number">Version</th><th class="number">Position</th><th>Time</th><th>Type</th><th>Data</th><th>Metadata</th></tr></thead>
        <tbody></tbody>
      </table></div>
    </div>
  </div>
</section>

<section id="log-panel" role="tabpanel" aria-labelledby="tab-log" hidden>
  <form id="log-filter">
    <label>Event types <input id="log-types" autocomplete="off" placeholder="all (comma-separated)"></label>
    <label>After position <input id="log-after" autocomplete="off" inputmode="numeric" placeholder="0"></label>
    <button type="submit">Show</button>
  </form>
  <div class="scroll"><table id="log">
    <thead><tr><th class="number">Position</th><th>Stream</th><th class="number">Version</th><th>Time</th><th>Type</th><th>Data</th><th>Metadata</th></tr></thead>
    <tbody></tbody>
  </table></div>
  <p id="no-events" class="note" hidden>No events.</p>
  <div class="pager">
    <button id="log-previous" type="button" disabled>Previous</button>
    <button id="log-next" type="button" disabled>Next</button>
  </div>
</section>
`;

/**
 * Renders the one page of the explorer: markup and style inline, the script from `/explorer.js`
 * (compiled from `page/explorer-script.ts`), so it needs nothing but this origin. The policy
 * allows exactly that inline style, by hash, scripts and requests from this origin only: nothing
 * from the store can run as code.
 *
 * @example
 * ```ts
 * const { html, contentSecurityPolicy } = renderExplorerPage();
 * ```
 */
export function renderExplorerPage(): ExplorerPage {
  const html = [
    '<!doctype html>',
    '<html lang="en">',
    '<head>',
    '<meta charset="utf-8">',
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    '<title>Hindsight explorer</title>',
    // No favicon request (it would only 404).
    '<link rel="icon" href="data:,">',
    `<style>${style}</style>`,
    '</head>',
    '<body>',
    body,
    '<script type="module" src="/explorer.js"></script>',
    '</body>',
    '</html>',
  ].join('\n');
  const contentSecurityPolicy = [
    "default-src 'none'",
    "script-src 'self'",
    `style-src '${sha256(style)}'`,
    "connect-src 'self'",
    'img-src data:',
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
  ].join('; ');
  return { html, contentSecurityPolicy };
}

function sha256(text: string): string {
  return `sha256-${createHash('sha256').update(text, 'utf8').digest('base64')}`;
}
