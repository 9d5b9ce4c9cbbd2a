import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { createSqliteAuditLog } from './audit-log.js';
import { openDatabase } from './open-database.js';

// DESIGN.md §6: a row whose append has resolved survives kill -9 of the gateway.
const here = dirname(fileURLToPath(import.meta.url));
const repoRoot = resolve(here, '..', '..');
let dir: string;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'portcullis-durable-'));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

const childScript = (): string => `
import { openDatabase } from ${JSON.stringify(pathToFileURL(join(here, 'open-database.ts')).href)};
import { createSqliteAuditLog } from ${JSON.stringify(pathToFileURL(join(here, 'audit-log.ts')).href)};
const db = openDatabase(process.argv[2]);
const log = createSqliteAuditLog(db, { maxPayloadBytes: 65536 });
await log.append({ ts: Date.now(), kind: 'request', method: 'tools/call', requestId: 'durable', decision: 'deny',
  forwarded: false, mode: 'enforce', payload: { big: 'x'.repeat(100000) } });
process.stdout.write('ok\\n'); // synchronous on a pipe
// Block the event loop until killed: had append resolved before its commit, the commit could never run now.
Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0);
`;

it('keeps a committed row after the writer is killed with SIGKILL', async () => {
  const script = join(dir, 'child.mts');
  const dbPath = join(dir, 'audit.db');
  writeFileSync(script, childScript());
  const child = spawn(process.execPath, ['--import', 'tsx', script, dbPath], {
    cwd: repoRoot,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<NodeJS.Signals | null>((done) => child.on('exit', (_code, signal) => done(signal)));
  await new Promise<void>((ok, fail) => {
    child.stdout.on('data', (chunk: Buffer) => {
      if (chunk.toString().includes('ok')) ok();
    });
    child.on('exit', () => fail(new Error(`child exited before appending: ${stderr}`)));
  });
  child.kill('SIGKILL');
  expect(await exited).toBe('SIGKILL');

  const db = openDatabase(dbPath);
  try {
    const log = createSqliteAuditLog(db, { maxPayloadBytes: 65536 });
    expect(log.query({}).map((row) => row.requestId)).toEqual(['durable']);
  } finally {
    db.close();
  }
});
