/**
 * The few Rust standard-library text rules the Hubert server relies on, reproduced so its 400
 * responses match byte for byte (hubert-rust src/server/server.rs: `String::from_utf8`,
 * `str::lines`, `str::trim`, `str::parse::<u64>`).
 */

const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/**
 * Strict UTF-8 decode, keeping a leading BOM as a character (Rust `String::from_utf8`).
 * @returns the text, or null when `bytes` is not valid UTF-8.
 */
export function decodeUtf8Strict(bytes: Uint8Array): string | null {
  try {
    return utf8.decode(bytes);
  } catch {
    return null;
  }
}

/**
 * Rust `str::lines`: split at `\n`; a `\r` directly before the `\n` is dropped; a final line
 * ending adds no empty line; a bare `\r` at the very end stays in the last line.
 */
export function rustLines(text: string): string[] {
  if (text === '') return [];
  const parts = text.split('\n');
  const endsWithNewline = parts[parts.length - 1] === '';
  if (endsWithNewline) parts.pop();
  return parts.map((p, i) => {
    const terminated = i < parts.length - 1 || endsWithNewline;
    return terminated && p.endsWith('\r') ? p.slice(0, -1) : p;
  });
}

const WS_EDGES = /^\p{White_Space}+|\p{White_Space}+$/gu;

/** Rust `str::trim`: strip Unicode White_Space at both ends (U+FEFF is not White_Space, unlike JS `trim`). */
export function rustTrim(text: string): string {
  return text.replace(WS_EDGES, '');
}

const U64_MAX = 18_446_744_073_709_551_615n;

/**
 * Rust `str::parse::<u64>`: optional `+`, then one or more ASCII digits, value ≤ 2^64 − 1.
 * @returns the value, or null when Rust would fail to parse.
 */
export function parseRustU64(text: string): bigint | null {
  if (!/^\+?[0-9]+$/.test(text)) return null;
  const v = BigInt(text.startsWith('+') ? text.slice(1) : text);
  return v <= U64_MAX ? v : null;
}
