/**
 * Targets that misbehave on purpose, for the fuzzer's own tests (never part of a run): they are
 * only found by name when FANOUT_FUZZ_SELFTEST=1.
 */
import fc from 'fast-check';
import { hexOf, type DecoderTarget } from './target.js';

/** A decoder that never returns on an input starting with 0x07 (a hang). */
export function selftestHang(): DecoderTarget<Uint8Array> {
  return {
    name: 'selftest.hang',
    drives: 'a loop that never ends on inputs starting with 0x07 (watchdog test)',
    cost: 1,
    arbitrary: () => fc.uint8Array({ minLength: 1, maxLength: 4 }),
    run(b) {
      // eslint-disable-next-line no-empty
      if (b[0] === 7) for (;;) {}
      return 'accepted';
    },
    show: (b) => hexOf(b),
  };
}

/** A decoder that only ever accepts (the lane goes on after a hang). */
export function selftestOk(): DecoderTarget<Uint8Array> {
  return {
    name: 'selftest.ok',
    drives: 'accepts everything',
    cost: 1,
    arbitrary: () => fc.uint8Array({ maxLength: 4 }),
    run: () => 'accepted',
    show: (b) => hexOf(b),
  };
}
