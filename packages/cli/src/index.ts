export { type CliIo, type CliOutput, run } from './run.js';
