import { describe, expect, it } from 'vitest';
import { decodeUtf8Strict, parseRustU64, rustLines, rustTrim } from '../src/index.js';

describe('Rust text rules', () => {
  it('rustLines follows str::lines', () => {
    expect(rustLines('')).toEqual([]);
    expect(rustLines('\n')).toEqual(['']);
    expect(rustLines('a')).toEqual(['a']);
    expect(rustLines('a\n')).toEqual(['a']);
    expect(rustLines('a\n\n')).toEqual(['a', '']);
    expect(rustLines('a\r\nb\r\n')).toEqual(['a', 'b']);
    expect(rustLines('foo\r\nbar\n\nbaz\r')).toEqual(['foo', 'bar', '', 'baz\r']);
    expect(rustLines('a\rb\nc')).toEqual(['a\rb', 'c']);
  });

  it('rustTrim strips Unicode White_Space but not U+FEFF', () => {
    expect(rustTrim(' \t\r\n x \u00a0\u2003')).toBe('x');
    expect(rustTrim('\uFEFFx')).toBe('\uFEFFx');
    expect(rustTrim('   ')).toBe('');
  });

  it('parseRustU64 follows u64::from_str', () => {
    expect(parseRustU64('0')).toBe(0n);
    expect(parseRustU64('+60')).toBe(60n);
    expect(parseRustU64('007')).toBe(7n);
    expect(parseRustU64('18446744073709551615')).toBe(18446744073709551615n);
    for (const bad of ['', '+', '-1', '-0', ' 1', '1 ', '1.0', '1e3', '0x10', '18446744073709551616', '١']) {
      expect(parseRustU64(bad)).toBeNull();
    }
  });

  it('decodeUtf8Strict rejects invalid sequences and keeps a BOM', () => {
    expect(decodeUtf8Strict(Uint8Array.of(0xef, 0xbb, 0xbf, 0x61))).toBe('\uFEFFa');
    expect(decodeUtf8Strict(Uint8Array.of(0xc0, 0xaf))).toBeNull(); // overlong
    expect(decodeUtf8Strict(Uint8Array.of(0xed, 0xa0, 0x80))).toBeNull(); // surrogate
    expect(decodeUtf8Strict(Uint8Array.of(0x68, 0x69))).toBe('hi');
  });
});
