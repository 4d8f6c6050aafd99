/**
 * The explorer page's script (plain DOM, run by the browser as a module). Text from the store
 * only ever reaches the page through `textContent` and `append(string)`, never parsed as HTML.
 * It is kept free of backticks, `${` and backslashes, so this template holds it exactly as written.
 */
export const explorerScript = `
const byId = (id) => document.getElementById(id);

const view = {
  info: undefined,
  streams: { type: '', after: undefined, previous: [], next: null },
  stream: undefined,
  log: { loaded: false, types: [], after: '', previous: [], next: null },
};

async function api(path, params) {
  const query = new URLSearchParams();
  for (const [name, value] of Object.entries(params || {})) {
    for (const item of [].concat(value)) {
      if (item !== undefined && item !== null && item !== '') query.append(name, String(item));
    }
  }
  const search = query.toString();
  const response = await fetch('/api/' + path + (search === '' ? '' : '?' + search), {
    headers: { accept: 'application/json' },
  });
  const body = await response.json();
  if (!response.ok) {
    const error = new Error(body.error.message);
    error.code = body.error.code;
    throw error;
  }
  return body;
}

function describe(error) {
  return (error.code ? '[' + error.code + '] ' : '') + error.message;
}

async function attempt(action) {
  const banner = byId('error');
  try {
    await action();
    banner.hidden = true;
    banner.textContent = '';
  } catch (error) {
    banner.textContent = describe(error);
    banner.hidden = false;
  }
}

function element(tag, text, className) {
  const node = document.createElement(tag);
  if (text !== undefined) node.textContent = text;
  if (className !== undefined) node.className = className;
  return node;
}

function row(cells) {
  const tr = element('tr');
  tr.append(...cells);
  return tr;
}

function textCell(text) {
  return element('td', text);
}

function numberCell(value) {
  return element('td', String(value), 'number');
}

function jsonCell(value, omitEmpty) {
  const td = element('td');
  const empty = value !== null && typeof value === 'object' && Object.keys(value).length === 0;
  if (!(omitEmpty && empty)) td.append(element('pre', JSON.stringify(value, null, 2)));
  return td;
}

function streamCell(streamId) {
  const button = element('button', streamId, 'link');
  button.type = 'button';
  button.dataset.streamId = streamId;
  button.addEventListener('click', () => {
    selectTab('streams');
    void attempt(() => showStream(streamId));
  });
  const td = element('td');
  td.append(button);
  return td;
}

function markCurrentStream() {
  const current = view.stream === undefined ? undefined : view.stream.id;
  for (const button of byId('streams').querySelectorAll('button.link')) {
    if (button.dataset.streamId === current) button.setAttribute('aria-current', 'true');
    else button.removeAttribute('aria-current');
  }
}

async function loadInfo() {
  const info = await api('info');
  view.info = info;
  byId('store').textContent = info.store.description;
  byId('head').textContent = String(info.head);
  byId('stream-count').textContent = info.streams === null ? 'unknown' : String(info.streams);
  byId('event-count').textContent = info.events === null ? 'unknown' : String(info.events);
  byId('consumers').tBodies[0].replaceChildren(
    ...info.consumers.map((consumer) =>
      row([textCell(consumer.consumerId), numberCell(consumer.position), numberCell(consumer.lag ?? 'retired')]),
    ),
  );
  byId('consumers').hidden = info.consumers.length === 0;
  byId('no-consumers').hidden = info.consumers.length > 0;
}

async function loadStreams() {
  const paging = view.streams;
  const page = await api('streams', { type: paging.type, after: paging.after });
  paging.next = page.next;
  byId('streams').tBodies[0].replaceChildren(
    ...page.streams.map((stream) =>
      row([streamCell(stream.streamId), textCell(stream.streamType), numberCell(stream.version)]),
    ),
  );
  markCurrentStream();
  byId('no-streams').hidden = page.streams.length > 0;
  byId('streams-previous').disabled = paging.previous.length === 0;
  byId('streams-next').disabled = paging.next === null;
}

function streamEventRow(event) {
  return row([
    numberCell(event.version),
    numberCell(event.position),
    textCell(event.timestamp),
    textCell(event.type),
    jsonCell(event.data, false),
    jsonCell(event.metadata, true),
  ]);
}


async function showStream(streamId) {
  const page = await api('stream-events', { streamId });
  view.stream = { id: streamId, aggregate: page.aggregate, next: page.next };
  byId('stream').hidden = false;
  byId('stream-title').textContent = streamId;
  const of = page.aggregate === null ? '' : ', aggregate ' + page.aggregate.name + ' ' + page.aggregate.id;
  byId('stream-summary').textContent =
    'stream type ' + page.stream.streamType + ', version ' + page.stream.version + of;
  byId('stream-events').tBodies[0].replaceChildren(...page.events.map(streamEventRow));
  byId('stream-more').hidden = page.next === null;
  byId('state-result').hidden = true;
  showStateForm(page.stream.streamType, page.aggregate);
  markCurrentStream();
}

async function moreStreamEvents() {
  const stream = view.stream;
  const page = await api('stream-events', { streamId: stream.id, fromVersion: stream.next });
  if (view.stream !== stream) return;
  stream.next = page.next;
  byId('stream-events').tBodies[0].append(...page.events.map(streamEventRow));
  byId('stream-more').hidden = page.next === null;
}

function showStateForm(streamType, aggregate) {
  const configured = view.info !== undefined && view.info.aggregates.length > 0;
  const note = byId('state-unavailable');
  byId('state-form').hidden = aggregate === null;
  note.hidden = aggregate !== null;
  note.textContent = configured
    ? 'No aggregate of the config has stream type ' + streamType + ': no state to show.'
    : 'Start the explorer with --config <module> (a module exporting aggregates) to see aggregate state.';
}

async function showState() {
  const stream = view.stream;
  if (stream === undefined || stream.aggregate === null) return;
  const params = {};
  params[byId('state-mode').value] = byId('state-at').value.trim();
  const summary = byId('state-summary');
  const json = byId('state-json');
  try {
    const path = 'state/' + encodeURIComponent(stream.aggregate.name) + '/' + encodeURIComponent(stream.aggregate.id);
    const folded = await api(path, params);
    if (view.stream !== stream) return;
    summary.className = '';
    summary.textContent =
      folded.aggregate + ' ' + folded.id + ' at version ' + folded.version + ' of ' + folded.latestVersion +
      (folded.asOf === undefined ? '' : ', as of ' + folded.asOf);
    json.textContent = JSON.stringify(folded.state, null, 2);
  } catch (error) {
    summary.className = 'error';
    summary.textContent = describe(error);
    json.textContent = '';
  }
  byId('state-result').hidden = false;
}

async function loadLog() {
  const paging = view.log;
  const page = await api('events', { after: paging.after, type: paging.types });
  paging.loaded = true;
  paging.next = page.next;
  byId('log').tBodies[0].replaceChildren(
    ...page.events.map((event) =>
      row([
        numberCell(event.position),
        streamCell(event.streamId),
        numberCell(event.version),
        textCell(event.timestamp),
        textCell(event.type),
        jsonCell(event.data, false),
        jsonCell(event.metadata, true),
      ]),
    ),
  );
  byId('no-events').hidden = page.events.length > 0;
  byId('log-previous').disabled = paging.previous.length === 0;
  byId('log-next').disabled = paging.next === null;
}

function selectTab(name) {
  const streams = name === 'streams';
  byId('tab-streams').setAttribute('aria-selected', String(streams));
  byId('tab-log').setAttribute('aria-selected', String(!streams));
  byId('streams-panel').hidden = !streams;
  byId('log-panel').hidden = streams;
  if (!streams && !view.log.loaded) void attempt(loadLog);
}

byId('tab-streams').addEventListener('click', () => selectTab('streams'));
byId('tab-log').addEventListener('click', () => selectTab('log'));

byId('refresh').addEventListener('click', () =>
  attempt(async () => {
    await loadInfo();
    await loadStreams();
    if (view.log.loaded) await loadLog();
  }),
);

byId('streams-filter').addEventListener('submit', (event) => {
  event.preventDefault();
  view.streams = { type: byId('streams-type').value.trim(), after: undefined, previous: [], next: null };
  void attempt(loadStreams);
});
byId('streams-next').addEventListener('click', () => {
  view.streams.previous.push(view.streams.after);
  view.streams.after = view.streams.next;
  void attempt(loadStreams);
});
byId('streams-previous').addEventListener('click', () => {
  view.streams.after = view.streams.previous.pop();
  void attempt(loadStreams);
});

byId('stream-more').addEventListener('click', () => void attempt(moreStreamEvents));
byId('state-mode').addEventListener('change', () => {
  byId('state-at').placeholder =
    byId('state-mode').value === 'asOf' ? 'e.g. 2026-01-31T12:00:00Z (empty: now)' : 'e.g. 2 (empty: now)';
});
byId('state-form').addEventListener('submit', (event) => {
  event.preventDefault();
  void showState();
});

byId('log-filter').addEventListener('submit', (event) => {
  event.preventDefault();
  const types = byId('log-types').value.split(',').map((type) => type.trim()).filter((type) => type !== '');
  view.log = { loaded: true, types, after: byId('log-after').value.trim(), previous: [], next: null };
  void attempt(loadLog);
});
byId('log-next').addEventListener('click', () => {
  view.log.previous.push(view.log.after);
  view.log.after = view.log.next;
  void attempt(loadLog);
});
byId('log-previous').addEventListener('click', () => {
  view.log.after = view.log.previous.pop();
  void attempt(loadLog);
});

await attempt(async () => {
  await loadInfo();
  await loadStreams();
});
`;
