import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { AggregateDefinition } from '@hindsight/core';
import { CliError, describeError } from './cli-error.js';

/** Module names tried when no `--config` is given, in the working directory. */
export const defaultConfigFiles = ['hindsight.config.js', 'hindsight.config.mjs'];

/** Finds the config module: `--config`, else a default file in `cwd`. */
export function findConfig(option: string | undefined, cwd: string): string {
  if (option !== undefined) return resolve(cwd, option);
  for (const file of defaultConfigFiles) {
    const path = resolve(cwd, file);
    if (existsSync(path)) return path;
  }
  throw new CliError(
    `this command needs your aggregates: give --config <module>, a module exporting \`aggregates\` ` +
      `(no ${defaultConfigFiles.join(' or ')} in ${cwd})`,
    { usage: true, code: 'CONFIG_MISSING' },
  );
}

/**
 * Imports a config module and returns its `aggregates`, checked to be aggregate definitions (made
 * by `defineAggregate`).
 */
export async function loadAggregates(path: string): Promise<readonly AggregateDefinition[]> {
  if (!existsSync(path)) throw new CliError(`config module ${path} does not exist`);
  let module: Record<string, unknown>;
  try {
    module = (await import(pathToFileURL(path).href)) as Record<string, unknown>;
  } catch (error) {
    throw new CliError(`cannot load config module ${path}: ${describeError(error)}`, { cause: error });
  }
  const aggregates = module.aggregates;
  if (!Array.isArray(aggregates)) {
    throw new CliError(
      `config module ${path} must export \`aggregates\`, an array of aggregate definitions ` +
        '(export const aggregates = [Order, Customer])',
    );
  }
  for (const [index, aggregate] of aggregates.entries()) {
    if (!isAggregate(aggregate)) {
      throw new CliError(
        `aggregates[${index}] in ${path} is not an aggregate definition (made with defineAggregate)`,
      );
    }
  }
  return aggregates as AggregateDefinition[];
}

function isAggregate(value: unknown): value is AggregateDefinition {
  if (typeof value !== 'object' || value === null) return false;
  const candidate = value as Record<string, unknown>;
  return (
    typeof candidate.name === 'string' &&
    typeof candidate.streamType === 'string' &&
    typeof candidate.streamIdOf === 'function' &&
    typeof candidate.initialState === 'function' &&
    typeof candidate.evolve === 'object'
  );
}
