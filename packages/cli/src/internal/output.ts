/**
 * Where the CLI writes: `process.stdout` and `process.stderr`, or anything with the same two
 * methods (tests collect into strings).
 *
 * @example
 * ```ts
 * const chunks: string[] = [];
 * const stdout: CliOutput = { write: (chunk) => chunks.push(chunk) > 0, once: () => undefined };
 * ```
 */
export interface CliOutput {
  /** Returns false when the buffer is full: the CLI then waits for `'drain'`. */
  write(chunk: string): boolean;
  once(event: 'drain', listener: () => void): unknown;
}

/** Writes lines, waiting for the stream to drain when it says so (an export can be large). */
export class Printer {
  readonly #output: CliOutput;

  constructor(output: CliOutput) {
    this.#output = output;
  }

  async line(text = ''): Promise<void> {
    if (this.#output.write(`${text}\n`)) return;
    await new Promise<void>((resolve) => this.#output.once('drain', resolve));
  }

  async json(value: unknown): Promise<void> {
    await this.line(JSON.stringify(value));
  }
}

/** Right-aligned columns: numbers. */
export type Align = 'left' | 'right';

/**
 * Prints rows as aligned columns, a chunk at a time so memory stays bounded on long streams;
 * columns only ever widen, so later chunks stay aligned with earlier ones as far as possible.
 */
export class TablePrinter {
  readonly #printer: Printer;
  readonly #headers: readonly string[];
  readonly #align: readonly Align[];
  readonly #chunkSize: number;
  readonly #maxWidths: readonly number[];
  #widths: number[];
  #rows: string[][] = [];
  #headerPrinted = false;
  #count = 0;

  /** `maxWidths`: padding stops there; a longer cell overflows its column. */
  constructor(
    printer: Printer,
    headers: readonly string[],
    align: readonly Align[],
    chunkSize = 200,
    maxWidths: readonly number[] = [],
  ) {
    this.#maxWidths = maxWidths;
    this.#printer = printer;
    this.#headers = headers;
    this.#align = align;
    this.#chunkSize = chunkSize;
    this.#widths = headers.map((header) => header.length);
  }

  /** Rows printed or waiting to be. */
  get count(): number {
    return this.#count;
  }

  async row(cells: readonly string[]): Promise<void> {
    this.#rows.push([...cells]);
    this.#count += 1;
    if (this.#rows.length >= this.#chunkSize) await this.flush();
  }

  async flush(): Promise<void> {
    if (this.#rows.length === 0) return;
    for (const row of this.#rows) {
      for (const [index, cell] of row.entries()) {
        // A last left-aligned column is not padded: it holds JSON, as wide as it is.
        if (index < row.length - 1 || this.#align[index] === 'right') {
          const width = Math.min(cell.length, this.#maxWidths[index] ?? Number.POSITIVE_INFINITY);
          this.#widths[index] = Math.max(this.#widths[index] ?? 0, width);
        }
      }
    }
    if (!this.#headerPrinted) {
      this.#headerPrinted = true;
      await this.#printer.line(this.#format(this.#headers));
    }
    for (const row of this.#rows) await this.#printer.line(this.#format(row));
    this.#rows = [];
  }

  #format(cells: readonly string[]): string {
    return cells
      .map((cell, index) => {
        if (index === cells.length - 1 && this.#align[index] !== 'right') return cell;
        const width = this.#widths[index] ?? 0;
        return this.#align[index] === 'right' ? cell.padStart(width) : cell.padEnd(width);
      })
      .join('  ')
      .trimEnd();
  }
}

/** Compact JSON for a table cell; personal fields show as encrypted or forgotten, not as their JSON. */
export function compact(value: unknown): string {
  return JSON.stringify(value, personalValue) ?? 'undefined';
}

function personalValue(_key: string, value: unknown): unknown {
  if (typeof value !== 'object' || value === null) return value;
  const fields = value as Record<string, unknown>;
  if (fields.$forgotten === true && typeof fields.subject === 'string') return '‹forgotten›';
  if (fields.$enc === 'v1' && typeof fields.subject === 'string' && typeof fields.data === 'string') {
    return '‹encrypted›';
  }
  return value;
}
