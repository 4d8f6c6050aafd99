/**
 * Forwards events to NATS JetStream: each event published once, in per-stream order.
 *
 * @module @hindsight/nats
 */
export { createNatsForwarder, type NatsForwarderOptions } from './forwarder/create-nats-forwarder.js';
export { eventHeaders, type ForwardedEvent } from './forwarder/event-message.js';
export { eventSubject, subjectToken } from './forwarder/subjects.js';
