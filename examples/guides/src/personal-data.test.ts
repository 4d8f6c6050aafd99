import { createInMemoryStorage } from '@hindsight/core';
import { describe, expect, it } from 'vitest';
import { forgetHooksTour, personalDataTour, storeWithVault } from './personal-data.js';

describe('guide: personal data', () => {
  it('encrypts personal fields at rest, and forgets a patient while its stream still loads', async () => {
    const lines: string[] = [];
    await personalDataTour((line) => lines.push(line));
    expect(lines).toEqual([
      'stored: {"patientId":"p-7","name":{"$enc":"v1","subject":"p-7","kid":"…","iv":"…","tag":"…","data":"…"},"email":{"$enc":"v1","subject":"p-7","kid":"…","iv":"…","tag":"…","data":"…"},"ward":"B"}',
      'read: {"patientId":"p-7","name":"Ada Byron","email":"ada@example.com","ward":"B"}',
      'read: {"patientId":"p-7"}',
      'forgot p-7: 1 snapshot dropped, 0 names left',
      'loaded at version 2: {"name":"(forgotten)","ward":"B","discharged":true}',
      'read after forget: {"patientId":"p-7","name":{"$forgotten":true,"subject":"p-7"},"email":{"$forgotten":true,"subject":"p-7"},"ward":"B"}',
    ]);
  });

  it('tells a projection and a listener of a forget through their runners', async () => {
    const lines: string[] = [];
    await forgetHooksTour((line) => lines.push(line));
    expect(lines).toEqual([
      'before: {"name":"Grace Hopper"}',
      'mailing list: removed p-8',
      'after forget at position 2: null',
    ]);
  });

  it('keeps keys in an external key store when given one', async () => {
    const vault = new Map<string, { id: string; key: Uint8Array }[]>();
    const storage = createInMemoryStorage();
    const store = storeWithVault(storage, vault);
    await store.append(
      'Patient-p-1',
      [
        {
          type: 'PatientRegistered',
          data: { patientId: 'p-1', name: 'N', email: 'n@example.com', ward: 'A' },
        },
      ],
      { streamType: 'Patient' },
    );
    expect(vault.get('p-1')).toHaveLength(1);
    expect(await storage.documents?.list('hindsight.subject-keys', { limit: 10 })).toEqual([]);
    await store.forget('p-1');
    expect(vault.has('p-1')).toBe(false);
  });
});
