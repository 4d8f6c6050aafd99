import { join } from 'node:path';
import {
  createEventStore,
  defineStreamType,
  isEncryptedValue,
  isForgotten,
  personal,
  subjectKeysCollection,
} from '@hindsight/core';
import { createSqliteStorage } from '@hindsight/sqlite';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { cli, ndjson, temporaryFolder } from './test-support/cli-harness.js';

const Member = defineStreamType('Member', {
  MemberJoined: personal(z.object({ memberId: z.string(), email: z.string() }), {
    subject: (data) => data.memberId,
    fields: ['email'],
  }),
});
const email = 'ingrid.personal@example.com';

let folder: ReturnType<typeof temporaryFolder>;
let file: string;

beforeEach(async () => {
  folder = temporaryFolder();
  file = join(folder.path, 'events.db');
  const store = createEventStore({ storage: createSqliteStorage({ path: file }), events: [Member] });
  await store.append('Member-m1', [{ type: 'MemberJoined', data: { memberId: 'm-1', email } }], {
    streamType: 'Member',
  });
  await store.close();
});
afterEach(() => folder.remove());

async function readEmail(path: string): Promise<unknown> {
  const store = createEventStore({ storage: createSqliteStorage({ path }), events: [Member] });
  try {
    for await (const event of store.readStream('Member-m1')) return (event.data as { email: unknown }).email;
    return undefined;
  } finally {
    await store.close();
  }
}

describe('personal data from the command line', () => {
  it('export and import keep encrypted values encrypted', async () => {
    const exported = await cli(['export', '--file', file]);
    expect(exported.code).toBe(0);
    expect(exported.stdout).not.toContain(email);
    const [line] = ndjson(exported.stdout);
    expect(isEncryptedValue((line?.data as { email?: unknown } | undefined)?.email)).toBe(true);

    const copy = join(folder.path, 'copy.db');
    const imported = await cli(['import', '--file', copy], { stdin: exported.stdout });
    expect(imported.code).toBe(0);
    const again = await cli(['export', '--file', copy]);
    expect(ndjson(again.stdout)[0]?.data).toEqual(line?.data);
    // The keys stay with the store they were made in: the copy cannot read the value...
    expect(isForgotten(await readEmail(copy))).toBe(true);
    // ...until they are copied too.
    const source = createSqliteStorage({ path: file });
    const target = createSqliteStorage({ path: copy });
    for (const document of await source.documents.list(subjectKeysCollection, { limit: 10 })) {
      await target.documents.put(subjectKeysCollection, document.key, document.value);
    }
    await source.close();
    await target.close();
    expect(await readEmail(copy)).toBe(email);
  });

  it('forget tells consumers through a $SubjectForgotten event, which export and import carry', async () => {
    const forgot = await cli(['forget', 'm-1', '--yes', '--file', file]);
    expect(forgot.stdout).toContain('consumers are told at position 2');
    const exported = ndjson((await cli(['export', '--file', file])).stdout);
    expect(exported.map(({ type, streamId, data }) => [type, streamId, data])).toEqual([
      ['MemberJoined', 'Member-m1', exported[0]?.data],
      ['$SubjectForgotten', '$personal-data', { subjectId: 'm-1', streamIds: ['Member-m1'] }],
    ]);
    const copy = join(folder.path, 'copy.db');
    const stdin = (await cli(['export', '--file', file])).stdout;
    expect((await cli(['import', '--file', copy], { stdin })).code).toBe(0);
    expect(ndjson((await cli(['export', '--file', copy])).stdout)).toEqual(exported);
  });

  it('shows personal fields in tables as encrypted or forgotten', async () => {
    const before = await cli(['stream', 'Member-m1', '--file', file]);
    expect(before.stdout).toContain('"email":"‹encrypted›"');
    await cli(['forget', 'm-1', '--yes', '--file', file]);
    const events = await cli(['events', '--file', file]);
    expect(events.stdout).toContain('"email":"‹encrypted›"');
    const json = await cli(['events', '--file', file, '--json']);
    expect(isEncryptedValue((ndjson(json.stdout)[0]?.data as { email?: unknown } | undefined)?.email)).toBe(
      true,
    );
  });

  it('forget needs --yes, then the field reads as forgotten', async () => {
    const refused = await cli(['forget', 'm-1', '--file', file]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('add --yes');
    expect(await readEmail(file)).toBe(email);

    const forgotten = await cli(['forget', 'm-1', '--yes', '--file', file, '--json']);
    expect(forgotten.code).toBe(0);
    expect(JSON.parse(forgotten.stdout)).toMatchObject({ subjectId: 'm-1', streamIds: ['Member-m1'] });
    expect(await readEmail(file)).toEqual({ $forgotten: true, subject: 'm-1' });
  });
});
