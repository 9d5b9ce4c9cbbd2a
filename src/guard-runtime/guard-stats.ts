/** Per-guard counters and recent latencies, for `portcullis guards list`, /healthz and the dashboard. */
import type { FailureKind } from './abi.js';

const SAMPLES = 512;

export class GuardStats {
  calls = 0;
  readonly failures: Partial<Record<FailureKind, number>> = {};
  private readonly samples = new Float64Array(SAMPLES);
  private filled = 0;
  private next = 0;

  observe(ms: number): void {
    this.calls++;
    this.samples[this.next] = ms;
    this.next = (this.next + 1) % SAMPLES;
    this.filled = Math.min(SAMPLES, this.filled + 1);
  }

  fail(kind: FailureKind): void {
    this.failures[kind] = (this.failures[kind] ?? 0) + 1;
  }

  failureCount(): number {
    return Object.values(this.failures).reduce((a, b) => a + (b ?? 0), 0);
  }

  /** Median of the last 512 calls, in ms; undefined before the first. */
  p50(): number | undefined {
    if (this.filled === 0) return undefined;
    const sorted = Array.from(this.samples.subarray(0, this.filled)).sort((a, b) => a - b);
    return sorted[Math.floor(sorted.length / 2)];
  }
}
