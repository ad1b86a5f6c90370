/**
 * The FROST-over-Hubert demo (frost-hubert-rust frost-demo.py, on our coordinator): a DKG among N
 * participants, then a signing session, against the Hubert simulator (sim: virtual time, seeded;
 * live: a real Hubert HTTP server on 127.0.0.1), ending with an Ed25519 signature that is checked
 * with plain `ed25519.verify` from @noble/curves.
 *
 * The cast answers after seeded think times (sim: 1-30 s of virtual time; live: 20-200 ms), and
 * when there is a spare participant (N > minSigners) the last one declines to sign with
 * "Busy right now", as in the seed's progress example.
 */
import { ed25519 } from '@noble/curves/ed25519.js';
import { sha256 } from '@noble/hashes/sha2.js';
import type { DkgFlowResult, RoundEvent, SignFlowResult, Xid } from '@fanout/frost';
import { createRng } from '@fanout/sim';
import type { Mode } from '../framework.js';
import { buildFrostWorld, type FrostBackend, type ParticipantSpec } from './world.js';

/** Options of {@link runFrostDemo}. */
export interface FrostDemoOptions {
  /** Participants (2..100). */
  readonly participants: number;
  /** Threshold (2..participants). */
  readonly minSigners: number;
  readonly mode: Mode;
  /** Hubert backend (default 'server'); memory, mainline and hybrid are sim only. */
  readonly backend?: FrostBackend;
  readonly seed: number;
  /** Proceed with signing once minSigners commitments arrived. */
  readonly quorumExit?: boolean;
  /** Upstream's sequential rounds instead of parallel fan-out. */
  readonly sequential?: boolean;
  /** Per-participant timeout, ms (default 600 s parallel / 30 s sequential). */
  readonly timeoutMs?: number;
  /** Bytes to sign (default the UTF-8 of "fanout-lab FROST over Hubert demo"). */
  readonly target?: Uint8Array;
  /** Think times in ms per participant instead of the seeded ones. */
  readonly thinkMs?: readonly number[];
  readonly onRoundEvent?: (event: RoundEvent) => void;
  /** Called with 'dkg' / 'sign' when a flow starts, with the world's names. */
  readonly onStage?: (
    stage: 'dkg' | 'sign',
    info: { names: ReadonlyMap<Xid, string>; hubertUrl?: string },
  ) => void;
  /** Ctrl-C: aborts in-flight work; the result reports what was done. */
  readonly signal?: AbortSignal;
}

/** What the demo produced. */
export interface FrostDemoResult {
  /** DKG and signing both succeeded and the signature verified with plain Ed25519. */
  readonly ok: boolean;
  readonly aborted: boolean;
  /** Where it stopped ('done' when it got through). */
  readonly stage: 'dkg' | 'sign' | 'done';
  readonly names: ReadonlyMap<Xid, string>;
  readonly dkg: DkgFlowResult;
  readonly sign?: SignFlowResult;
  /** 32-byte group verifying key (Ed25519 public key). */
  readonly groupVerifyingKey?: Uint8Array;
  readonly target: Uint8Array;
  /** SHA-256(target): the message FROST signed. */
  readonly digest: Uint8Array;
  readonly signature?: Uint8Array;
  /** `ed25519.verify(signature, digest, groupVerifyingKey)` from @noble/curves. */
  readonly verified: boolean;
  /** Why it failed (when not ok). */
  readonly failure?: string;
  readonly hubertUrl?: string;
  /** Clock time of the DKG and the signing session, ms (virtual in sim, wall in live). */
  readonly dkgMs: number;
  readonly signMs: number;
  /** Sim only: the run's trace hash (same seed → same hash). */
  readonly traceHash?: string;
}

/**
 * Run the demo. Never throws for participant behaviour or a failed round (see `failure`).
 * @throws RangeError for participants/minSigners out of range, an unknown backend, or an
 *   in-process backend (memory, mainline, hybrid) in live mode.
 */
export async function runFrostDemo(o: FrostDemoOptions): Promise<FrostDemoResult> {
  if (!Number.isInteger(o.participants) || o.participants < 2 || o.participants > 100)
    throw new RangeError(`participants must be an integer in 2..100, got ${o.participants}`);
  if (!Number.isInteger(o.minSigners) || o.minSigners < 2 || o.minSigners > o.participants)
    throw new RangeError(`minSigners must be an integer in 2..${o.participants}, got ${o.minSigners}`);
  const rng = createRng(o.seed).fork('demo');
  const behaviours: ParticipantSpec[] = Array.from({ length: o.participants }, (_, i) => {
    const think = o.thinkMs?.[i] ?? (o.mode === 'sim' ? rng.int(1000, 30_000) : rng.int(20, 200));
    const busy = o.participants > o.minSigners && i === o.participants - 1;
    return { thinkMs: think, ...(busy ? { on: { signInvite: 'busy' as const } } : {}) };
  });
  const world = await buildFrostWorld({
    seed: o.seed,
    mode: o.mode,
    ...(o.backend === undefined ? {} : { backend: o.backend }),
    participants: o.participants,
    minSigners: o.minSigners,
    behaviours,
    coordinator: {
      mode: o.sequential === true ? 'sequential' : 'parallel',
      ...(o.timeoutMs === undefined ? {} : { timeoutMs: o.timeoutMs }),
    },
    ...(o.onRoundEvent === undefined ? {} : { onRoundEvent: o.onRoundEvent }),
    ...(o.signal === undefined ? {} : { signal: o.signal }),
  });
  const target = o.target ?? new TextEncoder().encode('fanout-lab FROST over Hubert demo');
  const digest = sha256(target);
  const info = {
    names: world.names,
    ...(world.hubertUrl === undefined ? {} : { hubertUrl: world.hubertUrl }),
  };
  const base = {
    names: world.names,
    target,
    digest,
    ...(world.hubertUrl === undefined ? {} : { hubertUrl: world.hubertUrl }),
  };
  try {
    o.onStage?.('dkg', info);
    const dkg = await world.runDkg({ charter: `FROST ${o.minSigners}-of-${o.participants} demo group` });
    const traceHash = (): { traceHash?: string } =>
      world.mode === 'sim' ? { traceHash: world.trace.hash() } : {};
    if (!dkg.ok || dkg.group === undefined) {
      return {
        ...base,
        ok: false,
        aborted: dkg.failure?.aborted === true,
        stage: 'dkg',
        dkg,
        verified: false,
        failure: `${dkg.failure?.round ?? 'dkg'}: ${dkg.failure?.reason ?? 'failed'}`,
        dkgMs: dkg.elapsedMs,
        signMs: 0,
        ...traceHash(),
      };
    }
    o.onStage?.('sign', info);
    const sign = await world.runSign({ target, group: dkg.group, quorumExit: o.quorumExit === true });
    const groupVerifyingKey = dkg.group.groupVerifyingKey;
    if (!sign.ok || sign.signature === undefined) {
      return {
        ...base,
        ok: false,
        aborted: sign.failure?.aborted === true,
        stage: 'sign',
        dkg,
        sign,
        groupVerifyingKey,
        verified: false,
        failure: `${sign.failure?.round ?? 'sign'}: ${sign.failure?.reason ?? 'failed'}`,
        dkgMs: dkg.elapsedMs,
        signMs: sign.elapsedMs,
        ...traceHash(),
      };
    }
    const verified = ed25519.verify(sign.signature, digest, groupVerifyingKey);
    return {
      ...base,
      ok: verified,
      aborted: false,
      stage: 'done',
      dkg,
      sign,
      groupVerifyingKey,
      signature: sign.signature,
      verified,
      ...(verified ? {} : { failure: 'the aggregate signature does not verify with ed25519.verify' }),
      dkgMs: dkg.elapsedMs,
      signMs: sign.elapsedMs,
      ...traceHash(),
    };
  } finally {
    await world.close();
  }
}
