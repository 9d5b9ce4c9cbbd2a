/**
 * Incremental Server-Sent Events parser (the WHATWG event-stream format) over text chunks. Hand-written instead of
 * web streams: on Node 20 constructing a TextDecoderStream + parser stream per backend call cost milliseconds.
 * Bounded: an event larger than `maxEventChars` is an error, so a hostile backend cannot grow the buffer forever.
 */
export interface SseEvent {
  readonly event: string;
  readonly data: string;
  readonly id: string | undefined;
}

export interface SseParser {
  /** Feeds a chunk; calls `onEvent` for every complete event. Throws when an event exceeds the bound. */
  push(chunk: string): void;
  /** The last event id seen (for resuming with Last-Event-ID). */
  readonly lastEventId: string | undefined;
  /** The reconnection delay the server asked for with `retry:`, in ms. */
  readonly retryMs: number | undefined;
}

export function createSseParser(onEvent: (event: SseEvent) => void, maxEventChars: number): SseParser {
  let buffer = '';
  let data: string[] = [];
  let dataChars = 0;
  let eventType = '';
  let lastId: string | undefined;
  let retryMs: number | undefined;

  const dispatch = (): void => {
    if (data.length > 0) onEvent({ event: eventType || 'message', data: data.join('\n'), id: lastId });
    data = [];
    dataChars = 0;
    eventType = '';
  };

  const line = (text: string): void => {
    if (text === '') return dispatch();
    if (text.startsWith(':')) return; // comment (keep-alive)
    const colon = text.indexOf(':');
    const field = colon < 0 ? text : text.slice(0, colon);
    let value = colon < 0 ? '' : text.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    switch (field) {
      case 'data':
        dataChars += value.length;
        if (dataChars > maxEventChars) throw new Error(`event larger than ${maxEventChars} characters`);
        data.push(value);
        break;
      case 'event':
        eventType = value;
        break;
      case 'id':
        lastId = value;
        break;
      case 'retry':
        if (/^\d{1,9}$/.test(value)) retryMs = Number(value);
        break;
      default:
        break; // unknown fields are ignored
    }
  };

  return {
    get lastEventId() {
      return lastId;
    },
    get retryMs() {
      return retryMs;
    },
    push(chunk) {
      buffer += chunk;
      let start = 0;
      for (;;) {
        const lf = buffer.indexOf('\n', start);
        const cr = buffer.indexOf('\r', start);
        let end = lf < 0 ? cr : cr < 0 ? lf : Math.min(lf, cr);
        if (end < 0) break;
        // A CR at the very end may be the first half of CRLF: wait for the next chunk.
        if (end === cr && end === buffer.length - 1) break;
        const next = end === cr && buffer[end + 1] === '\n' ? end + 2 : end + 1;
        line(buffer.slice(start, end));
        start = next;
        end = -1;
      }
      buffer = buffer.slice(start);
      if (buffer.length > maxEventChars) throw new Error(`line longer than ${maxEventChars} characters`);
    },
  };
}
