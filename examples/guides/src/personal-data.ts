import {
  createEventStore,
  createInMemoryStorage,
  createListenerRunner,
  createProjectionRunner,
  createRepository,
  defineAggregate,
  defineListener,
  defineProjection,
  type EventStorage,
  isForgotten,
  personal,
  type SubjectKeyStore,
} from '@hindsight/core';
import { createSqliteStorage, type SqliteTransaction } from '@hindsight/sqlite';
import { z } from 'zod';

// #region schema
const Patient = defineAggregate('Patient')
  .events({
    PatientRegistered: personal(
      z.object({ patientId: z.string(), name: z.string(), email: z.string().email(), ward: z.string() }),
      // Whose data it is (an id, never personal itself), and which fields are personal.
      { subject: (data) => data.patientId, fields: ['name', 'email'] },
    ),
    PatientDischarged: z.object({ patientId: z.string() }),
  })
  .initialState(() => ({ name: '', ward: '', discharged: false }))
  .evolve({
    // `data.name` is typed `string | Forgotten`: the handler decides what a forgotten name becomes.
    PatientRegistered: (state, { data }) => ({
      ...state,
      name: isForgotten(data.name) ? '(forgotten)' : data.name,
      ward: data.ward,
    }),
    PatientDischarged: (state) => ({ ...state, discharged: true }),
  })
  .commands({
    register: (_state, input: { patientId: string; name: string; email: string; ward: string }) => ({
      type: 'PatientRegistered',
      data: input,
    }),
    discharge: (_state, input: { patientId: string }) => ({ type: 'PatientDischarged', data: input }),
  });
// #endregion schema

/** The personal-data guide: personal fields encrypted at rest, then a patient forgotten. */
export async function personalDataTour(print: (line: string) => void): Promise<void> {
  const storage = createInMemoryStorage();
  // A read model the application keeps: names by patient id.
  const names = new Map<string, string>();
  // #region store
  const store = createEventStore({
    storage,
    events: [Patient],
    personalData: {
      // Read models built by the application hold copies: forget must reach them too.
      onForget: [({ subjectId }) => void names.delete(subjectId)],
    },
  });
  // #endregion store
  const patients = createRepository(store, Patient.withSnapshots({ every: 2 }));
  await patients.execute('p-7', (patient) =>
    patient
      .register({ patientId: 'p-7', name: 'Ada Byron', email: 'ada@example.com', ward: 'B' })
      .discharge({ patientId: 'p-7' }),
  );
  names.set('p-7', 'Ada Byron');

  // #region at-rest
  const [stored] = await storage.readStream('Patient-p-7', { direction: 'forward', limit: 1 });
  print(`stored: ${JSON.stringify(stored?.data).replace(/"(iv|tag|data|kid)":"[^"]*"/g, '"$1":"…"')}`);
  for await (const event of store.readStream('Patient-p-7')) print(`read: ${JSON.stringify(event.data)}`);
  // #endregion at-rest

  // #region forget
  const result = await store.forget('p-7');
  print(`forgot ${result.subjectId}: ${result.snapshotsDropped} snapshot dropped, ${names.size} names left`);
  const { state, version } = await patients.load('p-7');
  print(`loaded at version ${version}: ${JSON.stringify(state)}`);
  // #endregion forget
  for await (const event of store.readAll({ types: ['PatientRegistered'] })) {
    print(`read after forget: ${JSON.stringify(event.data)}`);
  }
}

/** Read models told of a forget through their own runners: in any process, on every rebuild. */
export async function forgetHooksTour(print: (line: string) => void): Promise<void> {
  const storage = createSqliteStorage({ path: ':memory:' });
  const store = createEventStore({ storage, events: [Patient] });
  const patients = createRepository(store, Patient);
  await patients.execute('p-8', 'register', {
    patientId: 'p-8',
    name: 'Grace Hopper',
    email: 'grace@example.com',
    ward: 'C',
  });
  // #region on-forget
  const PatientNames = defineProjection('patientNames', { from: [Patient] })
    .withTransaction<SqliteTransaction>()
    .on('PatientRegistered', (event, { transaction, version }) => {
      const name = isForgotten(event.data.name) ? '(forgotten)' : event.data.name;
      return storage.documents.put(`patient-names@${version}`, event.data.patientId, { name }, transaction);
    })
    // Runs when the forget's `$SubjectForgotten` event reaches the projection, in its page's
    // transaction: whichever process forgot, and again on a rebuild.
    .onForget(({ subjectId }, { transaction, version }) =>
      storage.documents.delete(`patient-names@${version}`, subjectId, transaction),
    );
  const MailingList = defineListener('mailingList', { from: [Patient] }).onForget(({ subjectId }) =>
    print(`mailing list: removed ${subjectId}`),
  );
  // #endregion on-forget
  const names = createProjectionRunner(store, PatientNames);
  const mailing = createListenerRunner(store, MailingList);
  await names.start();
  await mailing.start();
  try {
    const row = async () => (await storage.documents.get('patient-names@1', 'p-8'))?.value;
    await names.waitUntilCaughtUp();
    print(`before: ${JSON.stringify(await row())}`);
    // #region forget-told
    const { position } = await store.forget('p-8');
    await names.waitUntilCaughtUp(); // consumers are told through the log, at `position`
    // #endregion forget-told
    await mailing.waitUntilCaughtUp();
    print(`after forget at position ${position}: ${JSON.stringify((await row()) ?? null)}`);
  } finally {
    await names.stop();
    await mailing.stop();
    await store.close();
  }
}

/** A key store over an external vault: what an application writes to hold keys in its KMS. */
export function vaultKeyStore(vault: Map<string, { id: string; key: Uint8Array }[]>): SubjectKeyStore {
  // #region kms
  const keys: SubjectKeyStore = {
    async get(subject) {
      return vault.get(subject) ?? [];
    },
    async create(subject) {
      const key = { id: crypto.randomUUID(), key: crypto.getRandomValues(new Uint8Array(32)) };
      vault.set(subject, [...(vault.get(subject) ?? []), key]);
      return key;
    },
    async delete(subject) {
      vault.delete(subject);
    },
  };
  // #endregion kms
  return keys;
}

/** A store whose keys live in `vault` rather than in the storage. */
export function storeWithVault(storage: EventStorage, vault: Map<string, { id: string; key: Uint8Array }[]>) {
  return createEventStore({ storage, events: [Patient], personalData: { keys: vaultKeyStore(vault) } });
}

export { Patient };
