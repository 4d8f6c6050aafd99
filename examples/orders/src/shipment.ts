import { defineAggregate } from '@hindsight/core';
import { z } from 'zod';

/** The parcel for a shipped order, created by the shipping workflow (see workflows.ts). */
export const Shipment = defineAggregate('Shipment')
  .events({
    ShipmentCreated: z.object({ orderId: z.string().min(1), trackingId: z.string().min(1) }),
  })
  .initialState(() => ({
    orderId: undefined as string | undefined,
    trackingId: undefined as string | undefined,
  }))
  .evolve({
    ShipmentCreated: (_state, { data }) => ({ orderId: data.orderId, trackingId: data.trackingId }),
  })
  .commands({
    create: (state, input: { orderId: string; trackingId: string }, context) => {
      if (state.orderId !== undefined)
        context.reject('SHIPMENT_EXISTS', `Shipment ${context.id} already exists`);
      return { type: 'ShipmentCreated', data: input };
    },
  });
