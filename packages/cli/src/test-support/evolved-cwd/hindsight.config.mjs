// The default config file a command finds in its working directory (tests run the CLI here).
export { aggregates } from '../evolved.config.ts';
