import { openStorage } from './open-storage.js';
import { runOrdersStory } from './run-orders.js';

const opened = await openStorage(process.env);
console.log(`Store: ${opened.description}\n`);
try {
  await runOrdersStory(opened.storage, (line) => console.log(line));
} finally {
  await opened.close();
}
