import { HindsightError } from './hindsight-error.js';

declare module './hindsight-error.js' {
  interface HindsightErrorClasses {
    SUBJECT_KEY_UNAVAILABLE: SubjectKeyUnavailableError;
  }
}

/**
 * The key store of personal data failed (an external KMS down, a storage error): the subject's
 * fields could not be encrypted or decrypted. Nothing was written; the read or append may be
 * retried. A key that is gone because the subject was forgotten is not an error: the fields read
 * as `Forgotten`.
 *
 * @example
 * ```ts
 * try { await store.append('Order-o1', events, { streamType: 'Order' }); }
 * catch (error) { if (isHindsightError(error, 'SUBJECT_KEY_UNAVAILABLE')) console.warn(error.subjectId); }
 * ```
 */
export class SubjectKeyUnavailableError extends HindsightError {
  readonly subjectId: string;
  /** What was being done: `'create'`, `'get'` or `'delete'`. */
  readonly operation: 'create' | 'get' | 'delete';

  constructor(details: { subjectId: string; operation: 'create' | 'get' | 'delete'; cause: unknown }) {
    const reason = details.cause instanceof Error ? details.cause.message : String(details.cause);
    super(
      'SUBJECT_KEY_UNAVAILABLE',
      `The key store could not ${details.operation} the key of data subject "${details.subjectId}": ${reason}`,
      { cause: details.cause, retryable: true },
    );
    this.subjectId = details.subjectId;
    this.operation = details.operation;
  }
}
