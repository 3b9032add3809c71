// Writes test/fixtures/js_signatures.json: signatures made by this SDK, verified
// by the Go SDK's TestJSVectors. Run after a change to the signers: npm run vectors.
import { writeFileSync, readFileSync } from 'node:fs';
import { signerFromSeed, toHex, fromHex } from '../dist/index.js';

const v = JSON.parse(readFileSync(new URL('../test/fixtures/vectors.json', import.meta.url), 'utf8'));
const keys = v.keys.map((k) => {
  const seed = crypto.getRandomValues(new Uint8Array(32));
  const s = signerFromSeed(k.type, seed);
  return { type: k.type, seed_hex: toHex(seed), pub_key_hex: toHex(s.publicKey), msg_hex: k.msg_hex, sig_hex: toHex(s.sign(fromHex(k.msg_hex))) };
});
writeFileSync(new URL('../test/fixtures/js_signatures.json', import.meta.url), JSON.stringify({ keys }, null, 2) + '\n');
