// A default config file that does not load, as one importing a build that is not there yet.
export { aggregates } from './dist/not-built.js';
