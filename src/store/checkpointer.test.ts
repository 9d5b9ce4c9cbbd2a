import { mkdtempSync, rmSync, statSync, unlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { startCheckpointer } from './checkpointer.js';
import { openDatabase } from './open-database.js';
import type { Database } from './open-database.js';

let dir: string;
let db: Database;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'portcullis-ckpt-'));
  db = openDatabase(join(dir, 'audit.db'), { backgroundCheckpoints: false });
});
afterEach(() => {
  if (db.sqlite.open) db.close();
  rmSync(dir, { recursive: true, force: true });
});

const autocheckpoint = (): unknown => db.sqlite.pragma('wal_autocheckpoint', { simple: true });
const sleep = (ms: number): Promise<void> => new Promise((done) => setTimeout(done, ms));

function writeRows(count: number): void {
  const insert = db.sqlite.prepare(
    `INSERT INTO audit_log (ts, kind, method, decision, forwarded, mode, payload) VALUES (?, 'event', 'x', 'event', 0, 'enforce', ?)`,
  );
  db.sqlite.transaction(() => {
    for (let i = 0; i < count; i += 1) insert.run(i, 'p'.repeat(1_000));
  })();
}

/** Polls `check` until it holds, so the test waits only as long as the worker needs. */
async function eventually(check: () => boolean, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await sleep(10);
  }
}

it('copies committed frames into the database file from the worker, not the writer', async () => {
  const checkpointer = startCheckpointer(db.sqlite, { intervalMs: 10, rewindPages: 100_000 });
  expect(autocheckpoint()).toBe(400_000);
  writeRows(2_000);
  // A PASSIVE checkpoint reports [busy, frames in the WAL, frames already copied]: the worker has copied them all.
  await eventually(() => {
    const [status] = db.sqlite.pragma('wal_checkpoint(PASSIVE)') as { log: number; checkpointed: number }[];
    return status !== undefined && status.log > 0 && status.log === status.checkpointed;
  });
  checkpointer.stop();
  expect(autocheckpoint()).toBe(1_000);
});

it('keeps the WAL file bounded under steady writes', async () => {
  const checkpointer = startCheckpointer(db.sqlite, { intervalMs: 10, rewindPages: 500 });
  const batches = 80; // about 0.5 MB a batch, 40 MB in all
  for (let batch = 0; batch < batches; batch += 1) {
    writeRows(500);
    await sleep(2);
  }
  checkpointer.stop();
  // The WAL rewinds only after a complete checkpoint; were that never to happen under steady writes, the file would
  // hold everything written. It stays near the 2 MB threshold plus what is written between two checkpoints.
  expect(statSync(`${db.path}-wal`).size).toBeLessThan((batches * 500 * 1_000) / 2);
});

it('hands checkpoints back to the writer when the worker fails', async () => {
  // The worker opens the file by name with fileMustExist, so a vanished file makes it fail at start.
  unlinkSync(db.path);
  startCheckpointer(db.sqlite, { intervalMs: 10, rewindPages: 100_000 });
  await eventually(() => autocheckpoint() === 1_000);
});
