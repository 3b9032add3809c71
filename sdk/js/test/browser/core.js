// The SDK's core in a browser (no Node APIs): run by TestJSSDKInChromium
// (cmd/selfinstance/js_browser_test.go), which serves sdk/js over loopback with an
// import map for @noble/* and reads window.__result. It checks request signing
// against the Go SDK's vectors, and the light client on the CometBFT vectors.
import { signBytes, signerFromSeed, verify, fromHex, toHex, createLightClient, parseLightBlock, validatorSetHash, isSELFError } from '/dist/index.js';

const log = [];
const check = (cond, what) => {
  if (!cond) throw new Error(`failed: ${what}`);
  log.push(`ok ${what}`);
};

async function run() {
  const keys = await (await fetch('/test/fixtures/vectors.json')).json();
  for (const s of keys.sign_bytes) {
    check(toHex(signBytes(s.owner, s.nonce, s.method, s.path, fromHex(s.body_hex), s.timestamp)) === s.sign_bytes_hex, `signBytes ${s.method} ${s.path}`);
  }
  for (const k of keys.keys) {
    const signer = signerFromSeed(k.type, k.seed_hex);
    check(toHex(signer.publicKey) === k.pub_key_hex, `${k.type} key from seed`);
    check(verify(k.type, signer.publicKey, fromHex(k.msg_hex), fromHex(k.sig_hex)), `${k.type} Go signature verifies`);
    const sig = await signer.sign(fromHex(k.msg_hex));
    check(verify(k.type, signer.publicKey, fromHex(k.msg_hex), sig), `${k.type} signs`);
  }

  const v = await (await fetch('/test/vectors/light.json')).json();
  for (const [h, b] of Object.entries(v.blocks)) {
    const lb = parseLightBlock(b.commit, b.validators);
    check(toHex(lb.hash).toUpperCase() === b.commit.signed_header.commit.block_id.hash, `header ${h} hash`);
    check(toHex(validatorSetHash(lb.validators)).toUpperCase() === b.commit.signed_header.header.validators_hash, `validators ${h} hash`);
  }
  for (const c of v.cases) {
    const serve = c.serve ?? {};
    const rpcFetch = async (url) => {
      const u = new URL(url);
      const b = serve[u.searchParams.get('height')] ?? v.blocks[u.searchParams.get('height')];
      return new Response(JSON.stringify(b ? { result: u.pathname === '/commit' ? b.commit : b.validators } : { error: { data: 'no such height' } }));
    };
    const lc = createLightClient({ rpc: 'http://node.invalid', chainId: c.chain_id, trust: { height: c.trust_height, hash: c.trust_hash }, trustingPeriodMs: v.trusting_period_ms, fetch: rpcFetch, now: () => c.now_ms });
    let got = 'ok';
    try {
      const appHash = await lc.verifiedAppHash(c.height);
      check(toHex(appHash).toUpperCase() === v.blocks[c.height].commit.signed_header.header.app_hash, `${c.name}: app hash`);
    } catch (e) {
      if (!isSELFError(e)) throw e;
      got = `${e.code}/${e.reason}`;
    }
    check(got === c.want, `light: ${c.name} → ${got} (want ${c.want})`);
  }
}

run().then(
  () => (window.__result = { ok: true, log }),
  (e) => (window.__result = { ok: false, log, error: String(e && e.stack ? e.stack : e) }),
);
