/**
 * The explorer page's script, run by the browser as a module (served as `/explorer.js`).
 *
 * The view lives in the page URL (`?stream=Order-o-1&from=101&event=120&at=3`, `?tab=log&types=A,B`),
 * so back and forward walk through it and any view can be linked to or reloaded. Text from the
 * store only ever reaches the page through `textContent` and `append(string)`, never parsed as HTML.
 */

/** The shapes of the API's answers this page reads. */
interface ApiError {
  readonly error: { readonly code: string; readonly message: string };
}

interface Info {
  readonly store: { readonly description: string };
  readonly head: number;
  readonly streams: number | null;
  readonly events: number | null;
  /** `lag` is null for a retired projection version. */
  readonly consumers: readonly { consumerId: string; position: number; lag: number | null }[];
  readonly aggregates: readonly { name: string; streamType: string }[];
}

interface EventRef {
  readonly eventId: string;
  readonly streamId: string;
  readonly type: string;
  readonly position: number;
}

/** One consumer as `/api/consumers` reports it. */
interface ConsumerReport {
  readonly consumerId: string;
  readonly kind: string | null;
  readonly name: string;
  readonly state: string;
  readonly position: number | null;
  readonly lag: number | null;
  readonly owner: string | null;
  readonly lastError: {
    readonly message: string;
    readonly event: EventRef | null;
    readonly attempts: number;
  } | null;
  readonly deadLetters?: number;
}

interface DeadLetter {
  readonly listener: string;
  readonly event: EventRef;
  readonly attempts: number;
  readonly error: { readonly message: string };
  readonly failedAt: string;
}

interface StreamSummary {
  readonly streamId: string;
  readonly streamType: string;
  readonly version: number;
  /** Absent on a storage that keeps no stream lifecycle. */
  readonly status?: 'open' | 'closed' | 'deleted';
  readonly archivedUpTo?: number;
  readonly changedAt?: string;
  readonly reason?: string;
}

interface EventJson {
  readonly position: number;
  readonly streamId: string;
  readonly version: number;
  readonly type: string;
  readonly timestamp: string;
  readonly data: unknown;
  readonly metadata: Record<string, unknown>;
  /** Set when the event does not fit its current schema (`hindsight check` reports it too). */
  readonly invalid?: { readonly path: string; readonly message: string };
}

interface StreamPage {
  readonly stream: StreamSummary;
  readonly aggregate: { name: string; id: string } | null;
  readonly events: readonly EventJson[];
  readonly next: number | null;
}

interface FoldedState {
  readonly aggregate: string;
  readonly id: string;
  readonly version: number;
  readonly latestVersion: number;
  readonly asOf?: string;
  readonly state: unknown;
}

/** What the page shows: read from and written to the URL's query string. */
interface View {
  readonly tab: 'streams' | 'log';
  /** Streams list: type filter, id prefix, and the id the page starts after. */
  readonly type: string;
  readonly prefix: string;
  readonly after: string;
  /** The open stream, the first version of its page, the event picked out, and a state asked for. */
  readonly stream: string | undefined;
  readonly from: number | undefined;
  readonly event: number | undefined;
  readonly at: string | undefined;
  readonly asOf: string | undefined;
  /** Global log: event types and the position the page starts after. */
  readonly types: readonly string[];
  readonly logAfter: string;
}

class RequestError extends Error {
  readonly code: string;

  constructor(code: string, message: string) {
    super(message);
    this.code = code;
  }
}

const streamPageSize = 100;

function byId<Element extends HTMLElement = HTMLElement>(id: string): Element {
  const found = document.getElementById(id);
  if (found === null) throw new Error(`the page has no #${id}`);
  return found as Element;
}

const input = (id: string): HTMLInputElement => byId<HTMLInputElement>(id);
const button = (id: string): HTMLButtonElement => byId<HTMLButtonElement>(id);
const tbody = (id: string): HTMLTableSectionElement => {
  const body = byId<HTMLTableElement>(id).tBodies[0];
  if (body === undefined) throw new Error(`#${id} has no body`);
  return body;
};

function viewFromUrl(): View {
  const query = new URLSearchParams(location.search);
  const text = (name: string): string => query.get(name) ?? '';
  const number = (name: string): number | undefined => {
    const value = query.get(name);
    return value !== null && /^\d+$/.test(value) ? Number(value) : undefined;
  };
  return {
    tab: query.get('tab') === 'log' ? 'log' : 'streams',
    type: text('type'),
    prefix: text('prefix'),
    after: text('after'),
    stream: query.get('stream') ?? undefined,
    from: number('from'),
    event: number('event'),
    at: query.get('at') ?? undefined,
    asOf: query.get('asOf') ?? undefined,
    types: text('types')
      .split(',')
      .filter((type) => type !== ''),
    logAfter: text('logAfter'),
  };
}

function urlOf(view: View): string {
  const query = new URLSearchParams();
  const set = (name: string, value: string | number | undefined): void => {
    if (value !== undefined && value !== '') query.set(name, String(value));
  };
  if (view.tab === 'log') set('tab', 'log');
  set('type', view.type);
  set('prefix', view.prefix);
  set('after', view.after);
  set('stream', view.stream);
  set('from', view.from);
  set('event', view.event);
  // Kept even when empty: an empty state value means "now", still a state asked for.
  if (view.at !== undefined) query.set('at', view.at);
  if (view.asOf !== undefined) query.set('asOf', view.asOf);
  set('types', view.types.join(','));
  set('logAfter', view.logAfter);
  const search = query.toString();
  return search === '' ? location.pathname : `${location.pathname}?${search}`;
}

let current: View = viewFromUrl();
let info: Info | undefined;
/** Cursors of the streams pages before this one, for Previous (the URL holds only the current). */
let streamsBefore: string[] = [];
let logBefore: string[] = [];
/** The open stream's last version, for the Last button. */
let streamVersion = 0;

/** Shows `changes` and records it in the history, so back returns to what was shown before. */
function navigate(changes: Partial<View>): void {
  current = { ...current, ...changes };
  history.pushState(null, '', urlOf(current));
  void attempt(render);
}

async function api<Answer>(path: string, parameters: Record<string, unknown> = {}): Promise<Answer> {
  const query = new URLSearchParams();
  for (const [name, value] of Object.entries(parameters)) {
    for (const item of Array.isArray(value) ? value : [value]) {
      if (item !== undefined && item !== null && item !== '') query.append(name, String(item));
    }
  }
  const search = query.toString();
  const response = await fetch(`/api/${path}${search === '' ? '' : `?${search}`}`, {
    headers: { accept: 'application/json' },
  });
  const body = (await response.json()) as Answer | ApiError;
  if (!response.ok) {
    const { error } = body as ApiError;
    throw new RequestError(error.code, error.message);
  }
  return body as Answer;
}

function describe(error: unknown): string {
  if (error instanceof RequestError) return `[${error.code}] ${error.message}`;
  return error instanceof Error ? error.message : String(error);
}

async function attempt(action: () => Promise<void>): Promise<void> {
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

function element<Tag extends keyof HTMLElementTagNameMap>(
  tag: Tag,
  text?: string,
  className?: string,
): HTMLElementTagNameMap[Tag] {
  const node = document.createElement(tag);
  if (text !== undefined) node.textContent = text;
  if (className !== undefined) node.className = className;
  return node;
}

function row(cells: readonly HTMLElement[]): HTMLTableRowElement {
  const tr = element('tr');
  tr.append(...cells);
  return tr;
}

const textCell = (text: string): HTMLTableCellElement => element('td', text);
const numberCell = (value: number): HTMLTableCellElement => element('td', String(value), 'number');

function jsonCell(value: unknown, omitEmpty: boolean): HTMLTableCellElement {
  const td = element('td');
  const empty = value !== null && typeof value === 'object' && Object.keys(value).length === 0;
  if (!(omitEmpty && empty)) td.append(element('pre', JSON.stringify(value, personalValue, 2)));
  return td;
}

/**
 * Personal fields as people should see them: a forgotten subject's placeholder, or an envelope
 * this explorer cannot open (no config with the definitions), rather than their JSON.
 */
function personalValue(_key: string, value: unknown): unknown {
  if (typeof value !== 'object' || value === null) return value;
  const fields = value as Record<string, unknown>;
  if (fields.$forgotten === true && typeof fields.subject === 'string') {
    return `‹forgotten: data subject ${fields.subject}›`;
  }
  if (fields.$enc === 'v1' && typeof fields.subject === 'string' && typeof fields.data === 'string') {
    return `‹encrypted: personal data of ${fields.subject}›`;
  }
  return value;
}

/** The event's type, with a badge when the event does not fit its current schema. */
function typeCell(event: EventJson): HTMLTableCellElement {
  const td = textCell(event.type);
  if (event.invalid !== undefined) {
    const where = event.invalid.path === '' ? '' : `field "${event.invalid.path}": `;
    const badge = element('span', 'does not fit', 'badge badge-invalid');
    badge.title = `${where}${event.invalid.message} (hindsight check lists every such event)`;
    td.append(badge);
  }
  return td;
}

/** A link to a view: a real href (open in a new tab, copy), followed in place on a plain click. */
function viewLink(text: string, changes: Partial<View>, className?: string): HTMLAnchorElement {
  const link = element('a', text, className);
  link.href = urlOf({ ...current, ...changes });
  link.addEventListener('click', (event) => {
    if (event.button !== 0 || event.ctrlKey || event.metaKey || event.shiftKey || event.altKey) return;
    event.preventDefault();
    navigate(changes);
  });
  return link;
}

const streamView = (streamId: string): Partial<View> => ({
  tab: 'streams',
  stream: streamId,
  from: undefined,
  event: undefined,
  at: undefined,
  asOf: undefined,
});

/** Badges for a stream that is not simply open: closed, deleted, archived up to a version. */
function statusBadges(stream: StreamSummary): HTMLSpanElement[] {
  const badges: HTMLSpanElement[] = [];
  const badge = (kind: string, text: string, title: string) => {
    const span = element('span', text, `badge badge-${kind}`);
    span.title = title;
    badges.push(span);
  };
  const why = `${stream.changedAt ?? ''}${stream.reason === undefined ? '' : ` (${stream.reason})`}`;
  if (stream.status === 'closed') badge('closed', 'closed', `closed ${why}`);
  if (stream.status === 'deleted') badge('deleted', 'deleted', `deleted ${why}`);
  if ((stream.archivedUpTo ?? 0) > 0) {
    badge('archived', 'archived', `versions 1–${stream.archivedUpTo} are in the archive table`);
  }
  return badges;
}

function statusCell(stream: StreamSummary): HTMLTableCellElement {
  const td = element('td');
  td.append(...statusBadges(stream));
  return td;
}

function streamCell(streamId: string): HTMLTableCellElement {
  const td = element('td');
  const link = viewLink(streamId, streamView(streamId), 'stream-link');
  link.dataset.streamId = streamId;
  td.append(link);
  return td;
}

function markCurrentStream(): void {
  for (const link of byId('streams').querySelectorAll<HTMLAnchorElement>('a.stream-link')) {
    if (link.dataset.streamId === current.stream) link.setAttribute('aria-current', 'true');
    else link.removeAttribute('aria-current');
  }
}

async function loadInfo(): Promise<void> {
  const answer = await api<Info>('info');
  info = answer;
  byId('store').textContent = answer.store.description;
  byId('head').textContent = String(answer.head);
  byId('stream-count').textContent = answer.streams === null ? 'unknown' : String(answer.streams);
  byId('event-count').textContent = answer.events === null ? 'unknown' : String(answer.events);
  await loadConsumers();
}

/** The global log opened at `event`, so the event a consumer failed on is one click away. */
const eventLink = (event: EventRef, text: string): HTMLAnchorElement =>
  viewLink(
    text,
    { tab: 'log', types: [], logAfter: String(event.position - 1), stream: undefined },
    'event-link',
  );

function positionCell(event: EventRef): HTMLTableCellElement {
  const td = element('td', undefined, 'number');
  td.append(eventLink(event, String(event.position)));
  return td;
}

function lastErrorCell(consumer: ConsumerReport): HTMLTableCellElement {
  const td = element('td');
  const error = consumer.lastError;
  if (error === null) return td;
  td.classList.add('error');
  td.append(`${error.message} (after ${error.attempts} attempt(s))`);
  if (error.event !== null) {
    td.append(' on ', eventLink(error.event, `${error.event.type} at position ${error.event.position}`));
  }
  return td;
}

async function loadConsumers(): Promise<void> {
  const consumers = await api<ConsumerReport[]>('consumers');
  tbody('consumers').replaceChildren(
    ...consumers.map((consumer) => {
      const tr = row([
        textCell(consumer.consumerId),
        textCell(consumer.state),
        consumer.position === null ? textCell('-') : numberCell(consumer.position),
        consumer.lag === null ? textCell('-') : numberCell(consumer.lag),
        textCell(consumer.owner ?? '-'),
        consumer.deadLetters === undefined ? textCell('-') : numberCell(consumer.deadLetters),
        lastErrorCell(consumer),
      ]);
      tr.dataset.consumer = consumer.consumerId;
      return tr;
    }),
  );
  byId('consumers').hidden = consumers.length === 0;
  byId('no-consumers').hidden = consumers.length > 0;
  const listeners = consumers.filter((consumer) => (consumer.deadLetters ?? 0) > 0);
  const letters: DeadLetter[] = [];
  for (const listener of listeners) {
    letters.push(...(await api<DeadLetter[]>(`dead-letters/${encodeURIComponent(listener.name)}`)));
  }
  tbody('dead-letters').replaceChildren(
    ...letters.map((letter) =>
      row([
        textCell(letter.listener),
        positionCell(letter.event),
        textCell(letter.event.type),
        textCell(letter.event.streamId),
        numberCell(letter.attempts),
        textCell(letter.failedAt),
        textCell(letter.error.message),
      ]),
    ),
  );
  byId('dead-letters-panel').hidden = letters.length === 0;
}

async function loadStreams(): Promise<void> {
  const page = await api<{ streams: StreamSummary[]; next: string | null }>('streams', {
    type: current.type,
    prefix: current.prefix,
    after: current.after,
  });
  tbody('streams').replaceChildren(
    ...page.streams.map((stream) =>
      row([
        streamCell(stream.streamId),
        textCell(stream.streamType),
        numberCell(stream.version),
        statusCell(stream),
      ]),
    ),
  );
  markCurrentStream();
  byId('no-streams').hidden = page.streams.length > 0;
  button('streams-previous').disabled = current.after === '';
  const next = button('streams-next');
  next.disabled = page.next === null;
  next.dataset.cursor = page.next ?? '';
}

function streamEventRow(event: EventJson, streamId: string): HTMLTableRowElement {
  const versionCell = element('td', undefined, 'number');
  versionCell.append(viewLink(String(event.version), { event: event.version, stream: streamId }));
  const tr = row([
    versionCell,
    numberCell(event.position),
    textCell(event.timestamp),
    typeCell(event),
    jsonCell(event.data, false),
    jsonCell(event.metadata, true),
  ]);
  tr.id = `event-${event.version}`;
  if (event.version === current.event) {
    tr.classList.add('current');
    tr.setAttribute('aria-current', 'true');
  }
  return tr;
}

/** The first version of the page that holds `version` (pages start at 1, 101, 201, …). */
const pageStart = (version: number): number =>
  Math.floor((Math.max(version, 1) - 1) / streamPageSize) * streamPageSize + 1;

async function showStream(streamId: string): Promise<void> {
  const from = current.from ?? (current.event === undefined ? 1 : pageStart(current.event));
  const page = await api<StreamPage>('stream-events', { streamId, fromVersion: from, limit: streamPageSize });
  const { version } = page.stream;
  streamVersion = version;
  byId('stream').hidden = false;
  byId('stream-title').replaceChildren(streamId, ...statusBadges(page.stream));
  const of = page.aggregate === null ? '' : `, aggregate ${page.aggregate.name} ${page.aggregate.id}`;
  byId('stream-summary').textContent = `stream type ${page.stream.streamType}, version ${version}${of}`;
  tbody('stream-events').replaceChildren(...page.events.map((event) => streamEventRow(event, streamId)));
  const last = page.events.at(-1)?.version;
  byId('stream-range').textContent =
    last === undefined ? `no events from version ${from}` : `versions ${from}–${last} of ${version}`;
  const lastPage = pageStart(version);
  button('stream-first').disabled = from <= 1;
  button('stream-previous').disabled = from <= 1;
  button('stream-next').disabled = page.next === null;
  button('stream-last').disabled = from >= lastPage;
  showStateForm(page.stream.streamType, page.aggregate);
  markCurrentStream();
  if (current.event !== undefined) document.getElementById(`event-${current.event}`)?.scrollIntoView();
  const asked = current.asOf !== undefined ? 'asOf' : current.at !== undefined ? 'atVersion' : undefined;
  if (asked === undefined || page.aggregate === null) byId('state-result').hidden = true;
  else {
    byId<HTMLSelectElement>('state-mode').value = asked;
    input('state-at').value = (asked === 'asOf' ? current.asOf : current.at) ?? '';
    await showState(page.aggregate, asked, input('state-at').value);
  }
}

function showStateForm(streamType: string, aggregate: StreamPage['aggregate']): void {
  const configured = info !== undefined && info.aggregates.length > 0;
  const note = byId('state-unavailable');
  byId('state-form').hidden = aggregate === null;
  note.hidden = aggregate !== null;
  note.textContent = configured
    ? `No aggregate of the config has stream type ${streamType}: no state to show.`
    : 'Start the explorer with --config <module> (a module exporting aggregates) to see aggregate state.';
}

async function showState(
  aggregate: { name: string; id: string },
  mode: 'atVersion' | 'asOf',
  value: string,
): Promise<void> {
  const summary = byId('state-summary');
  const json = byId('state-json');
  try {
    const path = `state/${encodeURIComponent(aggregate.name)}/${encodeURIComponent(aggregate.id)}`;
    const folded = await api<FoldedState>(path, { [mode]: value.trim() });
    summary.className = '';
    summary.textContent =
      `${folded.aggregate} ${folded.id} at version ${folded.version} of ${folded.latestVersion}` +
      (folded.asOf === undefined ? '' : `, as of ${folded.asOf}`);
    json.textContent = JSON.stringify(folded.state, null, 2);
  } catch (error) {
    summary.className = 'error';
    summary.textContent = describe(error);
    json.textContent = '';
  }
  byId('state-result').hidden = false;
}

async function loadLog(): Promise<void> {
  const page = await api<{ events: EventJson[]; next: number | null }>('events', {
    after: current.logAfter,
    type: current.types,
  });
  tbody('log').replaceChildren(
    ...page.events.map((event) => {
      const versionCell = element('td', undefined, 'number');
      versionCell.append(
        viewLink(String(event.version), { ...streamView(event.streamId), event: event.version }),
      );
      return row([
        numberCell(event.position),
        streamCell(event.streamId),
        versionCell,
        textCell(event.timestamp),
        typeCell(event),
        jsonCell(event.data, false),
        jsonCell(event.metadata, true),
      ]);
    }),
  );
  byId('no-events').hidden = page.events.length > 0;
  button('log-previous').disabled = current.logAfter === '';
  const next = button('log-next');
  next.disabled = page.next === null;
  next.dataset.cursor = page.next === null ? '' : String(page.next);
}

/** Brings the page in line with {@link current}: the tab, the forms, the lists and the stream. */
async function render(): Promise<void> {
  const streams = current.tab === 'streams';
  byId('tab-streams').setAttribute('aria-selected', String(streams));
  byId('tab-log').setAttribute('aria-selected', String(!streams));
  byId('streams-panel').hidden = !streams;
  byId('log-panel').hidden = streams;
  input('streams-type').value = current.type;
  input('streams-prefix').value = current.prefix;
  input('log-types').value = current.types.join(', ');
  input('log-after').value = current.logAfter;
  if (info === undefined) await loadInfo();
  if (!streams) {
    await loadLog();
    return;
  }
  await loadStreams();
  if (current.stream === undefined) byId('stream').hidden = true;
  else await showStream(current.stream);
}

window.addEventListener('popstate', () => {
  current = viewFromUrl();
  void attempt(render);
});

byId('tab-streams').addEventListener('click', () => navigate({ tab: 'streams' }));
byId('tab-log').addEventListener('click', () => navigate({ tab: 'log' }));

button('refresh').addEventListener('click', () =>
  attempt(async () => {
    await loadInfo();
    await render();
  }),
);

byId('streams-filter').addEventListener('submit', (event) => {
  event.preventDefault();
  streamsBefore = [];
  navigate({ type: input('streams-type').value.trim(), prefix: input('streams-prefix').value, after: '' });
});
button('streams-next').addEventListener('click', () => {
  streamsBefore.push(current.after);
  navigate({ after: button('streams-next').dataset.cursor ?? '' });
});
button('streams-previous').addEventListener('click', () => navigate({ after: streamsBefore.pop() ?? '' }));

const streamPage = (from: number): Partial<View> => ({ from, event: undefined });
button('stream-first').addEventListener('click', () => navigate(streamPage(1)));
button('stream-previous').addEventListener('click', () => {
  const from = current.from ?? (current.event === undefined ? 1 : pageStart(current.event));
  navigate(streamPage(Math.max(1, from - streamPageSize)));
});
button('stream-next').addEventListener('click', () => {
  const from = current.from ?? (current.event === undefined ? 1 : pageStart(current.event));
  navigate(streamPage(from + streamPageSize));
});
button('stream-last').addEventListener('click', () => {
  navigate(streamPage(pageStart(streamVersion)));
});

byId<HTMLSelectElement>('state-mode').addEventListener('change', () => {
  input('state-at').placeholder =
    byId<HTMLSelectElement>('state-mode').value === 'asOf'
      ? 'e.g. 2026-01-31T12:00:00Z (empty: now)'
      : 'e.g. 2 (empty: now)';
});
byId('state-form').addEventListener('submit', (event) => {
  event.preventDefault();
  const value = input('state-at').value.trim();
  const asOf = byId<HTMLSelectElement>('state-mode').value === 'asOf';
  // "now" is an empty version: the URL still records that a state was asked for.
  navigate(asOf ? { asOf: value, at: undefined } : { at: value, asOf: undefined });
});

byId('log-filter').addEventListener('submit', (event) => {
  event.preventDefault();
  logBefore = [];
  const types = input('log-types')
    .value.split(',')
    .map((type) => type.trim())
    .filter((type) => type !== '');
  navigate({ tab: 'log', types, logAfter: input('log-after').value.trim() });
});
button('log-next').addEventListener('click', () => {
  logBefore.push(current.logAfter);
  navigate({ logAfter: button('log-next').dataset.cursor ?? '' });
});
button('log-previous').addEventListener('click', () => navigate({ logAfter: logBefore.pop() ?? '' }));

await attempt(render);
