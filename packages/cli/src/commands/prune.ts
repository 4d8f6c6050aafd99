import { pruneProjection } from '@hindsight/core';
import { CliError, usageError } from '../internal/cli-error.js';
import type { Command } from '../internal/command.js';
import { stringValue } from '../internal/values.js';

export const pruneCommand: Command = {
  name: 'prune',
  summary: 'Delete a retired projection version: its checkpoint and, through onPrune, its read model',
  arguments: ['<projection>'],
  options: {
    version: {
      type: 'string',
      value: 'N',
      description: 'the retired version to delete (see `hindsight projections`)',
    },
    config: {
      type: 'string',
      short: 'c',
      value: 'MODULE',
      description: 'a module exporting `projections` (default: ./hindsight.config.js or .mjs)',
    },
  },
  details:
    "Deletes the version's checkpoint and runs the projection's onPrune hook (which drops the\n" +
    "version's tables or documents) in one transaction. The live version, and one a rebuild is\n" +
    'filling, are refused (PROJECTION_VERSION_IN_USE). Without an onPrune hook only the checkpoint\n' +
    'goes, and the command says so.\n' +
    'Examples:\n' +
    '  hindsight prune ordersView --version 1 --config ./hindsight.config.js',
  async run(context) {
    const [name = ''] = context.positionals;
    const versionText = stringValue(context.values.version);
    const version = Number(versionText);
    if (versionText === undefined) {
      throw usageError('missing --version <N>: the retired version to delete', 'MISSING_ARGUMENT');
    }
    if (!Number.isSafeInteger(version) || version < 1) {
      throw usageError(`--version must be a version number ≥ 1 (got ${versionText})`);
    }
    const opened = await context.openStore();
    try {
      const projections = await context.loadProjections(stringValue(context.values.config), opened.storage);
      const projection = projections.find((candidate) => candidate.name === name);
      if (projection === undefined) {
        const known = projections.map((candidate) => candidate.name).join(', ') || 'none';
        throw new CliError(`no projection named "${name}" in the config (it has: ${known})`, {
          code: 'UNKNOWN_PROJECTION',
        });
      }
      const result = await pruneProjection(opened, projection, { version });
      if (context.json) {
        await context.out.json(result);
        return;
      }
      if (!result.checkpoint && !result.readModel) {
        await context.out.line(`Projection ${name}: version ${version} had nothing left to prune.`);
        return;
      }
      await context.out.line(
        result.readModel
          ? `Projection ${name}: version ${version} pruned (checkpoint and read model).`
          : `Projection ${name}: checkpoint of version ${version} deleted; the projection has no onPrune hook, so its read-model data is left.`,
      );
    } finally {
      await opened.close();
    }
  },
};
