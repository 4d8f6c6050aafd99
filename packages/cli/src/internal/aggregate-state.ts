import {
  type AggregateDefinition,
  type AggregateRepository,
  type CommandHandler,
  createRepository,
  type EventSchemas,
  type EventStore,
  type LoadOptions,
} from '@hindsight/core';
import { CliError, usageError } from './cli-error.js';

/** One aggregate instance whose stream exists, with the repository that folds it. */
export interface LocatedAggregate {
  readonly name: string;
  readonly id: string;
  readonly streamId: string;
  readonly latestVersion: number;
  readonly repository: AggregateRepository<
    EventSchemas,
    unknown,
    Readonly<Record<string, CommandHandler<unknown, EventSchemas>>>
  >;
}

/** What `state --json` prints and the explorer's `/api/state` answers. */
export interface AggregateStateJson {
  readonly aggregate: string;
  readonly id: string;
  readonly streamId: string;
  readonly version: number;
  readonly latestVersion: number;
  /** ISO 8601, when the state was folded as of an instant. */
  readonly asOf?: string;
  readonly state: unknown;
}

/** The aggregate named `name` among the config's, or a usage error listing the names it has. */
export function findAggregate(aggregates: readonly AggregateDefinition[], name: string): AggregateDefinition {
  const definition = aggregates.find((aggregate) => aggregate.name === name);
  if (definition !== undefined) return definition;
  const known = aggregates.map((aggregate) => aggregate.name).join(', ') || 'none';
  throw usageError(`no aggregate named "${name}" in the config (it has: ${known})`, 'UNKNOWN_AGGREGATE');
}

/**
 * Finds the stream of aggregate `name` `id` and checks that `atVersion` is within it; `atVersion`
 * names the option or parameter for the error message.
 */
export async function locateAggregate(
  store: EventStore,
  aggregates: readonly AggregateDefinition[],
  request: { name: string; id: string; atVersion?: { name: string; value: number } | undefined },
): Promise<LocatedAggregate> {
  const { name, id, atVersion } = request;
  const definition = findAggregate(aggregates, name);
  const repository = createRepository(store, definition);
  const streamId = definition.streamIdOf(id);
  const info = await store.streamInfo(streamId);
  if (info === undefined) {
    throw new CliError(`no events for ${name} ${id} (stream "${streamId}")`, { code: 'STREAM_NOT_FOUND' });
  }
  if (atVersion !== undefined && atVersion.value > info.version) {
    throw new CliError(
      `${name} ${id} is at version ${info.version}: ${atVersion.name} ${atVersion.value} is beyond it`,
      { code: 'VERSION_OUT_OF_RANGE' },
    );
  }
  return { name, id, streamId, latestVersion: info.version, repository };
}

/** Folds a located aggregate now, at a version or as of an instant. */
export async function aggregateState(
  located: LocatedAggregate,
  options: LoadOptions,
): Promise<AggregateStateJson> {
  const loaded = await located.repository.load(located.id, options);
  return {
    aggregate: located.name,
    id: located.id,
    streamId: located.streamId,
    version: loaded.version,
    latestVersion: located.latestVersion,
    ...(options.asOf === undefined ? {} : { asOf: options.asOf.toISOString() }),
    state: loaded.state,
  };
}

/**
 * The aggregate id whose stream is `streamId`, when the definition's `streamIdOf` puts the id
 * between a fixed prefix and suffix (the default `Name-id` does): lets the explorer offer the
 * state of a stream it lists. Checked by mapping the id back.
 */
export function aggregateIdOf(definition: AggregateDefinition, streamId: string): string | undefined {
  const marker = '\u0000';
  const [prefix, suffix, ...rest] = definition.streamIdOf(marker).split(marker);
  if (prefix === undefined || suffix === undefined || rest.length > 0) return undefined;
  if (streamId.length < prefix.length + suffix.length) return undefined;
  if (!streamId.startsWith(prefix) || !streamId.endsWith(suffix)) return undefined;
  const id = streamId.slice(prefix.length, streamId.length - suffix.length);
  return id !== '' && definition.streamIdOf(id) === streamId ? id : undefined;
}
