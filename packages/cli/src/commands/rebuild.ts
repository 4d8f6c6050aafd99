import { createEventStore, isHindsightError, rebuildProjection } from '@hindsight/core';
import { CliError } from '../internal/cli-error.js';
import type { Command } from '../internal/command.js';
import { Progress } from '../internal/progress.js';
import { stringValue } from '../internal/values.js';

export const rebuildCommand: Command = {
  name: 'rebuild',
  summary: 'Rebuild a projection beside its live version and switch over, or replay one stream',
  arguments: ['<projection>'],
  options: {
    stream: {
      type: 'string',
      value: 'ID',
      description: 'replay only this stream, in place, into the live version',
    },
    restart: {
      type: 'boolean',
      description: 'start the new version afresh even if an interrupted rebuild left one half filled',
    },
    config: {
      type: 'string',
      short: 'c',
      value: 'MODULE',
      description: 'a module exporting `projections` (default: ./hindsight.config.js or .mjs)',
    },
  },
  details:
    'Fills version n+1 from the first event while version n stays live, then applies the last\n' +
    'events and switches in one transaction: readers never see a half-built read model. Progress\n' +
    'goes to stderr. Ctrl-C cancels; running it again resumes where it stopped. The config module\n' +
    'exports `projections`: definitions made with defineProjection, or a function taking the\n' +
    'storage and returning them (for read models kept in the storage, like keyed documents);\n' +
    'its `aggregates`, if any, upcast events stored at older schema versions.\n' +
    'Run it while the application runs: a runner of the projection elsewhere moves to the new\n' +
    'version by itself.\n' +
    'Examples:\n' +
    '  hindsight rebuild ordersView --config ./hindsight.config.js\n' +
    '  hindsight rebuild ordersView --stream Order-o-1',
  async run(context) {
    const [name = ''] = context.positionals;
    const configOption = stringValue(context.values.config);
    const streamId = stringValue(context.values.stream);
    const opened = await context.openStore();
    try {
      const projections = await context.loadProjections(configOption, opened.storage);
      const projection = projections.find((candidate) => candidate.name === name);
      if (projection === undefined) {
        const known = projections.map((candidate) => candidate.name).join(', ') || 'none';
        throw new CliError(`no projection named "${name}" in the config (it has: ${known})`, {
          code: 'UNKNOWN_PROJECTION',
        });
      }
      if (streamId !== undefined && (await opened.storage.streamInfo(streamId)) === undefined) {
        throw new CliError(`no stream "${streamId}" in ${opened.description}: nothing to replay`, {
          code: 'STREAM_NOT_FOUND',
        });
      }
      // The config's aggregates, where it exports them, upcast old events for the projection.
      const aggregates = await context.loadAggregates(configOption, { optional: true });
      const store = createEventStore({ storage: opened.storage, events: aggregates });
      const progress = new Progress(context.err, 'rebuilt');
      let reported = 0;
      const result = await rebuildProjection(store, projection, {
        ...(streamId === undefined ? {} : { streamId }),
        restart: context.values.restart === true,
        signal: context.signal,
        onProgress: ({ events, position, head }) => {
          reported = events;
          void progress.tick(events, ` (position ${position} of ${head})`);
        },
      }).catch((error: unknown) => {
        if (context.signal.aborted && isHindsightError(error, 'CONSUMER_STOPPED')) {
          throw new CliError(`cancelled after ${reported} events: run it again to resume where it stopped`, {
            code: 'INTERRUPTED',
            cause: error,
          });
        }
        throw error;
      });
      const summary = {
        projection: name,
        version: result.version,
        previousVersion: result.previousVersion,
        events: result.events,
        resumed: result.resumed,
        ...(streamId === undefined ? {} : { streamId }),
        seconds: Number(progress.seconds.toFixed(3)),
      };
      if (context.json) {
        await context.out.json(summary);
        return;
      }
      await progress.done(result.events);
      await context.out.line(
        streamId === undefined
          ? `Projection ${name}: version ${result.version} is live (was ${result.previousVersion})` +
              `${result.resumed ? ', an interrupted rebuild resumed' : ''}; ${result.events} events applied.`
          : `Projection ${name}: stream ${streamId} replayed into version ${result.version}; ${result.events} events applied.`,
      );
    } finally {
      await opened.close();
    }
  },
};
