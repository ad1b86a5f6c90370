/**
 * @fanout/bao-keyring — OpenBao secp256k1 client (popsigner plugin API) and a keyring with
 * concurrent batch create/sign (Celestia parallel workers) over the fan-out engine.
 */
export * from './client.js';
export * from './errors.js';
export * from './keyring.js';
export * from './store.js';
