import { randomUUID } from 'node:crypto';
import { type JetStreamManager, jetstreamManager, type StoredMsg } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/nats-core';
import { connect } from '@nats-io/transport-node';
import type { ForwardedEvent } from '../forwarder/event-message.js';

/** The JetStream server the tests use. Under CI an unreachable server fails the run. */
export const natsUrl = process.env.HINDSIGHT_NATS_URL ?? 'nats://127.0.0.1:4222';

export async function connectTestServer(): Promise<NatsConnection> {
  try {
    return await connect({ servers: natsUrl, timeout: 3_000 });
  } catch (error) {
    throw new Error(
      `NATS with JetStream is not reachable at ${natsUrl}; start it or point HINDSIGHT_NATS_URL at one`,
      { cause: error },
    );
  }
}

/** A stream name (and subject prefix) no other test or concurrent run uses. */
export function uniqueStreamName(prefix = 'hs_test'): string {
  return `${prefix}_${randomUUID().replaceAll('-', '').slice(0, 12)}`;
}

export interface JetStreamMessage {
  readonly sequence: number;
  readonly subject: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly event: ForwardedEvent;
}

/** Every message of `stream`, by sequence. */
export async function readStreamMessages(
  connection: NatsConnection,
  stream: string,
): Promise<JetStreamMessage[]> {
  const manager = await jetstreamManager(connection);
  const { state } = await manager.streams.info(stream);
  const messages: JetStreamMessage[] = [];
  for (let sequence = state.first_seq; sequence <= state.last_seq && state.messages > 0; sequence += 1) {
    const message = await manager.streams.getMessage(stream, { seq: sequence });
    if (message !== null) messages.push(toTestMessage(message));
  }
  return messages;
}

function toTestMessage(message: StoredMsg): JetStreamMessage {
  const headers: Record<string, string> = {};
  for (const key of message.header.keys()) headers[key] = message.header.get(key);
  return {
    sequence: message.seq,
    subject: message.subject,
    headers,
    event: message.json<ForwardedEvent>(),
  };
}

export async function deleteStream(manager: JetStreamManager, stream: string): Promise<void> {
  await manager.streams.delete(stream).catch(() => false);
}
