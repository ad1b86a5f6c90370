/**
 * @fanout/raida — RAIDAX sans-I/O codec (bytes in, bytes/objects out; no sockets, no clocks):
 * constants, request/response encode/decode with the server's validation order (and the 48-byte
 * modern response header), command payloads,
 * reply interpreters (bitfield, tickets, find), batching to the 1440-byte datagram budget, the fix
 * AN derivation, and encryption type 1 (AES-128-CTR).
 */
export * from './constants.js';
export * from './errors.js';
export * from './bytes.js';
export * from './crypto.js';
export * from './payload.js';
export * from './request.js';
export * from './response.js';
export * from './modern-response.js';
export * from './batch.js';
export * from './client.js';
