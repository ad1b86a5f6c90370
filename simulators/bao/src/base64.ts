/**
 * Base64 as the plugin decodes it: Go's base64.StdEncoding.DecodeString (standard alphabet,
 * mandatory '=' padding, '\r' and '\n' ignored, non-zero trailing bits tolerated). Checked in one
 * linear pass: a regular expression with a repeated group overflows V8's stack on inputs of a
 * few MiB.
 */

const ALPHABET = new Uint8Array(128);
for (const c of 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/')
  ALPHABET[c.charCodeAt(0)] = 1;

/**
 * Decode `text` like StdEncoding.DecodeString.
 * @returns the bytes, or undefined when Go would answer "illegal base64 data".
 */
export function decodeStdBase64(text: string): Uint8Array | undefined {
  const s = text.includes('\r') || text.includes('\n') ? text.replace(/[\r\n]/g, '') : text;
  if (s.length % 4 !== 0) return undefined;
  let pad = 0;
  while (pad < 2 && s.length - pad > 0 && s.charCodeAt(s.length - 1 - pad) === 0x3d) pad++;
  // At most two '=' and only at the end: "x===" and "====" fail the alphabet check below.
  const body = s.length - pad;
  for (let i = 0; i < body; i++) {
    const c = s.charCodeAt(i);
    if (c >= 128 || ALPHABET[c] !== 1) return undefined;
  }
  return new Uint8Array(Buffer.from(s, 'base64'));
}

/** Standard base64 with padding (Go's StdEncoding.EncodeToString). */
export function encodeStdBase64(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString('base64');
}
