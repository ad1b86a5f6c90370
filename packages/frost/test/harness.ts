/**
 * A synchronous in-memory driver of the whole flow for tests: a write-once Map stands in for
 * Hubert, every put is recorded (the transcript), and each participant only reads ARIDs it is
 * listening on.
 */
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex } from '@noble/hashes/utils.js';
import {
  ACCEPT,
  checkDkgFinalizeResponse,
  checkDkgRound1Response,
  checkDkgRound2Response,
  checkSignRound1Response,
  checkSignRound2Response,
  collectResponses,
  createIdentity,
  dkgFinalizeRequests,
  dkgRound2Requests,
  finishDkg,
  finishSigning,
  listeningArids,
  newParticipant,
  participantStep,
  publicIdentity,
  signRound2Requests,
  startDkg,
  startSigning,
  type Behaviour,
  type CollectionResult,
  type DkgResult,
  type GroupRecord,
  type Identity,
  type MessageType,
  type Outbound,
  type ParticipantState,
  type ResponseCheck,
  type ResponseInput,
  type Rng,
  type SignResult,
  type StepResult,
  type Xid,
} from '../src/index.js';
import { seededRng } from './helpers.js';

export type BehaviourFn = (name: string, inbound: MessageType) => Behaviour;

export class World {
  readonly rng: Rng;
  readonly kv = new Map<string, Uint8Array>();
  readonly transcript: { arid: string; sealed: Uint8Array }[] = [];
  readonly coordinator: Identity;
  readonly names = new Map<Xid, string>();
  states = new Map<Xid, ParticipantState>();
  readonly steps: { name: string; result: StepResult }[] = [];
  now = 1_000_000;

  constructor(
    seed: string,
    readonly n: number,
    public behaviour: BehaviourFn = () => ACCEPT,
  ) {
    this.rng = seededRng(seed);
    this.coordinator = createIdentity(this.rng, 'coordinator');
    for (let i = 0; i < n; i++) {
      const id = createIdentity(this.rng, `p${i}`);
      this.names.set(id.xid, `p${i}`);
      this.states.set(id.xid, newParticipant(id, [publicIdentity(this.coordinator)]));
    }
  }

  get identities(): Identity[] {
    return [...this.states.values()].map((s) => s.identity);
  }

  xidOf(name: string): Xid {
    for (const [x, n] of this.names) if (n === name) return x;
    throw new Error(`no participant ${name}`);
  }

  put(arid: string, sealed: Uint8Array): void {
    if (this.kv.has(arid)) throw new Error(`${arid} already exists`);
    this.kv.set(arid, sealed);
    this.transcript.push({ arid, sealed });
  }

  ctx() {
    return { coordinator: this.coordinator, now: this.now, rng: this.rng };
  }

  /** Deliver coordinator requests; each participant reads the ARID it got (checking it listens there, except invites). */
  deliver(requests: readonly Outbound[], invite: boolean): void {
    for (const r of requests) this.put(r.arid, r.sealed);
    for (const r of requests) {
      const state = this.states.get(r.to)!;
      if (!invite && !listeningArids(state).some((l) => l.arid === r.arid)) {
        throw new Error(`${this.names.get(r.to)} is not listening on ${r.arid}`);
      }
      const name = this.names.get(r.to)!;
      const result = participantStep(state, this.kv.get(r.arid)!, {
        now: this.now,
        rng: this.rng,
        behaviour: this.behaviour(name, r.type),
      });
      this.steps.push({ name, result });
      this.states.set(r.to, result.state);
      if (result.kind === 'reply' || result.kind === 'rejected')
        this.put(result.outbound.arid, result.outbound.sealed);
    }
  }

  /** Read every slot and check it; a missing value counts as a timeout. */
  collect<T>(
    collectArids: Readonly<Record<Xid, string>>,
    check: (xid: Xid, sealed: Uint8Array) => ResponseCheck<T>,
    order?: readonly Xid[],
  ): CollectionResult<T> {
    const xids = order ?? Object.keys(collectArids);
    const inputs: ResponseInput<T>[] = xids.map((xid) => {
      const sealed = this.kv.get(collectArids[xid]!);
      return sealed === undefined ? { xid, timedOut: true as const } : { xid, check: check(xid, sealed) };
    });
    return collectResponses(inputs);
  }

  transcriptHash(): string {
    const h = sha256.create();
    for (const t of this.transcript) {
      h.update(new TextEncoder().encode(t.arid));
      h.update(t.sealed);
    }
    return bytesToHex(h.digest());
  }

  /** Run the whole DKG. Returns each stage's collection for inspection. */
  runDkg(minSigners: number, charter = 'test group') {
    const started = startDkg(
      { participants: this.identities.map(publicIdentity), minSigners, charter },
      this.ctx(),
    );
    this.deliver(started.invites, true);
    const c1 = this.collect(started.session.collectArids, (x, s) =>
      checkDkgRound1Response(started.session, x, s, this.ctx()),
    );
    const r2 = dkgRound2Requests(started.session, c1, this.ctx());
    if (!r2.ok) return { stage: 'round1' as const, c1, r2 };
    this.deliver(r2.requests, false);
    const c2 = this.collect(r2.session.collectArids, (x, s) =>
      checkDkgRound2Response(r2.session, x, s, this.ctx()),
    );
    const fin = dkgFinalizeRequests(r2.session, c2, this.ctx());
    if (!fin.ok) return { stage: 'round2' as const, c1, c2, fin };
    this.deliver(fin.requests, false);
    const c3 = this.collect(fin.session.collectArids, (x, s) =>
      checkDkgFinalizeResponse(fin.session, x, s, this.ctx()),
    );
    const result: DkgResult = finishDkg(fin.session, c3);
    return { stage: 'finalize' as const, c1, c2, c3, result };
  }

  /** Run a signing session; `order` is the arrival order of round-1 responses (default XID order). */
  runSign(group: GroupRecord, target: Uint8Array, options: { invitees?: Xid[]; order?: Xid[] } = {}) {
    const started = startSigning(
      { group, target, ...(options.invitees ? { invitees: options.invitees } : {}) },
      this.ctx(),
    );
    this.deliver(started.invites, true);
    const c1 = this.collect(
      started.session.collectArids,
      (x, s) => checkSignRound1Response(started.session, x, s, this.ctx()),
      options.order,
    );
    const r2 = signRound2Requests(started.session, c1, this.ctx());
    if (!r2.ok) return { stage: 'round1' as const, c1, r2 };
    this.deliver(r2.requests, false);
    const c2 = this.collect(r2.session.collectArids, (x, s) =>
      checkSignRound2Response(r2.session, x, s, this.ctx()),
    );
    const result: SignResult = finishSigning(r2.session, c2, this.ctx());
    if (result.ok) this.deliver(result.finalize, false);
    return { stage: 'finalize' as const, c1, r2, c2, result };
  }
}
