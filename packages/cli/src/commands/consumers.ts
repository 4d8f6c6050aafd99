import { requestConsumerRestart } from '@hindsight/core';
import { CliError, usageError } from '../internal/cli-error.js';
import type { Command } from '../internal/command.js';
import { type ConsumerReport, reportConsumers } from '../internal/consumer-report.js';
import type { OpenedStore } from '../internal/open-store.js';
import { TablePrinter } from '../internal/output.js';
import { stringValue } from '../internal/values.js';

export const consumersCommand: Command = {
  name: 'consumers',
  summary: 'Every consumer the store knows: state, position, lag, owner, last error, dead letters',
  arguments: [],
  options: {
    restart: {
      type: 'string',
      value: 'CONSUMER',
      description: 'ask the failed consumer CONSUMER (its id, e.g. subscription:audit) to start again',
    },
    'delete-checkpoint': {
      type: 'string',
      value: 'CONSUMER',
      description: "delete a stopped consumer's checkpoint, so that it starts over (needs --yes)",
    },
    yes: { type: 'boolean', description: 'confirm --delete-checkpoint' },
  },
  details:
    'Read from the store, so it shows consumers run by other processes. STATE is failed (it gave\n' +
    'up on an event and has not got past it since: the event and the error follow the table),\n' +
    'running (a process holds its lease), stopped (no process holds its lease) or retired (a\n' +
    "projection version replaced by a rebuild). DEAD counts a listener's dead letters (see\n" +
    '`hindsight dead-letters`). A partitioned consumer has a row per partition\n' +
    '(`<id>#p<index>/<count>`), each with its own position, lag and owner.\n' +
    '--restart records a request in the store: the processes where that consumer failed look for\n' +
    'one every poll interval and start it again at the event it failed on (fix the cause first).\n' +
    '--delete-checkpoint deletes the checkpoint of a consumer no process runs (a subscription or\n' +
    'a listener): its next start begins again from its startFrom (default: the first event), so\n' +
    'it handles those events a second time. A projection is rebuilt instead (`hindsight rebuild`).\n' +
    'Examples:\n' +
    '  hindsight consumers\n' +
    '  hindsight consumers --json\n' +
    '  hindsight consumers --restart subscription:audit\n' +
    '  hindsight consumers --delete-checkpoint listener:mailer --yes',
  async run(context) {
    const restart = stringValue(context.values.restart);
    const checkpoint = stringValue(context.values['delete-checkpoint']);
    if (checkpoint !== undefined && context.values.yes !== true) {
      throw usageError(`${checkpoint} will handle its events again from its start: add --yes to confirm`);
    }
    const opened = await context.openStore();
    try {
      if (checkpoint !== undefined) {
        const position = await deleteCheckpoint(opened, checkpoint);
        if (context.json) await context.out.json({ consumer: checkpoint, deletedCheckpoint: position });
        else
          await context.out.line(
            `Deleted the checkpoint of ${checkpoint} (it was at ${position}): its next start begins from its startFrom.`,
          );
        return;
      }
      if (restart !== undefined) {
        if (!(await requestConsumerRestart(opened, restart))) {
          throw new CliError(`consumer "${restart}" has no recorded failure: nothing to restart`, {
            code: 'INVALID_ARGUMENT',
          });
        }
        if (context.json) await context.out.json({ consumer: restart, restartRequested: true });
        else
          await context.out.line(
            `Restart of ${restart} requested: its processes start it again within their poll interval.`,
          );
        return;
      }
      const reports = await reportConsumers(opened);
      if (context.json) {
        await context.out.json(reports);
        return;
      }
      if (reports.length === 0) {
        await context.out.line('no consumers (no checkpoint and no recorded failure in the store)');
        return;
      }
      const table = new TablePrinter(
        context.out,
        ['CONSUMER', 'STATE', 'POSITION', 'LAG', 'OWNER', 'DEAD'],
        ['left', 'left', 'right', 'right', 'left', 'right'],
      );
      for (const report of reports) {
        await table.row([
          report.consumerId,
          report.state,
          String(report.position ?? '-'),
          String(report.lag ?? '-'),
          report.owner ?? '-',
          String(report.deadLetters ?? '-'),
        ]);
      }
      await table.flush();
      for (const report of reports) {
        if (report.lastError !== null) await context.out.line(`\n${describeFailure(report)}`);
      }
    } finally {
      await opened.close();
    }
  },
};

/** Deletes the checkpoint of a consumer no process runs; the position it had. */
async function deleteCheckpoint(opened: OpenedStore, consumerId: string): Promise<number> {
  const { storage } = opened;
  if (consumerId.startsWith('projection:')) {
    // Its read model would get every event again on top of what it holds.
    throw new CliError(
      `${consumerId} is a projection's checkpoint: rebuild it instead (\`hindsight rebuild\`), or prune a retired version (\`hindsight prune\`)`,
      { code: 'INVALID_ARGUMENT' },
    );
  }
  const position = await storage.loadCheckpoint(consumerId);
  if (position === undefined) {
    throw new CliError(`${consumerId} has no checkpoint (see \`hindsight consumers\`)`, {
      code: 'INVALID_ARGUMENT',
    });
  }
  const lease = await storage.leases?.read(consumerId);
  if (lease !== undefined && lease.expiresAt.getTime() > Date.now()) {
    throw new CliError(`${consumerId} is running (lease held by ${lease.owner}): stop it first`, {
      code: 'INVALID_ARGUMENT',
    });
  }
  if (storage.deleteCheckpoint === undefined) {
    throw new CliError(`${opened.description} cannot delete checkpoints`, { code: 'INVALID_ARGUMENT' });
  }
  await storage.deleteCheckpoint(consumerId);
  return position;
}

/** One line on why a consumer failed, naming its event. */
export function describeFailure(report: ConsumerReport): string {
  const error = report.lastError;
  if (error === null) return `${report.consumerId}: no failure`;
  const { event } = error;
  const where =
    event === null
      ? ''
      : ` on ${event.type} event ${event.eventId} (stream ${event.streamId}, position ${event.position})`;
  return (
    `${report.consumerId} failed${where} after ${error.attempts} attempt(s) at ${error.failedAt}` +
    `${error.owner === null ? '' : ` (owner ${error.owner})`}: ${error.message}`
  );
}
