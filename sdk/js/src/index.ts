export * from './bytes.js';
export * from './errors.js';
export * from './keys.js';
export * from './wire.js';
export * from './sse.js';
export * from './client.js';
export * from './registry.js';
export { verifyResolve, verifyMembership, addressBytes } from './proof.js';
export * from './light.js';
