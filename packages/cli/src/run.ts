import { type ParseArgsConfig, parseArgs } from 'node:util';
import { isHindsightError } from '@hindsight/core';
import { archiveCommand } from './commands/archive.js';
import { checkCommand } from './commands/check.js';
import { closeCommand } from './commands/close.js';
import { consumersCommand } from './commands/consumers.js';
import { deadLettersCommand } from './commands/dead-letters.js';
import { deleteCommand } from './commands/delete.js';
import { eventsCommand } from './commands/events.js';
import { exploreCommand } from './commands/explore.js';
import { exportCommand } from './commands/export.js';
import { forgetCommand } from './commands/forget.js';
import { importCommand } from './commands/import.js';
import { infoCommand } from './commands/info.js';
import { migrateCommand } from './commands/migrate.js';
import { projectionsCommand } from './commands/projections.js';
import { pruneCommand } from './commands/prune.js';
import { rebuildCommand } from './commands/rebuild.js';
import { stateCommand } from './commands/state.js';
import { streamCommand } from './commands/stream.js';
import { streamsCommand } from './commands/streams.js';
import {
  CliError,
  type CliErrorCode,
  describeError,
  hindsightCode,
  usageError,
} from './internal/cli-error.js';
import type { Command, CommandContext, OptionSpec } from './internal/command.js';
import { commandHelp, globalOptions, mainHelp } from './internal/help.js';
import { findConfig, loadAggregates, loadListeners, loadProjections } from './internal/load-config.js';
import { locateStore, type OpenedStore, openStore } from './internal/open-store.js';
import { type CliOutput, Printer } from './internal/output.js';
import { version } from './version.js';

export type { CliOutput } from './internal/output.js';

/**
 * What {@link run} reads and writes instead of the process: `bin.ts` passes the real ones, tests
 * their own.
 *
 * @example
 * ```ts
 * const controller = new AbortController();
 * process.once('SIGINT', () => controller.abort());
 * const io: CliIo = { stdout: process.stdout, stderr: process.stderr, env: process.env, stdin: process.stdin, signal: controller.signal };
 * ```
 */
export interface CliIo {
  readonly stdout: CliOutput;
  readonly stderr: CliOutput;
  /** Where `HINDSIGHT_DATABASE_URL`, `HINDSIGHT_PG_SCHEMA` and `HINDSIGHT_SQLITE_PATH` are read. */
  readonly env: Readonly<Record<string, string | undefined>>;
  /** What `import` reads (NDJSON). */
  readonly stdin?: AsyncIterable<string | Uint8Array>;
  /** Stops a long-running command (`events --follow`, `export`, `import`, `explore`) cleanly. */
  readonly signal?: AbortSignal;
  /** Resolves relative `--file` and `--config` paths (default `process.cwd()`). */
  readonly cwd?: string;
}

/**
 * Every command, in the order help lists them.
 *
 * @example
 * ```ts
 * for (const command of commands) console.log(command.name, command.summary);
 * ```
 */
export const commands: readonly Command[] = [
  migrateCommand,
  infoCommand,
  streamsCommand,
  streamCommand,
  eventsCommand,
  stateCommand,
  exportCommand,
  importCommand,
  rebuildCommand,
  projectionsCommand,
  consumersCommand,
  deadLettersCommand,
  pruneCommand,
  forgetCommand,
  checkCommand,
  closeCommand,
  archiveCommand,
  deleteCommand,
  exploreCommand,
];

type Values = CommandContext['values'];

/**
 * Runs the `hindsight` command line and resolves with its exit code (0 success, 1 failure). Never
 * throws and never exits the process: errors are printed to `io.stderr`.
 *
 * @example
 * ```ts
 * process.exitCode = await run(process.argv.slice(2), { stdout: process.stdout, stderr: process.stderr, env: process.env });
 * ```
 */
export async function run(args: readonly string[], io: CliIo): Promise<number> {
  const argv = commandFirst(args);
  const out = new Printer(io.stdout);
  const err = new Printer(io.stderr);
  let json = argv.includes('--json');
  let command: Command | undefined;
  try {
    command = findCommand(argv);
    if (command === undefined) {
      // No command: only the global options, --version and `help [command]` are valid here, and
      // every other input fails with a code like a command's would.
      const { values, positionals } = parseOptions(argv, { ...globalOptions, ...topLevelOptions });
      json = values.json === true;
      if (values.version === true) {
        await out.line(version);
        return 0;
      }
      const [first, topicName] = positionals;
      if (first === 'help') {
        if (topicName === undefined) {
          await out.line(mainHelp(commands));
          return 0;
        }
        const topic = commands.find((candidate) => candidate.name === topicName);
        if (topic === undefined) {
          throw new CliError(`unknown command "${topicName}"`, { usage: true, code: 'UNKNOWN_COMMAND' });
        }
        await out.line(commandHelp(topic));
        return 0;
      }
      if (first !== undefined) {
        throw new CliError(`unknown command "${first}": one of ${commandNames()}`, {
          usage: true,
          code: 'UNKNOWN_COMMAND',
        });
      }
      if (values.help === true) {
        await out.line(mainHelp(commands));
        return 0;
      }
      if (!json) await err.line(mainHelp(commands));
      throw new CliError(`missing <command>: one of ${commandNames()}`, {
        usage: true,
        code: 'MISSING_ARGUMENT',
      });
    }
    const { values, positionals } = parse(command, argv);
    json = values.json === true;
    if (values.help === true) {
      await out.line(commandHelp(command));
      return 0;
    }
    checkArguments(command, positionals);
    const cwd = io.cwd ?? process.cwd();
    const signal = io.signal ?? new AbortController().signal;
    const location = locateStore({
      url: stringOf(values.url),
      schema: stringOf(values.schema),
      file: stringOf(values.file),
      env: io.env,
      cwd,
    });
    const context: CommandContext = {
      values,
      positionals,
      json,
      out,
      err,
      stdin: io.stdin,
      signal,
      cwd,
      async openStore(options = {}): Promise<OpenedStore> {
        const opened = await openStore(location, { create: options.create ?? false });
        await err.line(`hindsight: ${opened.description}`);
        return opened;
      },
      loadAggregates: (configOption, options) => loadAggregates(findConfig(configOption, cwd), options),
      loadProjections: (configOption, storage) => loadProjections(findConfig(configOption, cwd), storage),
      loadListeners: (configOption) => loadListeners(findConfig(configOption, cwd)),
    };
    await command.run(context);
    return 0;
  } catch (error) {
    await report(err, error, command, json);
    return 1;
  }
}

/** The command: the first argument, unless it is an option (`hindsight --help`). */
function findCommand(argv: readonly string[]): Command | undefined {
  const [first] = argv;
  return commands.find((command) => command.name === first);
}

/**
 * Moves the command name first when store options come before it (`hindsight --url … info`), so
 * either order works. Only global options may precede the command.
 */
function commandFirst(argv: readonly string[]): readonly string[] {
  for (let index = 0; index < argv.length; index += 1) {
    const arg = argv[index] as string;
    if (arg === '--') return argv;
    if (!arg.startsWith('-')) {
      return index === 0 ? argv : [arg, ...argv.slice(0, index), ...argv.slice(index + 1)];
    }
    const name = arg.replace(/^--?/, '').split('=')[0] ?? '';
    if (globalOptions[name]?.type === 'string' && !arg.includes('=')) index += 1;
  }
  return argv;
}

/** Options valid only without a command. */
const topLevelOptions: Readonly<Record<string, OptionSpec>> = {
  version: { type: 'boolean', description: 'print the version' },
};

function commandNames(): string {
  return commands.map((command) => command.name).join(', ');
}

function parse(command: Command, argv: readonly string[]): { values: Values; positionals: string[] } {
  return parseOptions(argv.slice(1), { ...globalOptions, ...command.options });
}

function parseOptions(
  args: readonly string[],
  options: Readonly<Record<string, OptionSpec>>,
): { values: Values; positionals: string[] } {
  const config: ParseArgsConfig = {
    args: negativeValues(args, options),
    options: Object.fromEntries(
      Object.entries(options).map(([name, spec]) => [
        name,
        {
          type: spec.type,
          ...(spec.multiple === undefined ? {} : { multiple: spec.multiple }),
          ...(spec.short === undefined ? {} : { short: spec.short }),
        },
      ]),
    ),
    allowPositionals: true,
    strict: true,
  };
  try {
    const parsed = parseArgs(config);
    return { values: parsed.values as Values, positionals: parsed.positionals };
  } catch (error) {
    const { message, code } = parseError(error);
    throw new CliError(message, { usage: true, code, cause: error });
  }
}

/** Node's parseArgs messages, shortened to what went wrong, with the CLI's code for it. */
function parseError(error: unknown): { message: string; code: CliErrorCode } {
  const code = (error as { code?: unknown }).code;
  const message = describeError(error);
  const option = /'(-[^' ]+)/.exec(message)?.[1];
  if (code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') {
    return { message: `unknown option ${option ?? message}`, code: 'UNKNOWN_OPTION' };
  }
  if (code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE' && option !== undefined) {
    if (/argument missing|ambiguous/.test(message)) {
      return { message: `option ${option} needs a value`, code: 'MISSING_ARGUMENT' };
    }
    if (/does not take/.test(message)) {
      return { message: `option ${option} takes no value`, code: 'INVALID_ARGUMENT' };
    }
  }
  return { message, code: 'INVALID_ARGUMENT' };
}

/**
 * Joins a string option to a value that starts with a dash and a digit (`--after -1` becomes
 * `--after=-1`): parseArgs would read `-1` as an option, and the value check should see it.
 */
function negativeValues(args: readonly string[], options: Readonly<Record<string, OptionSpec>>): string[] {
  const joined: string[] = [];
  for (let index = 0; index < args.length; index += 1) {
    const arg = args[index] as string;
    const next = args[index + 1];
    if (arg === '--') return [...joined, ...args.slice(index)];
    if (
      next !== undefined &&
      /^-\d/.test(next) &&
      options[arg.slice(2)]?.type === 'string' &&
      arg.startsWith('--')
    ) {
      joined.push(`${arg}=${next}`);
      index += 1;
    } else joined.push(arg);
  }
  return joined;
}

function checkArguments(command: Command, positionals: readonly string[]): void {
  const expected = command.arguments.length;
  if (positionals.length < expected) {
    throw new CliError(`missing ${command.arguments.slice(positionals.length).join(' ')}`, {
      usage: true,
      code: 'MISSING_ARGUMENT',
    });
  }
  if (positionals.length > expected) {
    throw usageError(`unexpected argument "${positionals[expected]}"`);
  }
  for (const [index, value] of positionals.entries()) {
    if (value === '') throw usageError(`${command.arguments[index]} must not be empty`);
  }
}

async function report(
  err: Printer,
  error: unknown,
  command: Command | undefined,
  json: boolean,
): Promise<void> {
  const where = command === undefined ? 'hindsight' : `hindsight ${command.name}`;
  const code = hindsightCode(error) ?? (error instanceof CliError ? error.code : 'INTERNAL_ERROR');
  const message = describeError(error);
  if (json) {
    await err.json({ error: { code, message } });
    return;
  }
  await err.line(`${where}: error: [${code}] ${message}`);
  if (error instanceof CliError && error.usage) {
    await err.line(`Run \`${where} --help\` for usage.`);
  } else if (
    !(error instanceof CliError) &&
    !isHindsightError(error) &&
    error instanceof Error &&
    error.stack
  ) {
    // Not an error the CLI or Hindsight explains: the stack helps a bug report.
    await err.line(error.stack);
  }
}

function stringOf(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}
