#!/usr/bin/env node
import { isatty } from 'node:tty';
import { run } from './run.js';

// Ctrl-C stops a long command cleanly (closing the store); a second one exits at once.
const controller = new AbortController();
process.on('SIGINT', () => {
  if (controller.signal.aborted) process.exit(130);
  controller.abort();
});
// `hindsight events | head` closes the pipe early: that is the reader's choice, not an error.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code === 'EPIPE') process.exit(0);
  throw error;
});

// Touching process.stdin opens it, and an open stdin pipe can keep the process alive after the
// command ended (seen with `events --follow` stopped by Ctrl-C): only `import` reads it, so only
// `import` opens it.
const stdin = {
  isTTY: isatty(0),
  [Symbol.asyncIterator]: () => process.stdin[Symbol.asyncIterator](),
};

process.exitCode = await run(process.argv.slice(2), {
  stdout: process.stdout,
  stderr: process.stderr,
  env: process.env,
  stdin,
  signal: controller.signal,
});
