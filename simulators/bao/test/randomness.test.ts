/**
 * Key material comes from the project's one seeded generator (@fanout/sim createRng(seed).fork
 * label, through rngBytesFn) or from an injected RandomBytes; never from a default the caller did
 * not choose, and never from a clock the caller did not pass.
 */
import { VirtualClock } from '@fanout/core';
import { createRng, rngBytesFn } from '@fanout/sim';
import { secp256k1 } from '@noble/curves/secp256k1.js';
import { describe, expect, it } from 'vitest';
import { BAO_KEY_STREAM, BaoOptionError, createBaoApp } from '../src/index.js';
import { call, unb64 } from './helpers.js';

async function exportedKey(sim: ReturnType<typeof createBaoApp>, name: string): Promise<Uint8Array> {
  await call(sim, 'POST', `/v1/secp256k1/keys/${name}`, { exportable: true });
  return unb64((await call(sim, 'GET', `/v1/secp256k1/export/${name}`)).json.data.keys['1']);
}

describe('key randomness', () => {
  it('derives seeded keys from createRng(seed).fork(BAO_KEY_STREAM) of @fanout/sim', async () => {
    const sim = createBaoApp({ clock: new VirtualClock(), seed: 7 });
    const stream = rngBytesFn(createRng(7).fork(BAO_KEY_STREAM));
    for (const name of ['a', 'b', 'c']) {
      const expected = secp256k1.utils.randomSecretKey(stream(48));
      expect(await exportedKey(sim, name)).toEqual(expected);
    }
  });

  it('same seed, same keys; other seed, other keys', async () => {
    const keys = async (seed: number) => {
      const sim = createBaoApp({ clock: new VirtualClock(), seed });
      return [await exportedKey(sim, 'x'), await exportedKey(sim, 'y')];
    };
    const a = await keys(11);
    expect(await keys(11)).toEqual(a);
    expect((await keys(12))[0]).not.toEqual(a[0]);
    expect(a[0]).not.toEqual(a[1]);
  });

  it('uses an injected RandomBytes as it is', async () => {
    const drawn: number[] = [];
    const random = (n: number): Uint8Array => {
      drawn.push(n);
      return new Uint8Array(n).fill(9);
    };
    const sim = createBaoApp({ clock: new VirtualClock(), rng: random });
    expect(await exportedKey(sim, 'k')).toEqual(secp256k1.utils.randomSecretKey(new Uint8Array(48).fill(9)));
    expect(drawn).toEqual([48]);
  });

  it('refuses to pick a generator or a clock for the caller', () => {
    expect(() => createBaoApp({ clock: new VirtualClock() })).toThrow(BaoOptionError);
    expect(() => createBaoApp({ clock: new VirtualClock() })).toThrow(/rng|seed/);
    expect(() => createBaoApp({ seed: 1 } as never)).toThrow(/clock/);
    expect(() => createBaoApp({ clock: new VirtualClock(), seed: 1, rng: () => new Uint8Array(48) })).toThrow(
      /not both/,
    );
    expect(() => createBaoApp({ clock: new VirtualClock(), seed: -1 })).toThrow(/seed/);
  });
});
