/**
 * Every decoder target, in run order. Names are what `--only decoder:<name>` selects.
 */
import { baoHttp } from './bao.js';
import { dhtFrame, dhtOutbox } from './dht.js';
import { frostCbor, frostSealed, frostUr } from './frost.js';
import { hubertHttp, hubertUr } from './hubert.js';
import { raidaRequest, raidaResponse } from './raida.js';
import { selftestHang, selftestOk } from './selftest.js';
import type { DecoderTarget } from './target.js';

/** Factories of every decoder target (a fresh target per run: targets keep their corpus keys). */
export const DECODER_TARGETS: readonly (() => DecoderTarget<never>)[] = [
  raidaRequest,
  raidaResponse,
  dhtFrame,
  dhtOutbox,
  frostCbor,
  frostUr,
  frostSealed,
  hubertUr,
  hubertHttp,
  baoHttp,
] as unknown as readonly (() => DecoderTarget<never>)[];

/** Names of every decoder target. */
export function decoderNames(): string[] {
  return DECODER_TARGETS.map((f) => f().name);
}

/**
 * The target called `name` (the self-test targets too when FANOUT_FUZZ_SELFTEST=1).
 * @throws RangeError for an unknown name.
 */
export function decoderTarget(name: string): DecoderTarget<unknown> {
  const all =
    process.env.FANOUT_FUZZ_SELFTEST === '1'
      ? [...DECODER_TARGETS, selftestHang, selftestOk]
      : DECODER_TARGETS;
  for (const f of all) {
    const t = f() as DecoderTarget<unknown>;
    if (t.name === name) return t;
  }
  throw new RangeError(`unknown decoder target "${name}"`);
}
