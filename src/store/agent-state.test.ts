import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createAgentStateStore, readAgentState } from './agent-state.js';
import { openDatabase } from './open-database.js';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

describe('agent state', () => {
  it('suspends and unsuspends, and the state survives a reopen', () => {
    const dir = mkdtempSync(join(tmpdir(), 'portcullis-agents-'));
    dirs.push(dir);
    const path = join(dir, 'db.sqlite');
    const db = openDatabase(path, { backgroundCheckpoints: false });
    const store = createAgentStateStore(db, () => 1_000);
    expect(store.isSuspended('bot')).toBe(false);
    store.setSuspended('bot', true, 'alice', 'leaked a key');
    expect(store.isSuspended('bot')).toBe(true);
    db.close();

    const reopened = openDatabase(path, { backgroundCheckpoints: false });
    const again = createAgentStateStore(reopened);
    expect(again.isSuspended('bot')).toBe(true);
    expect(again.list()).toEqual([{ agent: 'bot', suspended: true, reason: 'leaked a key', updatedAt: 1_000, updatedBy: 'alice' }]);
    again.setSuspended('bot', false, 'bob');
    expect(again.isSuspended('bot')).toBe(false);
    expect(readAgentState(reopened, 'bot')).toMatchObject({ suspended: false, updatedBy: 'bob', reason: null });
    reopened.close();
  });
});
