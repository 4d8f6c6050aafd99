import { shutdownOnSignals } from '@hindsight/core';
import { openStorage } from './open-storage.js';
import { runOrdersStory } from './run-orders.js';

const opened = await openStorage(process.env);
console.log(`Store: ${opened.description}\n`);
let dispose = () => {};
try {
  await runOrdersStory(opened.storage, (line) => console.log(line), {
    // #region shutdown
    // Ctrl-C (or a `tsx watch` reload) while the workflows run: stop them, releasing their leases so
    // the next run takes over at once, then close the store; a second Ctrl-C ends the process anyway.
    onStart: (app) => {
      dispose = shutdownOnSignals({
        consumers: [app],
        store: opened,
        onShutdown: ({ signal }) => process.exit(signal === 'SIGINT' ? 130 : 143),
      });
    },
    // #endregion shutdown
  });
} finally {
  dispose();
  await opened.close();
}
