// Server-sent events as the instance streams chat: OpenAI chunks, "[DONE]",
// and "event: error" carrying {"error": {...}}. Chunks may split anywhere
// (inside a line, inside a UTF-8 sequence, between \r and \n).
import { ErrorCode, SELFError, errorFromBody } from './errors.js';

export interface SSEEvent { event: string; data: string }

/** Splits a byte stream into SSE events (the WHATWG event-stream rules). */
export async function* sseEvents(body: AsyncIterable<Uint8Array>): AsyncGenerator<SSEEvent> {
  const dec = new TextDecoder();
  let buf = '';
  let event = '';
  let data: string[] = [];
  let pendingCR = false;
  const line = function* (l: string): Generator<SSEEvent> {
    if (l === '') {
      if (data.length > 0) yield { event: event || 'message', data: data.join('\n') };
      event = '';
      data = [];
      return;
    }
    if (l.startsWith(':')) return;
    const i = l.indexOf(':');
    const field = i < 0 ? l : l.slice(0, i);
    let value = i < 0 ? '' : l.slice(i + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    if (field === 'event') event = value;
    else if (field === 'data') data.push(value);
  };
  const feed = function* (text: string): Generator<SSEEvent> {
    buf += text;
    let start = 0;
    for (let i = 0; i < buf.length; i++) {
      const c = buf[i];
      if (c === '\n' && pendingCR) {
        pendingCR = false;
        start = i + 1;
        continue;
      }
      pendingCR = false;
      if (c === '\r' || c === '\n') {
        yield* line(buf.slice(start, i));
        pendingCR = c === '\r';
        start = i + 1;
      }
    }
    buf = buf.slice(start);
    if (buf.length > 1 << 20) throw new SELFError(ErrorCode.Decode, 'a streamed line is over 1 MiB');
  };
  for await (const chunk of body) yield* feed(dec.decode(chunk, { stream: true }));
  yield* feed(dec.decode());
  if (buf !== '') yield* line(buf); // a last line without its newline
  if (data.length > 0) yield { event: event || 'message', data: data.join('\n') };
}

interface Chunk { choices?: { delta?: { content?: unknown } }[] }

/**
 * Turns the instance's chat stream into the answer's text pieces. An error event
 * (also mid-stream) throws its SELFError; a stream cut before [DONE] throws
 * llm_malformed, so a truncated answer never looks complete.
 */
export async function* chatPieces(body: AsyncIterable<Uint8Array>, status = 200, onDone?: () => void): AsyncGenerator<string> {
  for await (const ev of sseEvents(body)) {
    if (ev.event === 'error') throw errorFromBody(status, ev.data);
    const d = ev.data.trim();
    if (d === '[DONE]') {
      onDone?.();
      return;
    }
    let c: Chunk;
    try {
      c = JSON.parse(d) as Chunk;
    } catch (cause) {
      throw new SELFError(ErrorCode.Decode, 'a streamed chunk does not decode', { cause });
    }
    const piece = c?.choices?.[0]?.delta?.content;
    if (typeof piece === 'string' && piece !== '') yield piece;
  }
  throw new SELFError(ErrorCode.LLMMalformed, 'the stream ended without [DONE]: the answer may be cut short');
}
