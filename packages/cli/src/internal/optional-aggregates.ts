import type { AggregateDefinition } from '@hindsight/core';
import { CliError, usageError } from './cli-error.js';
import type { CommandContext } from './command.js';

/**
 * The config's aggregates for a command that also works without them: a `--config` given must
 * load; without one, the default file is used when there is one, and undefined is returned otherwise.
 */
export async function optionalAggregates(
  context: CommandContext,
  configOption: string | undefined,
): Promise<readonly AggregateDefinition[] | undefined> {
  try {
    return await context.loadAggregates(configOption);
  } catch (error) {
    if (configOption === undefined && error instanceof CliError && error.code === 'CONFIG_MISSING') {
      return undefined;
    }
    throw error;
  }
}

/** The `--config` and `--stored` options of the commands that print events (`stream`, `events`). */
export const readingOptions = {
  config: {
    type: 'string',
    short: 'c',
    value: 'MODULE',
    description:
      'a module exporting `aggregates`: events in their current shape, decrypted (default: ./hindsight.config.js or .mjs if present)',
  },
  stored: {
    type: 'boolean',
    description: 'events exactly as stored (their schema version, encrypted fields): no config is read',
  },
} as const;

/**
 * The definitions to read events through: the config's aggregates (so events print in their
 * current shape, as every other reader sees them, validated), or none with `--stored`, without
 * a config or with one that exports no `aggregates`.
 */
export async function readingDefinitions(context: CommandContext): Promise<readonly AggregateDefinition[]> {
  const configOption = typeof context.values.config === 'string' ? context.values.config : undefined;
  if (context.values.stored === true) {
    if (configOption !== undefined) throw usageError('--stored shows events as stored: it takes no --config');
    return [];
  }
  let aggregates: readonly AggregateDefinition[];
  try {
    aggregates = await context.loadAggregates(configOption, { optional: true });
  } catch (error) {
    // A config given must load; a default file that does not (not built yet, say) only costs the
    // current shape, so the stored events are still shown, saying why.
    if (configOption !== undefined || !(error instanceof CliError)) throw error;
    if (error.code === 'CONFIG_MISSING') return [];
    if (error.code !== 'CONFIG_INVALID') throw error;
    await context.err.line(`Events as stored: ${error.message}.`);
    return [];
  }
  if (aggregates.length === 0) return [];
  await context.err.line(
    `Events in their current shape, as the config's aggregates define them (${
      aggregates.map((aggregate) => aggregate.name).join(', ') || 'none'
    }); --stored shows them as stored, \`hindsight check\` lists those that no longer fit.`,
  );
  return aggregates;
}
