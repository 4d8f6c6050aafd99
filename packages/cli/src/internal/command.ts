import type {
  AggregateDefinition,
  EventStorage,
  ListenerDefinition,
  RunnableProjection,
} from '@hindsight/core';
import type { OpenedStore } from './open-store.js';
import type { CliOutput, Printer } from './output.js';

/** One option of a command, as `node:util` `parseArgs` takes it, plus its help. */
export interface OptionSpec {
  readonly type: 'string' | 'boolean';
  readonly multiple?: boolean;
  readonly short?: string;
  /** The value's placeholder in help, e.g. `N`, `ISO`. */
  readonly value?: string;
  readonly description: string;
}

/** What a command receives. */
export interface CommandContext {
  readonly values: Readonly<Record<string, string | boolean | (string | boolean)[] | undefined>>;
  readonly positionals: readonly string[];
  readonly json: boolean;
  readonly out: Printer;
  readonly err: Printer;
  readonly stdin: AsyncIterable<string | Uint8Array> | undefined;
  readonly signal: AbortSignal;
  readonly cwd: string;
  /** Opens the selected store, saying which on stderr; `create` makes a missing store. */
  openStore(options?: { create?: boolean }): Promise<OpenedStore>;
  /** Loads the aggregates of the `--config` module (or the default config file). */
  loadAggregates(
    configOption: string | undefined,
    options?: { readonly optional?: boolean },
  ): Promise<readonly AggregateDefinition[]>;
  /** Loads the projections of the `--config` module (or the default config file) for `storage`. */
  loadProjections(
    configOption: string | undefined,
    storage: EventStorage<unknown>,
  ): Promise<readonly RunnableProjection<unknown>[]>;
  /** Loads the listeners of the `--config` module (or the default config file). */
  loadListeners(configOption: string | undefined): Promise<readonly ListenerDefinition[]>;
}

/** A subcommand of `hindsight`. */
export interface Command {
  readonly name: string;
  readonly summary: string;
  /** Arguments after the command name, e.g. `<streamId>`. */
  readonly arguments: readonly string[];
  readonly options: Readonly<Record<string, OptionSpec>>;
  /** Extra help text: details and examples. */
  readonly details?: string;
  run(context: CommandContext): Promise<void>;
}

export type { CliOutput };
