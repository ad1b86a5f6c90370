/** Seeding helpers: mint tokens with 25 independent ANs and install them on fake RAIDA servers. */

import type { RandomBytes } from '@fanout/core';
import { AN_SIZE, checkInt, RAIDA_COUNT, RaidaEncodeError, type Token } from '@fanout/raida';

import type { RaidaServer } from './server.js';

/** A token as the whole network knows it: one independent 16-byte AN per RAIDA (index = RAIDA id). */
export interface MintedToken {
  readonly den: number;
  readonly sn: number;
  readonly ans: readonly Uint8Array[];
}

/** Options of {@link mintTokens}. */
export interface MintOptions {
  /** Denomination (int8) of every minted token; default 0. */
  readonly den?: number;
  /** Serial number of the first token; the rest follow consecutively. Default 1. */
  readonly firstSn?: number;
  /** ANs per token; default 25. */
  readonly raidaCount?: number;
}

/**
 * Mints `count` tokens with consecutive serial numbers and `raidaCount` independent ANs each, all
 * drawn from `rng` (16 bytes per AN, token by token, RAIDA 0 first) — the same seed gives the same tokens.
 * @throws RaidaEncodeError on a negative count, out-of-range den/SN, or an rng returning the wrong length.
 */
export function mintTokens(rng: RandomBytes, count: number, options: MintOptions = {}): MintedToken[] {
  const den = options.den ?? 0;
  const firstSn = options.firstSn ?? 1;
  const raidaCount = options.raidaCount ?? RAIDA_COUNT;
  checkInt('count', count, 0, 1_000_000);
  checkInt('den', den, -128, 127);
  checkInt('firstSn', firstSn, 0, 0xffff_ffff - Math.max(0, count - 1));
  checkInt('raidaCount', raidaCount, 1, 255);
  const out: MintedToken[] = [];
  for (let i = 0; i < count; i++) {
    const ans: Uint8Array[] = [];
    for (let r = 0; r < raidaCount; r++) {
      const an = rng(AN_SIZE);
      if (an.length !== AN_SIZE) throw new RaidaEncodeError('rng(16)', `returned ${an.length} bytes`);
      ans.push(an.slice());
    }
    out.push({ den, sn: firstSn + i, ans });
  }
  return out;
}

/** The token as RAIDA `raidaId` sees it (its AN there). @throws RaidaEncodeError when there is no AN for that id. */
export function tokenOn(minted: MintedToken, raidaId: number): Token {
  const an = minted.ans[raidaId];
  if (an === undefined)
    throw new RaidaEncodeError('raidaId', `token ${minted.den}/${minted.sn} has no AN for RAIDA ${raidaId}`);
  return { den: minted.den, sn: minted.sn, an: an.slice() };
}

/**
 * Installs each minted token on every server of `servers`: server s gets the AN at index `s.id`.
 * Servers without an AN for their id are skipped.
 */
export function installTokens(servers: readonly RaidaServer[], tokens: readonly MintedToken[]): void {
  for (const t of tokens) {
    for (const s of servers) {
      const an = t.ans[s.id];
      if (an !== undefined) s.installToken({ den: t.den, sn: t.sn, an });
    }
  }
}
