import {
  createEventStore,
  createInMemoryStorage,
  createListenerRunner,
  createRepository,
  defineListener,
} from '@hindsight/core';
import { Account } from './bank.js';

/** A mail service that is down until `up` is set. */
export interface Mailer {
  up: boolean;
  readonly sent: string[];
  send(to: string, text: string, idempotencyKey: string): Promise<void>;
}

export function fakeMailer(): Mailer {
  const seen = new Set<string>();
  const mailer: Mailer = {
    up: true,
    sent: [],
    async send(to, text, idempotencyKey) {
      if (!mailer.up) throw new Error('mail service unavailable');
      if (seen.has(idempotencyKey)) return;
      seen.add(idempotencyKey);
      mailer.sent.push(`${to}: ${text}`);
    },
  };
  return mailer;
}

export function defineWelcomeMail(mailer: Mailer) {
  // #region listener
  return defineListener('welcomeMail', { from: [Account] }).on('AccountOpened', async (event) => {
    // At least once: the event id makes a repeated delivery harmless.
    await mailer.send(event.data.owner, 'Welcome to the bank!', event.eventId);
  });
  // #endregion listener
}

/** The listeners guide: a failing side effect becomes a dead letter and is retried later. */
export async function listenersTour(print: (line: string) => void): Promise<void> {
  const mailer = fakeMailer();
  const WelcomeMail = defineWelcomeMail(mailer);
  // #region runner
  const store = createEventStore({ storage: createInMemoryStorage(), events: [Account] });
  const accounts = createRepository(store, Account);
  const welcome = createListenerRunner(store, WelcomeMail, {
    retry: { attempts: 3, initialDelayMs: 10, maxDelayMs: 1_000 },
  });
  await welcome.start();
  // #endregion runner

  mailer.up = false;
  await accounts.execute('ada', 'open', { owner: 'Ada' });
  await welcome.waitUntilCaughtUp();
  // #region dead-letters
  for (const letter of await welcome.deadLetters()) {
    print(
      `${letter.event.type} at ${letter.event.position} failed ${letter.attempts} times: ${letter.error.message}`,
    );
  }
  // #endregion dead-letters

  mailer.up = true;
  await accounts.execute('bo', 'open', { owner: 'Bo' });
  await welcome.waitUntilCaughtUp();
  print(`sent: ${mailer.sent.join('; ')}`);

  // #region retry
  const { succeeded, failed } = await welcome.retryDeadLetters(); // once the mail service is back
  print(`retried: ${succeeded} succeeded, ${failed} failed`);
  // #endregion retry
  print(`sent: ${mailer.sent.join('; ')}`);
  await welcome.stop();

  // #region start-from-end
  const audit = defineListener('auditFeed', { from: [Account] }).on('AccountOpened', (event) => {
    print(`audit: ${event.data.owner} opened an account`);
  });
  // Deployed on a long history: only accounts opened from now on reach the feed.
  const auditFeed = createListenerRunner(store, audit, { startFrom: 'end' });
  await auditFeed.start();
  await accounts.execute('cy', 'open', { owner: 'Cy' });
  await auditFeed.waitUntilCaughtUp();
  // #endregion start-from-end
  await auditFeed.stop();
  await store.close();
}
