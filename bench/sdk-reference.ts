/**
 * For reference only: the same echo call made with the MCP SDK's own Client and Streamable HTTP transport, which
 * adds its own per-call work (schema validation, request bookkeeping) on top of the transport measured by latency.ts.
 * Against the gateway the transport's fetch is `createSigningFetch`, so these calls include the client's signing.
 */
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { SigningFetch } from '../src/identity/signer.js';
import { type Summary, summarize } from './lib/stats.js';

const CALL_TIMEOUT_MS = 10_000;

/** Sequential `callTool` latency on one SDK client session, after `warmup` unmeasured calls; `fetch` signs. */
export async function measureSdkLatency(
  url: string,
  tool: string,
  calls: number,
  warmup: number,
  fetch?: SigningFetch,
): Promise<Summary> {
  const client = new Client({ name: 'portcullis-bench-sdk', version: '1' });
  const transport = new StreamableHTTPClientTransport(new URL(url), fetch === undefined ? {} : { fetch });
  await client.connect(transport, { timeout: CALL_TIMEOUT_MS });
  try {
    const samples: number[] = [];
    for (let i = 0; i < warmup + calls; i++) {
      const started = performance.now();
      const result = await client.callTool({ name: tool, arguments: { message: 'sdk' } }, undefined, {
        timeout: CALL_TIMEOUT_MS,
      });
      if (result.isError) throw new Error(`${tool} via SDK client: ${JSON.stringify(result.content)}`);
      if (i >= warmup) samples.push(performance.now() - started);
    }
    return summarize(samples);
  } finally {
    await client.close();
  }
}
