/** Reads a request body up to a limit, so an oversized body is refused without being held in memory. */
export type BodyResult = { readonly ok: true; readonly text: string } | { readonly ok: false };

export async function readBodyCapped(request: Request, maxBytes: number): Promise<BodyResult> {
  const declared = Number(request.headers.get('content-length') ?? NaN);
  if (Number.isFinite(declared) && declared > maxBytes) return { ok: false };
  if (!request.body) return { ok: true, text: '' };
  const reader = request.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > maxBytes) {
      await reader.cancel().catch(() => undefined);
      return { ok: false };
    }
    chunks.push(value);
  }
  return { ok: true, text: Buffer.concat(chunks).toString('utf8') };
}

/**
 * The same, straight from Node's request stream: on @hono/node-server, touching `Request.body` materializes a full
 * undici Request and web streams, which cost more CPU than the rest of a call's parsing (bench/RESULTS.md).
 */
export async function readIncomingCapped(
  incoming: AsyncIterable<Buffer> & { headers: Record<string, string | string[] | undefined> },
  maxBytes: number,
): Promise<BodyResult> {
  const declared = Number(incoming.headers['content-length'] ?? NaN);
  if (Number.isFinite(declared) && declared > maxBytes) return { ok: false };
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const chunk of incoming) {
    total += chunk.byteLength;
    if (total > maxBytes) return { ok: false };
    chunks.push(chunk);
  }
  return { ok: true, text: Buffer.concat(chunks).toString('utf8') };
}
