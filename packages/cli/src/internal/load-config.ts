import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type {
  AggregateDefinition,
  EventStorage,
  ListenerDefinition,
  RunnableProjection,
} from '@hindsight/core';
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
    `this command needs your definitions: give --config <module>, a module exporting \`aggregates\` ` +
      `or \`projections\` (no ${defaultConfigFiles.join(' or ')} in ${cwd})`,
    { usage: true, code: 'CONFIG_MISSING' },
  );
}

/**
 * Imports a config module and returns its `aggregates`, checked to be aggregate definitions (made
 * by `defineAggregate`).
 */
export async function loadAggregates(
  path: string,
  options: { readonly optional?: boolean } = {},
): Promise<readonly AggregateDefinition[]> {
  const module = await importConfig(path);
  if (options.optional === true && module.aggregates === undefined) return [];
  return exportedList(module, path, {
    name: 'aggregates',
    example: 'export const aggregates = [Order, Customer]',
    made: 'an aggregate definition (made with defineAggregate)',
    check: isAggregate,
  });
}

/**
 * Imports a config module and returns its `projections`, checked to be projection definitions
 * (made by `defineProjection`). The export may also be a function of the storage returning them,
 * for projections whose read model lives in the storage itself (keyed documents).
 */
export async function loadProjections(
  path: string,
  storage: EventStorage<unknown>,
): Promise<readonly RunnableProjection<unknown>[]> {
  const module = await importConfig(path);
  const exported = module.projections;
  const projections = typeof exported === 'function' ? await exported(storage) : exported;
  return exportedList({ projections }, path, {
    name: 'projections',
    example: 'export const projections = [OrdersView], or a function (storage) => [OrdersView]',
    made: 'a projection definition (made with defineProjection)',
    check: isProjection,
  });
}

/**
 * Imports a config module and returns its `listeners`, checked to be listener definitions (made
 * by `defineListener`): what `hindsight dead-letters --retry` runs the handlers of.
 */
export async function loadListeners(path: string): Promise<readonly ListenerDefinition[]> {
  const module = await importConfig(path);
  return exportedList(module, path, {
    name: 'listeners',
    example: 'export const listeners = [Receipts]',
    made: 'a listener definition (made with defineListener)',
    check: isListener,
  });
}

async function importConfig(path: string): Promise<Record<string, unknown>> {
  if (!existsSync(path))
    throw new CliError(`config module ${path} does not exist`, { code: 'CONFIG_MISSING' });
  try {
    return (await import(pathToFileURL(path).href)) as Record<string, unknown>;
  } catch (error) {
    throw new CliError(`cannot load config module ${path}: ${describeError(error)}`, {
      code: 'CONFIG_INVALID',
      cause: error,
    });
  }
}

function exportedList<T>(
  module: Record<string, unknown>,
  path: string,
  expected: { name: string; example: string; made: string; check: (value: unknown) => value is T },
): readonly T[] {
  const list = module[expected.name];
  if (!Array.isArray(list)) {
    throw new CliError(
      `config module ${path} must export \`${expected.name}\`, an array (${expected.example})`,
      { code: 'CONFIG_INVALID' },
    );
  }
  for (const [index, item] of list.entries()) {
    if (!expected.check(item))
      throw new CliError(`${expected.name}[${index}] in ${path} is not ${expected.made}`, {
        code: 'CONFIG_INVALID',
      });
  }
  return list as T[];
}

function isProjection(value: unknown): value is RunnableProjection<unknown> {
  if (typeof value !== 'object' || value === null) return false;
  const candidate = value as Record<string, unknown>;
  return (
    typeof candidate.name === 'string' &&
    Array.isArray(candidate.types) &&
    Array.isArray(candidate.streamTypes) &&
    typeof candidate.handlePage === 'function' &&
    typeof candidate.reset === 'function' &&
    typeof candidate.activate === 'function'
  );
}

function isListener(value: unknown): value is ListenerDefinition {
  if (typeof value !== 'object' || value === null) return false;
  const candidate = value as Record<string, unknown>;
  return (
    typeof candidate.name === 'string' &&
    Array.isArray(candidate.types) &&
    Array.isArray(candidate.streamTypes) &&
    typeof candidate.handle === 'function' &&
    typeof candidate.on === 'function'
  );
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
