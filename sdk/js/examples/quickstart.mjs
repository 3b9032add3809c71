// The five-minute quick start of docs/SDK.md. Run it with:
//   SELF_NODE_RPC=http://127.0.0.1:26657 SELF_OWNER=<alice's address> SELF_APP_ID=notes \
//   SELF_APP_KEY=hybrid:<seed hex> SELF_CHAIN_ID=<chain id> SELF_TRUST_HEIGHT=<height> \
//   SELF_TRUST_HASH=<that block's hash, from an explorer or your own node> node examples/quickstart.mjs
import { SELFClient, createLightClient, discover, isSELFError } from '@selfchain/sdk';

// The instance's URL and TLS key from x/registry, the proofs checked under a header
// the light client verified from the trust root (without one: the node's header).
const trusted = process.env.SELF_TRUST_HASH;
const lightClient = trusted
  ? createLightClient({
      rpc: process.env.SELF_NODE_RPC,
      chainId: process.env.SELF_CHAIN_ID,
      trust: { height: Number(process.env.SELF_TRUST_HEIGHT), hash: trusted },
      trustingPeriodMs: 14 * 24 * 3600_000,
    })
  : undefined;
const { instanceUrl, tlsKey, owner } = await discover({ nodeUrl: process.env.SELF_NODE_RPC, owner: process.env.SELF_OWNER, lightClient });
console.log(lightClient ? 'instance found, header verified by the light client' : 'instance found (header not verified: set SELF_TRUST_HASH)');
const [type, seed] = process.env.SELF_APP_KEY.split(':');
const appId = process.env.SELF_APP_ID;

const client = new SELFClient({ appId, appKey: { type, seed }, instanceUrl, tlsKey, owner });

// Ask for the scopes; the user approves once with `selfinstance approve <id>`.
const auth = await client.authenticate({
  appId,
  permissions: ['ai:chat', 'ai:context', 'storage:read', 'storage:write'],
  wait: { onPending: (id) => console.log(`waiting for the user: selfinstance approve ${id}`) },
});
console.log('session until', auth.expiresAt.toISOString(), 'scopes', auth.scopes.join(' '));

const response = await auth.ai.chat({ message: 'Help me plan my day', context: 'productivity' });
console.log('answer:', response.text);

process.stdout.write('streamed:');
for await (const piece of auth.ai.chat({ message: 'And tomorrow?', context: 'productivity', stream: true })) {
  process.stdout.write(piece);
}
process.stdout.write('\n');

const { version } = await auth.storage.save({ key: 'app-data', value: { preferences: { theme: 'dark' } }, encrypted: true });
const saved = await auth.storage.get('app-data');
console.log('saved version', version, 'value', JSON.stringify(saved.json()));
const page = await auth.storage.list({ limit: 10 });
console.log('keys:', page.items.map((i) => i.key).join(', '));

try {
  await auth.storage.delete('app-data'); // not granted: storage:delete was not asked for
} catch (err) {
  if (!isSELFError(err, 'forbidden')) throw err;
  console.log('delete refused:', err.code, err.decision);
}
