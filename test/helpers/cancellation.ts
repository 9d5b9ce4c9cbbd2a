/** The cancellation scenario both backend transports must pass (stdio and Streamable HTTP). */
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { expect } from 'vitest';
import { requestRows } from './audit.js';
import { textOf } from './client.js';
import { waitUntil } from './start-gateway.js';

/**
 * Aborts a 30 s operation after 300 ms: the call must reject within 5 s, the gateway must settle it (its audit row
 * says so long before the operation would end), and the client's next call must work.
 */
export async function expectCancellationSettles(client: Client, dbPath: string): Promise<void> {
  const controller = new AbortController();
  const startedAt = Date.now();
  const call = client.callTool(
    { name: 'everything__trigger-long-running-operation', arguments: { duration: 30, steps: 2 } },
    undefined,
    { signal: controller.signal, timeout: 60_000 },
  );
  setTimeout(() => controller.abort('test cancels'), 300);
  await expect(call).rejects.toThrow();
  expect(Date.now() - startedAt).toBeLessThan(5_000);
  await waitUntil(
    async () =>
      (await requestRows(dbPath, 'tools/call', { tool: 'trigger-long-running-operation' })).some(
        (r) => r.detail === 'cancelled by the client',
      ),
    5_000,
    'the audit row of the cancelled call',
  );
  const echo = await client.callTool({ name: 'everything__echo', arguments: { message: 'after cancel' } });
  expect(textOf(echo)).toContain('after cancel');
}
