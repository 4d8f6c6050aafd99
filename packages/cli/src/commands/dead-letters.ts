import { createEventStore, createListenerRunner, listDeadLetters } from '@hindsight/core';
import { CliError } from '../internal/cli-error.js';
import type { Command } from '../internal/command.js';
import { TablePrinter } from '../internal/output.js';
import { stringValue, wholeNumber } from '../internal/values.js';

export const deadLettersCommand: Command = {
  name: 'dead-letters',
  summary: "A listener's dead letters (events it gave up on), and retrying them",
  arguments: ['<listener>'],
  options: {
    retry: {
      type: 'boolean',
      description: "run the listener's handler again on its dead letters (needs --config)",
    },
    position: {
      type: 'string',
      value: 'N',
      description: 'with --retry: only the dead letter of the event at global position N',
    },
    config: {
      type: 'string',
      short: 'c',
      value: 'MODULE',
      description: 'a module exporting `listeners` (default: ./hindsight.config.js or .mjs)',
    },
  },
  details:
    'A listener that keeps failing on an event records a dead letter and moves on. Listing them\n' +
    "reads the store only. --retry runs the handler of the config module's listener (made with\n" +
    'defineListener) on each, oldest first: a success removes the dead letter, a failure keeps it\n' +
    'with one attempt more. Its `aggregates`, if any, upcast old events. Retry from one place at a\n' +
    "time: the listener's runner may retry the same letters (`retryDeadLetters`), and a handler\n" +
    'run twice has its effect twice unless it is idempotent.\n' +
    'Examples:\n' +
    '  hindsight dead-letters receipts\n' +
    '  hindsight dead-letters receipts --retry --config ./hindsight.config.js\n' +
    '  hindsight dead-letters receipts --retry --position 42',
  async run(context) {
    const [name = ''] = context.positionals;
    const position = wholeNumber('--position', stringValue(context.values.position), 1);
    const retrying = context.values.retry === true;
    if (position !== undefined && !retrying) {
      throw new CliError('--position applies to --retry', { usage: true, code: 'INVALID_ARGUMENT' });
    }
    const opened = await context.openStore();
    try {
      const letters = await listDeadLetters(opened, name);
      if (!retrying) {
        if (context.json) {
          await context.out.json(letters);
          return;
        }
        if (letters.length === 0) {
          await context.out.line(`no dead letters for listener "${name}"`);
          return;
        }
        const table = new TablePrinter(
          context.out,
          ['POSITION', 'TYPE', 'STREAM', 'ATTEMPTS', 'FAILED AT', 'ERROR'],
          ['right', 'left', 'left', 'right', 'left', 'left'],
        );
        for (const { event, attempts, failedAt, error } of letters) {
          await table.row([
            String(event.position),
            event.type,
            event.streamId,
            String(attempts),
            failedAt.toISOString(),
            error.message,
          ]);
        }
        await table.flush();
        return;
      }
      const configOption = stringValue(context.values.config);
      const listeners = await context.loadListeners(configOption);
      const listener = listeners.find((candidate) => candidate.name === name);
      if (listener === undefined) {
        const known = listeners.map((candidate) => candidate.name).join(', ') || 'none';
        throw new CliError(`no listener named "${name}" in the config (it has: ${known})`, {
          code: 'UNKNOWN_LISTENER',
        });
      }
      if (position !== undefined && !letters.some((letter) => letter.event.position === position)) {
        throw new CliError(`listener "${name}" has no dead letter at position ${position}`, {
          code: 'INVALID_ARGUMENT',
        });
      }
      const aggregates = await context.loadAggregates(configOption, { optional: true });
      const store = createEventStore({ storage: opened.storage, events: aggregates });
      // Not started: it only retries, and takes no lease from the application's runner.
      const runner = createListenerRunner(store, listener, { lease: false });
      const result =
        position === undefined
          ? await runner.retryDeadLetters()
          : (await runner.retryDeadLetter(position))
            ? { succeeded: 1, failed: 0 }
            : { succeeded: 0, failed: 1 };
      if (context.json) {
        await context.out.json({ listener: name, ...result });
        return;
      }
      await context.out.line(
        `Retried ${result.succeeded + result.failed} dead letter(s) of listener "${name}": ` +
          `${result.succeeded} succeeded, ${result.failed} failed again (kept).`,
      );
    } finally {
      await opened.close();
    }
  },
};
