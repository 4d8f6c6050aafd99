import type { StoredEvent } from '@hindsight/core';
import { eventToJson } from './event-json.js';
import { compact, type Printer, TablePrinter } from './output.js';

/** Prints events as a table (humans) or one JSON object per line (`--json`, same as `export`). */
export class EventPrinter {
  readonly #printer: Printer;
  readonly #json: boolean;
  readonly #table: TablePrinter;
  readonly #withStream: boolean;
  #count = 0;

  /** `withStream`: a column for the stream (the global log mixes streams). */
  constructor(printer: Printer, options: { json: boolean; withStream: boolean; chunkSize?: number }) {
    this.#printer = printer;
    this.#json = options.json;
    this.#withStream = options.withStream;
    const headers = options.withStream
      ? ['POSITION', 'STREAM', 'VERSION', 'TIME', 'TYPE', 'DATA', 'METADATA']
      : ['VERSION', 'POSITION', 'TIME', 'TYPE', 'DATA', 'METADATA'];
    const align = options.withStream
      ? (['right', 'left', 'right', 'left', 'left', 'left', 'left'] as const)
      : (['right', 'right', 'left', 'left', 'left', 'left'] as const);
    // DATA is padded to at most 60 characters, so one large payload does not push METADATA far away.
    const maxWidths = headers.map((header) => (header === 'DATA' ? 60 : Number.POSITIVE_INFINITY));
    this.#table = new TablePrinter(printer, headers, align, options.chunkSize, maxWidths);
  }

  get count(): number {
    return this.#count;
  }

  async print(event: StoredEvent): Promise<void> {
    this.#count += 1;
    if (this.#json) {
      await this.#printer.json(eventToJson(event));
      return;
    }
    const time = event.timestamp.toISOString();
    const data = compact(event.data);
    const metadata = Object.keys(event.metadata).length === 0 ? '' : compact(event.metadata);
    await this.#table.row(
      this.#withStream
        ? [String(event.position), event.streamId, String(event.version), time, event.type, data, metadata]
        : [String(event.version), String(event.position), time, event.type, data, metadata],
    );
  }

  async flush(): Promise<void> {
    if (!this.#json) await this.#table.flush();
  }
}
