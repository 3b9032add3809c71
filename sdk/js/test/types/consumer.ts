import { SELFClient, pinnedFetch, isSELFError } from '@selfchain/sdk';
const c = new SELFClient({ appId: 'notes', appKey: { type: 'hybrid', seed: 'ab' }, instanceUrl: 'https://x', tlsKey: 'ab' });
async function f() {
  const auth = await c.authenticate({ appId: 'notes', permissions: ['ai:chat'] });
  const r = await auth.ai.chat({ message: 'x', context: 'y' });
  const t: string = r.text;
  for await (const piece of auth.ai.chat({ message: 'x', stream: true })) { const s: string = piece; }
  await auth.storage.save({ key: 'k', value: { a: 1 }, encrypted: true });
  return [t, pinnedFetch, isSELFError];
}
f;
