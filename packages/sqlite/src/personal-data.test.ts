import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  createEventStore,
  createRepository,
  defineAggregate,
  isForgotten,
  personal,
  subjectKeysCollection,
} from '@hindsight/core';
import { afterAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createSqliteStorage } from './sqlite-storage.js';

const Patient = defineAggregate('Patient')
  .events({
    PatientAdmitted: personal(z.object({ patientId: z.string(), name: z.string(), ward: z.string() }), {
      subject: (data) => data.patientId,
      fields: ['name'],
    }),
  })
  .initialState(() => ({ name: '', ward: '' }))
  .evolve({
    PatientAdmitted: (_state, { data }) => ({
      name: isForgotten(data.name) ? '(forgotten)' : data.name,
      ward: data.ward,
    }),
  })
  .commands({
    admit: (_state, input: { patientId: string; name: string; ward: string }) => ({
      type: 'PatientAdmitted',
      data: input,
    }),
  });

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
});
