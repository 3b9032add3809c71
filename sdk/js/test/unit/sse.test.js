// SSE parsing of the instance's chat stream, including broken and partial chunks.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { sseEvents, chatPieces, SELFError } from '../../dist/index.js';

const enc = new TextEncoder();
async function* chunks(parts) {
  for (const p of parts) yield typeof p === 'string' ? enc.encode(p) : p;
}
const collect = async (it) => {
  const out = [];
  for await (const x of it) out.push(x);
  return out;
};
const delta = (s) => `data: {"choices":[{"index":0,"delta":{"content":${JSON.stringify(s)}}}]}\n\n`;

test('pieces survive any split, CRLF, comments and multi-byte characters', async () => {
  const whole = ': keep-alive\r\n\r\n' + delta('Héllo') + delta(' wörld 🌍').replace(/\n/g, '\r\n') + 'data: [DONE]\n\n';
  const bytes = enc.encode(whole);
  for (let size = 1; size <= 7; size++) {
    const parts = [];
    for (let i = 0; i < bytes.length; i += size) parts.push(bytes.subarray(i, i + size));
    assert.deepEqual(await collect(chatPieces(chunks(parts))), ['Héllo', ' wörld 🌍'], `split every ${size} bytes`);
  }
});

test('a \\r at the end of one chunk and \\n at the start of the next is one line end', async () => {
  const evs = await collect(sseEvents(chunks(['data: a\r', '\ndata: b\r\n', '\r\n'])));
  assert.deepEqual(evs, [{ event: 'message', data: 'a\nb' }]);
});

test('empty deltas, role-only chunks and usage chunks are skipped', async () => {
  const s = 'data: {"choices":[{"delta":{"role":"assistant"}}]}\n\n' + delta('') + delta('x') +
    'data: {"choices":[],"usage":{"total_tokens":3}}\n\n' + 'data: [DONE]\n\n';
  assert.deepEqual(await collect(chatPieces(chunks([s]))), ['x']);
});

test('an error event mid-stream throws its typed error after the pieces before it', async () => {
  const s = delta('part') + 'event: error\ndata: {"error":{"code":"llm_unavailable","message":"the model stopped answering"}}\n\n';
  const got = [];
  await assert.rejects(async () => {
    for await (const p of chatPieces(chunks([s]))) got.push(p);
  }, (e) => e instanceof SELFError && e.code === 'llm_unavailable' && /stopped answering/.test(e.message) && /What to do/.test(e.message));
  assert.deepEqual(got, ['part']);
});

test('a stream cut before [DONE] is llm_malformed, never a silent short answer', async () => {
  await assert.rejects(collect(chatPieces(chunks([delta('a'), 'data: {"choi']))), (e) => e.code === 'decode' || e.code === 'llm_malformed');
  await assert.rejects(collect(chatPieces(chunks([delta('a')]))), (e) => e.code === 'llm_malformed');
});

test('a chunk that is not JSON is a decode error with the cause', async () => {
  await assert.rejects(collect(chatPieces(chunks(['data: {not json}\n\n']))), (e) => e.code === 'decode' && e.cause instanceof SyntaxError);
});

test('a last event without its blank line still counts', async () => {
  assert.deepEqual(await collect(sseEvents(chunks(['data: x']))), [{ event: 'message', data: 'x' }]);
});

test('a line over 1 MiB is refused', async () => {
  const big = new Uint8Array((1 << 20) + 10).fill(97);
  await assert.rejects(collect(sseEvents(chunks([big]))), (e) => e.code === 'decode');
});
