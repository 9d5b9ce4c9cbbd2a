import { describe, expect, it } from 'vitest';
import { type SseEvent, createSseParser } from './sse-parser.js';

function parse(chunks: string[], max = 1_000): SseEvent[] {
  const events: SseEvent[] = [];
  const parser = createSseParser((e) => events.push(e), max);
  for (const chunk of chunks) parser.push(chunk);
  return events;
}

describe('createSseParser', () => {
  it.each([
    ['one event', ['event: message\ndata: {"a":1}\n\n'], [{ event: 'message', data: '{"a":1}', id: undefined }]],
    ['default event type', ['data: x\n\n'], [{ event: 'message', data: 'x', id: undefined }]],
    ['multi-line data', ['data: a\ndata: b\n\n'], [{ event: 'message', data: 'a\nb', id: undefined }]],
    ['CRLF line ends', ['data: x\r\n\r\n'], [{ event: 'message', data: 'x', id: undefined }]],
    ['CR line ends', ['data: x\r\rdata: more'], [{ event: 'message', data: 'x', id: undefined }]],
    ['CRLF split across chunks', ['data: x\r', '\n\r\n'], [{ event: 'message', data: 'x', id: undefined }]],
    ['split mid-field', ['da', 'ta: hel', 'lo\n', '\n'], [{ event: 'message', data: 'hello', id: undefined }]],
    ['comments and retry ignored', [': ping\nretry: 10\ndata: y\n\n'], [{ event: 'message', data: 'y', id: undefined }]],
    ['id remembered', ['id: 7\ndata: z\n\n'], [{ event: 'message', data: 'z', id: '7' }]],
    ['no data, no event', ['event: x\n\n'], []],
    ['incomplete event held back', ['data: partial\n'], []],
    ['no space after colon', ['data:x\n\n'], [{ event: 'message', data: 'x', id: undefined }]],
  ])('%s', (_name, chunks, expected) => {
    expect(parse(chunks)).toEqual(expected);
  });

  it('refuses an event larger than the bound', () => {
    expect(() => parse([`data: ${'x'.repeat(50)}\n`], 20)).toThrow(/larger than 20/);
  });

  it('refuses an endless line without a newline', () => {
    expect(() => parse(['x'.repeat(50)], 20)).toThrow(/longer than 20/);
  });
});
