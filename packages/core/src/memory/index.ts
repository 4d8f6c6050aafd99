export {
  createInMemoryStorage,
  type InMemoryStorageOptions,
  type InMemoryTransaction,
} from './in-memory-storage.js';
