import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  createEventStore,
  createListenerRunner,
  createProjectionRunner,
  createRepository,
  defineListener,
  defineProjection,
  subjectKeysCollection,
} from '@hindsight/core';
import { afterAll, describe, expect, it } from 'vitest';
import { Patient } from '../../../test-support/patients.js';
import { createSqliteStorage } from './sqlite-storage.js';
import type { SqliteTransaction } from './sqlite-transaction.js';

const folder = mkdtempSync(join(tmpdir(), 'hindsight-shred-'));
afterAll(() => rmSync(folder, { recursive: true, force: true }));

/** The bytes of the database file and of its WAL, where SQLite could have left anything. */
function fileBytes(path: string): Buffer {
  return Buffer.concat(
    [path, `${path}-wal`, `${path}-journal`]
      .filter((file) => existsSync(file))
      .map((file) => readFileSync(file)),
  );
}

describe('personal data in a SQLite file', () => {
  it('after forget, neither the plaintext nor the key is anywhere in the file', async () => {
    const path = join(folder, 'patients.db');
    const storage = createSqliteStorage({ path });
    const plaintext = 'Zygmunt Quellenberg';
    const store = createEventStore({
      storage,
      events: [Patient],
      personalData: {
        // The application's read model keeps a copy of the name; its hook erases it.
        onForget: [({ subjectId }) => storage.documents.delete('patient-names', subjectId)],
      },
    });
    const patients = createRepository(store, Patient.withSnapshots({ every: 1 }));
    await patients.execute('p-1', 'admit', { patientId: 'p-1', name: plaintext, ward: 'B' });
    await storage.documents.put('patient-names', 'p-1', { name: plaintext });
    const [keyDocument] = await storage.documents.list(subjectKeysCollection, { limit: 10 });
    const keyText = String((keyDocument?.value as { key?: string } | undefined)?.key);
    storage.db.pragma('wal_checkpoint(TRUNCATE)');
    // The scan sees what it looks for before forget: the snapshot and the read model hold the name.
    expect(fileBytes(path).includes(plaintext)).toBe(true);
    expect(fileBytes(path).includes(keyText)).toBe(true);

    await store.forget('p-1');
    expect((await patients.load('p-1')).state).toEqual({ name: '(forgotten)', ward: 'B' });
    // The placeholder state may be snapshotted again: it holds nothing personal.
    await patients.execute('p-1', 'admit', { patientId: 'p-1', name: 'Someone Else', ward: 'C' });
    storage.db.pragma('wal_checkpoint(TRUNCATE)');
    await storage.close();

    const bytes = fileBytes(path);
    expect(bytes.includes(plaintext)).toBe(false);
    expect(bytes.includes(keyText)).toBe(false);
    expect(bytes.includes(Buffer.from(keyText, 'base64'))).toBe(false);
    expect(bytes.includes('Someone Else')).toBe(true);
  });

  it('tells consumers running on another connection (another process) of a forget, and rebuilds hear of it', async () => {
    const path = join(folder, 'two-processes.db');
    const writer = createSqliteStorage({ path });
    const reader = createSqliteStorage({ path });
    try {
      const forgetting = createEventStore({ storage: writer, events: [Patient] });
      await createRepository(forgetting, Patient).execute('p-2', 'admit', {
        patientId: 'p-2',
        name: 'Olga Forgettable',
        ward: 'A',
      });
      // The other process: its own store, a read model of names and a listener of forgets.
      const other = createEventStore({ storage: reader, events: [Patient] });
      const names = (version: number) => `patient-names@${version}`;
      const Names = defineProjection('patientNames', { from: [Patient] })
        .withTransaction<SqliteTransaction>()
        .on('PatientAdmitted', (event, { transaction, version }) =>
          reader.documents.put(names(version), event.data.patientId, { name: event.data.name }, transaction),
        )
        .onForget(({ subjectId }, { transaction, version }) =>
          reader.documents.delete(names(version), subjectId, transaction),
        );
      const told: string[] = [];
      const Crm = defineListener('crm', { from: [Patient] }).onForget(({ subjectId, streamIds }) => {
        told.push(`${subjectId} ${streamIds.join(',')}`);
      });
      const projection = createProjectionRunner(other, Names, { pollIntervalMs: 20 });
      const listener = createListenerRunner(other, Crm, { pollIntervalMs: 20 });
      await projection.start();
      await listener.start();
      try {
        await projection.waitUntilCaughtUp();
        expect((await reader.documents.get(names(1), 'p-2'))?.value).toEqual({ name: 'Olga Forgettable' });
        await forgetting.forget('p-2');
        await projection.waitUntilCaughtUp();
        await listener.waitUntilCaughtUp();
        expect(await reader.documents.get(names(1), 'p-2')).toBeUndefined();
        expect(told).toEqual(['p-2 Patient-p-2']);
        // A rebuild reads the name as Forgotten, then erases it again: nothing personal is left.
        await projection.rebuild();
        expect(await reader.documents.get(names(2), 'p-2')).toBeUndefined();
      } finally {
        await projection.stop();
        await listener.stop();
      }
    } finally {
      await writer.close();
      await reader.close();
    }
  });
});
