/**
 * `fanout frost demo` (frost-hubert-rust frost-demo.py, on our coordinator): a DKG among N
 * participants, then a signing session, against Hubert in a kernel World (sim: virtual time,
 * seeded; live: real Hubert HTTP servers on 127.0.0.1), ending with an Ed25519 signature checked
 * with plain `ed25519.verify` from @noble/curves.
 *
 * The cast thinks for seeded times (sim: 1-30 s of virtual time; live: 20-200 ms), written into
 * the run's plan as `think` behaviours; when there is a spare participant (N > minSigners) the
 * last one declines to sign with "Busy right now" (a `busy` behaviour on signInvite), as in the
 * seed's progress example. Progress goes to the CLI's board (a phase per round and the round's
 * fan-out, participants by name); the summary and the oracle's verdicts are printed through
 * `io.log`. Exit code 0 iff every result matched what the plan lets the DKG and the signing do.
 */
import { z } from 'zod';
import { ed25519 } from '@noble/curves/ed25519.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex } from '@noble/hashes/utils.js';
import { formatSeconds, type DkgFlowResult, type RoundEvent, type SignFlowResult } from '@fanout/frost';
import { createRng, parseFaultPlan, type FaultPlan } from '@fanout/sim';
import type { CommandIO, Demo } from '../kernel/system.js';
import { createWorld } from '../kernel/run.js';
import type { World } from '../kernel/world.js';
import { roundEventBridge, type ProgressSink } from './events.js';
import type { FrostBackend } from './hubert-faults.js';
import {
  dkgExpectation,
  dkgOutcomeVerdict,
  signExpectation,
  signOutcomeVerdict,
  type Verdict,
} from './oracle.js';
import { frostPlan, type ParticipantSpec } from './plan.js';
import { buildFrostWorld, participantName, type FrostParties } from './world.js';

const options = z
  .object({
    participants: z.number().int().min(2).max(100).default(5).describe('participants'),
    minSigners: z.number().int().min(2).max(100).default(3).describe('signing threshold (≤ participants)'),
    mode: z
      .enum(['sim', 'live'])
      .default('sim')
      .describe('sim: virtual time, in-process; live: real Hubert HTTP servers on 127.0.0.1'),
    backend: z
      .enum(['server', 'memory', 'mainline', 'hybrid'])
      .default('server')
      .describe(
        'Hubert backend: server (HTTP), memory, mainline (1000-byte values), hybrid; all but server are sim only',
      ),
    quorumExit: z
      .boolean()
      .default(false)
      .describe('signing round 1 proceeds once min-signers commitments arrived'),
    sequential: z
      .boolean()
      .default(false)
      .describe('upstream sequential rounds (one participant at a time, 30 s timeout)'),
    seed: z
      .number()
      .int()
      .min(0)
      .max(0xffff_ffff)
      .default(1)
      .describe('seed (uint32): identities, think times, randomness'),
    timeout: z
      .number()
      .int()
      .min(1)
      .max(86_400)
      .optional()
      .describe('per-participant timeout, seconds (default 600 parallel, 30 sequential)'),
  })
  .superRefine((o, ctx) => {
    if (o.minSigners > o.participants)
      ctx.addIssue({
        code: 'custom',
        path: ['minSigners'],
        message: `must not exceed participants (${o.participants})`,
      });
    if (o.backend !== 'server' && o.mode !== 'sim')
      ctx.addIssue({
        code: 'custom',
        path: ['backend'],
        message: `'${o.backend}' is an in-process model: use mode sim`,
      });
  });

/** The demo's options (flags of `fanout frost demo`). */
export type FrostDemoOptions = z.output<typeof options>;

/** The text the demo signs. */
export const DEMO_TARGET = 'fanout-lab FROST over Hubert demo';

/** The demo's plan: seeded think times, and the last participant busy at signing when one is spare. */
export function demoPlan(o: FrostDemoOptions): FaultPlan {
  const rng = createRng(o.seed).fork('plan');
  const behaviours: ParticipantSpec[] = Array.from({ length: o.participants }, (_, i) => ({
    thinkMs: o.mode === 'sim' ? rng.int(1000, 30_000) : rng.int(20, 200),
    ...(o.participants > o.minSigners && i === o.participants - 1
      ? { on: { signInvite: 'busy' as const } }
      : {}),
  }));
  return parseFaultPlan(
    frostPlan({
      participants: o.participants,
      description: `frost demo ${o.minSigners}-of-${o.participants}`,
      behaviours,
    }),
  );
}

const hex = (b: Uint8Array): string => bytesToHex(b);

/** The DKG verdict, mainline's size limit included (a sealed dkgInvite exceeds 1000 bytes). */
function dkgVerdict(parties: FrostParties, world: World, dkg: DkgFlowResult, backend: FrostBackend): Verdict {
  if (backend === 'mainline') {
    const held =
      !dkg.ok &&
      dkg.failure?.round === 'dkg invite' &&
      /exceeds DHT limit of 1000 bytes/.test(dkg.failure.reason);
    return {
      held,
      detail: `mainline: expected failure at dkg invite (1000-byte limit), got ${dkg.ok ? 'ok' : dkg.failure?.reason}`,
    };
  }
  return dkgOutcomeVerdict(dkgExpectation(world.view, parties.identities.length, parties.timing), dkg);
}

/** The summary lines of a run (as the old command printed them). */
function summary(
  o: FrostDemoOptions,
  parties: FrostParties,
  dkg: DkgFlowResult,
  sign: SignFlowResult | undefined,
  traceHash: string | undefined,
): string[] {
  const unit = o.mode === 'sim' ? 'virtual' : 'wall';
  const times = (t: readonly { round: string; elapsedMs: number }[]): string =>
    t.map((x) => `${x.round} ${formatSeconds(x.elapsedMs)}`).join(', ');
  const lines = [
    '',
    `DKG: ${dkg.ok ? 'ok' : 'failed'} in ${formatSeconds(dkg.elapsedMs)} (${unit}): ${times(dkg.timings)}`,
  ];
  if (sign !== undefined) {
    lines.push(
      `Signing: ${sign.ok ? 'ok' : 'failed'} in ${formatSeconds(sign.elapsedMs)} (${unit}): ${times(sign.timings)}`,
    );
    const signers = sign.round1?.ok === true ? sign.round1.session.signers : undefined;
    if (signers !== undefined)
      lines.push(
        `Signer set (arrival order): ${signers.map((m) => parties.names.get(m.identity.xid) ?? m.identity.xid).join(', ')}`,
      );
  }
  if (dkg.group !== undefined) lines.push(`Group verifying key: ${hex(dkg.group.groupVerifyingKey)}`);
  const target = new TextEncoder().encode(DEMO_TARGET);
  lines.push(`Target:    ${JSON.stringify(DEMO_TARGET)}`, `SHA-256:   ${hex(sha256(target))}`);
  if (sign?.signature !== undefined && dkg.group !== undefined) {
    const verified = ed25519.verify(sign.signature, sha256(target), dkg.group.groupVerifyingKey);
    lines.push(
      `Signature: ${hex(sign.signature)}`,
      `ed25519.verify(signature, SHA-256(target), groupKey) = ${verified}`,
    );
  }
  if (traceHash !== undefined) lines.push(`trace hash ${traceHash} (same seed, same hash)`);
  const failure = sign?.failure ?? dkg.failure;
  if (failure !== undefined) lines.push(`Failed: ${failure.round}: ${failure.reason}`);
  return lines;
}

/** DKG, then signing (when the DKG gave a group); the verdicts of each. */
async function flows(
  o: FrostDemoOptions,
  world: World,
  parties: FrostParties,
  io: CommandIO,
): Promise<{ dkg: DkgFlowResult; sign?: SignFlowResult; verdicts: Verdict[] }> {
  const who = parties.identities.map((_, i) => participantName(i)).join(', ');
  io.log(
    `\n== DKG: coordinator Alice, participants ${who} (Hubert at ${parties.hubertUrls['coordinator'] ?? 'in-process'}) ==`,
  );
  const dkg = await parties.runDkg({ charter: `FROST ${o.minSigners}-of-${o.participants} demo group` });
  const verdicts = [dkgVerdict(parties, world, dkg, o.backend)];
  if (!dkg.ok || dkg.group === undefined || io.signal.aborted) return { dkg, verdicts };
  io.log('\n== Signing session ==');
  const target = new TextEncoder().encode(DEMO_TARGET);
  const sign = await parties.runSign({ target, group: dkg.group, quorumExit: o.quorumExit });
  const exp = signExpectation(world.view, o.participants, o.minSigners, parties.timing, 3);
  verdicts.push(signOutcomeVerdict(exp, sign, `quorumExit ${o.quorumExit}`));
  if (sign.signature !== undefined) {
    const verified = ed25519.verify(sign.signature, sha256(target), dkg.group.groupVerifyingKey);
    verdicts.push({ held: verified, detail: `ed25519.verify = ${verified}` });
  }
  return { dkg, sign, verdicts };
}

/** Run the demo (see the module docstring). */
async function runDemo(o: FrostDemoOptions, io: CommandIO): Promise<number> {
  const wall0 = io.wallNow();
  io.log(
    `fanout frost demo: FROST-ED25519-SHA512-v1, ${o.minSigners}-of-${o.participants}, ` +
      `${o.mode === 'sim' ? `simulated Hubert, ${o.backend} backend (virtual time)` : 'live Hubert HTTP servers on 127.0.0.1'}, ` +
      `${o.sequential ? 'sequential' : 'parallel'} rounds${o.quorumExit ? ', quorum exit' : ''}, seed ${o.seed}`,
  );
  const world = await createWorld({ seed: o.seed, mode: o.mode, plan: demoPlan(o) });
  try {
    const relay: { to?: (e: RoundEvent) => void } = {};
    const parties = await buildFrostWorld(world, {
      participants: o.participants,
      minSigners: o.minSigners,
      backend: o.backend,
      coordinator: {
        mode: o.sequential ? 'sequential' : 'parallel',
        ...(o.timeout === undefined ? {} : { timeoutMs: o.timeout * 1000 }),
      },
      onRoundEvent: (e) => relay.to?.(e),
      signal: io.signal,
    });
    const sink: ProgressSink = {
      phase: (name) => io.onEvent({ type: 'phase', name }),
      fanOutEvents: (command, labels) => (event) =>
        io.onEvent(
          labels === undefined
            ? { type: 'fanout', command, event }
            : { type: 'fanout', command, event, labels },
        ),
      outcome: (step, fields) => world.record('outcome', { ...fields, step }),
    };
    relay.to = roundEventBridge(
      sink,
      (x) => parties.names.get(x) ?? x.slice(0, 8),
      (x) => parties.targets.get(x) ?? x,
    );
    const { dkg, sign, verdicts } = await flows(o, world, parties, io);
    if (io.signal.aborted) {
      io.log('Aborted: the run was interrupted.');
      return 1;
    }
    for (const l of summary(o, parties, dkg, sign, world.trace.enabled ? world.trace.hash() : undefined))
      io.log(l);
    for (const v of verdicts) io.log(`Oracle: ${v.held ? 'matched' : 'MISMATCH'}: ${v.detail}`);
    io.log(`wall time ${formatSeconds(io.wallNow() - wall0)}`);
    return verdicts.every((v) => v.held) ? 0 : 1;
  } finally {
    await world.close();
  }
}

/** The FROST demo. */
export const frostDemo: Demo<typeof options> = {
  description: 'DKG + a signing session end to end against the Hubert simulator, with the progress board',
  options,
  run: runDemo,
};
