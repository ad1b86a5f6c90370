/**
 * @fanout/sim-bao — a fake OpenBao server with the popsigner `secp256k1` plugin API: real
 * secp256k1 keys and signatures (@noble/curves), namespaces with per-namespace plugin mounts,
 * token auth as OpenBao reads it, OpenBao's request pipeline, error forms and body limit, health
 * switches, fault hooks (latency, errors, sealed, 429, reset, hang, lost reply, forged signature),
 * request counters, a binding into the sim kit's SimNetwork; the live HTTP server is in
 * `@fanout/sim-bao/live`.
 */
export * from './app.js';
export { requestToken } from './auth.js';
export { DEFAULT_MAX_REQUEST_BYTES } from './body.js';
export * from './crypto.js';
export * from './faults.js';
export { BaoFieldError } from './fields.js';
export { BaoNamespaceError, canonicalNamespace } from './namespaces.js';
export * from './network.js';
export {
  BaoKeyPair,
  BoundedMemo,
  DEFAULT_DERIVED_KEYS,
  DEFAULT_SIGNATURE_MEMO,
  FORGER_KEY_PAIR,
  derivedKeySource,
  type BaoKeySource,
} from './keys.js';
export { KEY_NAME } from './plugin.js';
export { BAO_KEY_STREAM, BaoRngError, seededKeyRandom } from './random.js';
export { KeyStore, type KeyEntry } from './store.js';
