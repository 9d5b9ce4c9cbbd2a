import { describe, expect, it, vi } from 'vitest';
import { withCommitListeners } from './commit-listeners.js';
import type { AuditLog, AuditRecord } from './types.js';

const record = { ts: 1, kind: 'event', method: 'x', decision: 'event', forwarded: false, mode: 'enforce' } as AuditRecord;

function fakeLog(append: () => Promise<void>): AuditLog {
  return { append: vi.fn(append), flush: vi.fn(async () => undefined), close: vi.fn(async () => undefined) };
}

describe('withCommitListeners', () => {
  it('hands each committed record to every listener, in order, after the append resolved', async () => {
    const seen: string[] = [];
    const log = withCommitListeners(fakeLog(async () => void seen.push('committed')), [() => seen.push('a'), () => seen.push('b')]);
    await log.append(record);
    expect(seen).toEqual(['committed', 'a', 'b']);
  });

  it('tells no listener of a write that failed, and the failure reaches the caller', async () => {
    const listener = vi.fn();
    const log = withCommitListeners(fakeLog(async () => Promise.reject(new Error('disk full'))), [listener]);
    await expect(log.append(record)).rejects.toThrow('disk full');
    expect(listener).not.toHaveBeenCalled();
  });

  it('a throwing listener is reported, the others still run, and the committed write still succeeds', async () => {
    const errors: unknown[] = [];
    const later = vi.fn();
    const log = withCommitListeners(fakeLog(async () => undefined), [() => { throw new Error('listener bug'); }, later], (e) => errors.push(e));
    await expect(log.append(record)).resolves.toBeUndefined();
    expect(later).toHaveBeenCalledWith(record);
    expect(String(errors[0])).toContain('listener bug');
  });
});
