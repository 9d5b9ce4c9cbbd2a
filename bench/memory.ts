/**
 * Memory with idle sessions: N sessions opened against a fresh gateway (raw initialize + initialized, then nothing),
 * and the gateway's resident set size from /proc before and after. HTTP backend sessions open lazily on first use,
 * so idle sessions cost the gateway only its own state. Both requests of each session are signed, as on the measured
 * path, so the RSS includes what signed sessions keep (the session's agent, the nonces seen).
 */
import { readRssBytes } from './lib/procfs.js';
import type { RequestSigner } from './lib/identity.js';
import { type RawSession, openRawSession } from './lib/raw-client.js';

export interface MemoryResult {
  readonly sessions: number;
  readonly baselineRssBytes: number;
  readonly rssBytes: number;
}

const OPEN_CONCURRENCY = 16;
const SETTLE_MS = 1_000;

/** Opens `sessions` sessions (16 at a time), lets the gateway settle, reads its RSS; the sessions stay open. */
export async function measureIdleSessionMemory(
  url: string,
  pid: number,
  sessions: number,
  signer: RequestSigner,
): Promise<MemoryResult> {
  await sleep(SETTLE_MS);
  const baselineRssBytes = readRssBytes(pid);
  const opened: RawSession[] = [];
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < sessions) {
      next++;
      opened.push(await openRawSession(url, { clientName: 'portcullis-bench-idle', signer }));
    }
  };
  await Promise.all(Array.from({ length: OPEN_CONCURRENCY }, worker));
  await sleep(SETTLE_MS);
  return { sessions: opened.length, baselineRssBytes, rssBytes: readRssBytes(pid) };
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
