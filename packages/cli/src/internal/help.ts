import type { Command, OptionSpec } from './command.js';

/** Options every command accepts. */
export const globalOptions: Readonly<Record<string, OptionSpec>> = {
  url: {
    type: 'string',
    value: 'URL',
    description: 'PostgreSQL connection string (default: $HINDSIGHT_DATABASE_URL)',
  },
  schema: {
    type: 'string',
    value: 'NAME',
    description: 'PostgreSQL schema (default: $HINDSIGHT_PG_SCHEMA or hindsight)',
  },
  file: {
    type: 'string',
    value: 'PATH',
    description: 'SQLite file when no URL is given (default: $HINDSIGHT_SQLITE_PATH or .hindsight/events.db)',
  },
  json: { type: 'boolean', description: 'machine output: JSON (one object per line for lists)' },
  help: { type: 'boolean', short: 'h', description: 'show help' },
};

function optionLines(options: Readonly<Record<string, OptionSpec>>): string[] {
  const entries = Object.entries(options).map(([name, spec]) => {
    const short = spec.short === undefined ? '    ' : `-${spec.short}, `;
    const value = spec.value === undefined ? '' : ` <${spec.value}>`;
    const repeat = spec.multiple === true ? ' …' : '';
    return [`${short}--${name}${value}${repeat}`, spec.description] as const;
  });
  const width = Math.max(...entries.map(([flag]) => flag.length));
  return entries.map(([flag, description]) => `  ${flag.padEnd(width)}  ${description}`);
}

/** `hindsight <command> --help`. */
export function commandHelp(command: Command): string {
  const lines = [
    `Usage: hindsight ${[command.name, ...command.arguments].join(' ')} [options]`,
    '',
    `${command.summary}.`,
  ];
  if (command.details !== undefined) lines.push('', command.details);
  if (Object.keys(command.options).length > 0) lines.push('', 'Options:', ...optionLines(command.options));
  lines.push('', 'Store and output:', ...optionLines(globalOptions));
  return lines.join('\n');
}

/** `hindsight --help`. */
export function mainHelp(commands: readonly Command[]): string {
  const width = Math.max(...commands.map((command) => command.name.length));
  return [
    'Usage: hindsight <command> [options]',
    '',
    'Inspect and manage a Hindsight event store: the SQLite file .hindsight/events.db by default,',
    'PostgreSQL with --url or HINDSIGHT_DATABASE_URL.',
    '',
    'Commands:',
    ...commands.map((command) => `  ${command.name.padEnd(width)}  ${command.summary}`),
    '',
    'Store and output (every command):',
    ...optionLines(globalOptions),
    '',
    'Run `hindsight <command> --help` for a command’s options and examples.',
  ].join('\n');
}
