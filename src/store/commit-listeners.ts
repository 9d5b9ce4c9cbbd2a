/**
 * The audit log, with every committed record also handed to listeners (the dashboard's live feed, webhooks). A
 * listener runs only after its record is durable, so nothing hears of a decision that was not recorded; a listener
 * that throws is reported and never turns a committed write into a failed call.
 */
import type { AuditLog, AuditRecord } from './types.js';

export type CommitListener = (record: AuditRecord) => void;

export function withCommitListeners(log: AuditLog, listeners: readonly CommitListener[], onListenerError: (error: unknown) => void = () => undefined): AuditLog {
  return {
    async append(record) {
      await log.append(record);
      for (const listener of listeners) {
        try {
          listener(record);
        } catch (error) {
          onListenerError(error);
        }
      }
    },
    flush: () => log.flush(),
    close: () => log.close(),
  };
}
