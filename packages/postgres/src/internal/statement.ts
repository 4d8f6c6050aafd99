/** A parameterised SQL statement with a stable name, so `pg` prepares it once per connection. */
export interface Statement {
  readonly name: string;
  readonly text: string;
}

/**
 * Names a statement after its operation and a hash of its text: the text embeds the schema, and
 * `pg` refuses one name for two texts, so two storages on different schemas sharing a pool must
 * not collide.
 */
export function defineStatement(operation: string, text: string): Statement {
  return { name: `hindsight_${operation}_${fnv1a(text)}`, text };
}

function fnv1a(text: string): string {
  let hash = 0x811c9dc5;
  for (let index = 0; index < text.length; index += 1) {
    hash ^= text.charCodeAt(index);
    hash = Math.imul(hash, 0x01000193);
  }
  return (hash >>> 0).toString(16).padStart(8, '0');
}
