#!/usr/bin/env node
// Committed, unlike dist/: npm links a package's bin when it installs, before any build, and a
// workspace whose bin target is missing then gets no `hindsight` in node_modules/.bin, so `npx
// hindsight` would fetch the unrelated registry package of that name instead.
import { existsSync } from 'node:fs';

const built = new URL('../dist/bin.js', import.meta.url);
if (!existsSync(built)) {
  process.stderr.write('hindsight: the CLI is not built yet (no dist/bin.js); run `npm run build` first.\n');
  process.exit(1);
}
await import(built.href);
