/**
 * Encodes strings as a PostgreSQL array literal (`{"a","b"}`), so both drivers send one plain
 * text parameter and neither driver's own array encoding is relied on.
 */
export function toArrayLiteral(values: readonly string[]): string {
  return `{${values.map((value) => `"${value.replaceAll('\\', '\\\\').replaceAll('"', '\\"')}"`).join(',')}}`;
}
