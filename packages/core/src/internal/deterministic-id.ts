const encoder = new TextEncoder();

// A fixed namespace, so ids derived by Hindsight never collide with other name-based UUIDs.
const namespace = Uint8Array.from([
  0x3b, 0x1f, 0x7a, 0x52, 0x9c, 0x4e, 0x4d, 0x0a, 0x8e, 0x61, 0x2f, 0xd4, 0x07, 0xb3, 0x95, 0xc8,
]);

/**
 * A name-based UUID (version 5: SHA-1 of namespace + name): the same name always gives the same
 * id, so work repeated after a crash appends the same event ids and the store's idempotency rule
 * turns the repeat into a no-op. Uses Web Crypto only, so core stays dependency-free.
 */
export async function deterministicUuid(name: string): Promise<string> {
  const bytes = encoder.encode(name);
  const input = new Uint8Array(namespace.length + bytes.length);
  input.set(namespace);
  input.set(bytes, namespace.length);
  const hash = new Uint8Array(await globalThis.crypto.subtle.digest('SHA-1', input)).slice(0, 16);
  hash[6] = ((hash[6] ?? 0) & 0x0f) | 0x50;
  hash[8] = ((hash[8] ?? 0) & 0x3f) | 0x80;
  const hex = [...hash].map((byte) => byte.toString(16).padStart(2, '0')).join('');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
