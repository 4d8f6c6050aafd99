/**
 * The NATS subject of an event: `<prefix>.<streamType>.<eventType>`, so that other services
 * subscribe to exactly what they need (`orders.Order.>`, `orders.*.OrderPaid`).
 *
 * NATS splits subjects at dots and gives `*`, `>` and whitespace meaning, so every character
 * outside `[A-Za-z0-9_-]` of a stream or event type is written as `%` and its UTF-8 bytes in hex
 * (`Order.v2` becomes `Order%2Ev2`): distinct types never share a subject.
 *
 * @example
 * ```ts
 * eventSubject('shop', 'Order', 'OrderPaid'); // 'shop.Order.OrderPaid'
 * ```
 */
export function eventSubject(prefix: string, streamType: string, eventType: string): string {
  return `${prefix}.${subjectToken(streamType)}.${subjectToken(eventType)}`;
}

/** One subject token, reversibly escaped (see {@link eventSubject}). */
export function subjectToken(value: string): string {
  return value.replace(/[^A-Za-z0-9_-]/gu, (character) =>
    Array.from(
      new TextEncoder().encode(character),
      (byte) => `%${byte.toString(16).toUpperCase().padStart(2, '0')}`,
    ).join(''),
  );
}

/** A subject prefix is one or more plain tokens separated by dots, e.g. `hindsight` or `acme.orders`. */
export function isValidSubjectPrefix(prefix: string): boolean {
  return /^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*$/u.test(prefix);
}
