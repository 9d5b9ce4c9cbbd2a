/**
 * Typed errors of the store: start-up failures a person must fix (path, permissions, a foreign file) and audit-write
 * failures the caller must fail closed on. Each carries a stable string `code` for tests, logs and exit messages.
 */

export type StoreErrorCode =
  | 'store_not_writable'
  | 'store_not_a_database'
  | 'store_migration_failed'
  | 'store_open_failed'
  | 'audit_closed'
  | 'audit_queue_full'
  | 'audit_unserializable'
  | 'audit_write_failed';

/** A store failure with a stable `code`; `cause` keeps the driver's own error. */
export class StoreError extends Error {
  override readonly name = 'StoreError';
  readonly code: StoreErrorCode;

  constructor(code: StoreErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }
}
