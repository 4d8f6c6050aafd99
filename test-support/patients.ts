import { defineAggregate, isForgotten, personal } from '@hindsight/core';
import { z } from 'zod';

/**
 * The aggregate the storages' personal-data suites write: a patient whose name is personal data
 * of the patient (its subject), read back as "(forgotten)" once the patient is forgotten.
 */
export const Patient = defineAggregate('Patient')
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
