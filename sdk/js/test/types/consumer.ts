import { SELFClient, pinnedFetch, isSELFError, ErrorCode, type SharedStorage } from '@selfchain/sdk';
const c = new SELFClient({ appId: 'notes', appKey: { type: 'hybrid', seed: 'ab' }, instanceUrl: 'https://x', tlsKey: 'ab' });
async function f() {
  const auth = await c.authenticate({ appId: 'notes', permissions: ['ai:chat'] });
  const r = await auth.ai.chat({ message: 'x', context: 'y' });
  const t: string = r.text;
  for await (const piece of auth.ai.chat({ message: 'x', stream: true })) { const s: string = piece; }
  await auth.storage.save({ key: 'k', value: { a: 1 }, encrypted: true });
  const diary: SharedStorage = auth.storage.shared('diary');
  const v = await diary.get({ key: 'notes/a', version: 1 });
  const page = await diary.list({ prefix: 'notes/', limit: 10 });
  const readOnly: string = ErrorCode.SharedReadOnly;
  return [t, pinnedFetch, isSELFError, v.text(), page.items.length, readOnly, ErrorCode.Namespace];
}
f;
// The light client as an app's TypeScript sees it.
import { createLightClient, discover, type LightClient, type SELFError } from '@selfchain/sdk';
async function g(): Promise<string> {
  const lc: LightClient = createLightClient({ rpc: 'http://127.0.0.1:26657', chainId: 'c', trust: { height: 1, hash: 'ab' }, trustingPeriodMs: 1 });
  const appHash: Uint8Array = await lc.verifiedAppHash(2);
  const h = await lc.verifyHeader(2);
  const reason: string | undefined = (null as unknown as SELFError).reason;
  const loc = await discover({ nodeUrl: 'http://127.0.0.1:26657', owner: 'self1x', lightClient: lc });
  return loc.instanceUrl + appHash.length + h.time.toISOString() + reason;
}
g;
