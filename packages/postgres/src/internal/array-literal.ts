/**
 * Encodes strings as a PostgreSQL array literal (`{"a","b"}`), so both drivers send one plain
 * text parameter and neither driver's own array encoding is relied on. A loop with `includes`
 * before each `replaceAll`: most values (uuids, type names) need no escaping, and JSON texts no
 * backslash, so the common case copies nothing (this runs for every event appended).
 */
export function toArrayLiteral(values: readonly string[]): string {
  let literal = '{';
  for (let index = 0; index < values.length; index += 1) {
    let value = values[index] as string;
    if (value.includes('\\')) value = value.replaceAll('\\', '\\\\');
    if (value.includes('"')) value = value.replaceAll('"', '\\"');
    literal += index === 0 ? `"${value}"` : `,"${value}"`;
  }
  return `${literal}}`;
}
