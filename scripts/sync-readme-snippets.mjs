// Rewrites each README code block announced by `<!-- snippet: path#region -->` with that region of
// the file, dedented. The README test fails when a block drifts; this puts it right.
import { readFileSync, writeFileSync } from 'node:fs';

const readmePath = new URL('../README.md', import.meta.url);
const readme = readFileSync(readmePath, 'utf8');

function region(path, name) {
  const source = readFileSync(new URL(`../${path}`, import.meta.url), 'utf8');
  const match = source.match(new RegExp(`// #region ${name}\\n([\\s\\S]*?)\\n\\s*// #endregion ${name}`));
  if (match?.[1] === undefined) throw new Error(`no region ${name} in ${path}`);
  const lines = match[1].split('\n');
  const indent = Math.min(...lines.filter((line) => line.trim() !== '').map((line) => line.search(/\S/)));
  return lines.map((line) => line.slice(indent)).join('\n');
}

const synced = readme.replace(
  /<!-- snippet: ([^#\s]+)#(\S+) -->\n```ts\n(?:[\s\S]*?\n)?```/g,
  (_block, path, name) => `<!-- snippet: ${path}#${name} -->\n\`\`\`ts\n${region(path, name)}\n\`\`\``,
);
writeFileSync(readmePath, synced);
console.log(synced === readme ? 'README snippets already in sync' : 'README snippets updated');
