import { Account } from './account.js';

/** The config module the tests pass to `hindsight state --config`. */
export const aggregates = [Account];
