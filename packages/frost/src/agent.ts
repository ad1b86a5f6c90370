/**
 * A participant as an agent polling its ARIDs on Hubert (frost-hubert `dkg participant …` /
 * `sign participant …` run by a person, automated): it reads the invitation at the ARID it was
 * handed, steps its state machine ({@link participantStep}), writes the reply where the request
 * said, then polls the ARID it named for the coordinator's next request, until the conversation
 * ends (DKG complete, signature received, declined, aborted) or nothing comes within its patience.
 *
 * A {@link AgentPlan} decides, per inbound message type, how the simulated participant behaves:
 * answer after a think time, decline ("Busy right now"), vanish (never answer), answer late, or
 * send a malformed / forged / cryptographically bad reply.
 */
import type { Clock } from '@fanout/core';
import type { Identity, PublicIdentity, Xid } from './identity.js';
import { isAlreadyExists, isPermanentPutError, type FrostKv } from './kv.js';
import type { MessageType } from './messages.js';
import {
  ACCEPT,
  listeningArids,
  newParticipant,
  participantStep,
  type Behaviour,
  type ParticipantState,
  type StepResult,
} from './participant.js';
import type { Rng } from './rng.js';
import { sealedFromEnvelopeUr, sealedToEnvelopeUr } from './ur.js';
import { RoundOptionError } from './errors.js';

/** What an agent does with one inbound request. */
export type AgentAction =
  /** Answer after `delayMs` (think time; default 0) with the protocol behaviour `behaviour` (default accept). */
  | { readonly kind: 'respond'; readonly delayMs?: number; readonly behaviour?: Behaviour }
  /** Read the request and never answer (the participant went away). */
  | { readonly kind: 'vanish' };

/** Behaviour per inbound message type (invitations, round-2 requests, finalize…). */
export type AgentPlan = (inbound: MessageType) => AgentAction;

/** The honest, instant plan. */
export const HONEST_PLAN: AgentPlan = () => ({ kind: 'respond' });

/** What an agent reports. `at` is clock time, ms. */
export type AgentEvent =
  | {
      readonly type: 'received';
      readonly at: number;
      readonly arid: string;
      readonly inbound: MessageType;
      /** Where the reply goes (when the step produced one). */
      readonly replyArid?: string;
    }
  | { readonly type: 'replied'; readonly at: number; readonly arid: string; readonly outbound: MessageType }
  | { readonly type: 'listening'; readonly at: number; readonly arid: string }
  | { readonly type: 'vanished'; readonly at: number; readonly inbound: MessageType }
  | { readonly type: 'completed'; readonly at: number; readonly inbound: MessageType }
  | { readonly type: 'step-error'; readonly at: number; readonly arid: string; readonly error: Error }
  | { readonly type: 'put-retry'; readonly at: number; readonly arid: string; readonly error: string }
  | { readonly type: 'idle'; readonly at: number; readonly arid: string };

/** How a conversation ended. */
export type ConversationEnd =
  | 'completed' // DKG complete (finalize answered) / signature received
  | 'finished' // replied and nothing more to wait for (declined or aborted on our side)
  | 'vanished'
  | 'idle' // nothing arrived within the patience
  | 'error' // a request could not be processed, or a reply could not be stored
  | 'stopped'; // the signal fired

/** Options of {@link ParticipantAgent}. */
export interface ParticipantAgentOptions {
  readonly identity: Identity;
  /** Coordinators this participant accepts requests from. */
  readonly coordinators: readonly PublicIdentity[];
  /** The participant's own Hubert client. */
  readonly kv: FrostKv;
  /** Time source (VirtualClock in simulation, realClock live). Required: no fallback to the real clock. */
  readonly clock: Clock;
  readonly rng: Rng;
  /** Default {@link HONEST_PLAN}. */
  readonly plan?: AgentPlan;
  /** How long to wait for each next request, ms (> 0). Default 3,600,000 (the session validity). */
  readonly patienceMs?: number;
  /** Pause between retries of a failed get or put, ms (> 0). Default 1000. */
  readonly retryIntervalMs?: number;
  /** Put attempts for a reply (integer ≥ 1, or Infinity: until the patience runs out). Default Infinity. */
  readonly putAttempts?: number;
  readonly onEvent?: (event: AgentEvent) => void;
  /**
   * Start from this state instead of a fresh participant (e.g. one that already completed a DKG).
   * Its identity must be `identity`.
   */
  readonly state?: ParticipantState;
}

/**
 * A simulated participant. Its {@link state} persists across conversations (a DKG group, then
 * signing sessions over it).
 */
export class ParticipantAgent {
  readonly identity: Identity;
  #state: ParticipantState;
  readonly #o: {
    -readonly [
      K in keyof Required<Omit<ParticipantAgentOptions, 'onEvent' | 'coordinators' | 'identity' | 'state'>>
    ]: Required<ParticipantAgentOptions>[K];
  } & { onEvent: ((e: AgentEvent) => void) | undefined };

  /** @throws RoundOptionError('patienceMs' | 'retryIntervalMs' | 'putAttempts' | 'state') for bad values. */
  constructor(options: ParticipantAgentOptions) {
    this.identity = options.identity;
    if (options.state !== undefined && options.state.identity.xid !== options.identity.xid)
      throw new RoundOptionError('state', 'belongs to another identity');
    this.#state = options.state ?? newParticipant(options.identity, options.coordinators);
    const patienceMs = options.patienceMs ?? 3_600_000;
    const retryIntervalMs = options.retryIntervalMs ?? 1000;
    const putAttempts = options.putAttempts ?? Number.POSITIVE_INFINITY;
    if (!(patienceMs > 0 && Number.isFinite(patienceMs)))
      throw new RoundOptionError('patienceMs', `must be a finite number > 0, got ${patienceMs}`);
    if (!(retryIntervalMs > 0 && Number.isFinite(retryIntervalMs)))
      throw new RoundOptionError('retryIntervalMs', `must be a finite number > 0, got ${retryIntervalMs}`);
    if (!(Number.isSafeInteger(putAttempts) || putAttempts === Number.POSITIVE_INFINITY) || putAttempts < 1)
      throw new RoundOptionError('putAttempts', `must be an integer >= 1 or Infinity, got ${putAttempts}`);
    this.#o = {
      kv: options.kv,
      clock: options.clock,
      rng: options.rng,
      plan: options.plan ?? HONEST_PLAN,
      patienceMs,
      retryIntervalMs,
      putAttempts,
      onEvent: options.onEvent,
    };
  }

  /** The participant's state (groups, sessions). */
  get state(): ParticipantState {
    return this.#state;
  }

  get xid(): Xid {
    return this.identity.xid;
  }

  /** Replace the behaviour plan (e.g. between the DKG and a signing session). */
  set plan(plan: AgentPlan) {
    this.#o.plan = plan;
  }

  #emit(e: AgentEvent): void {
    this.#o.onEvent?.(e);
  }

  /**
   * Follow one conversation from the ARID it starts at (the invitation ARID the coordinator handed
   * out) to its end. Never throws: failures end the conversation and are reported as events.
   * @returns how it ended.
   */
  async follow(inviteArid: string, signal?: AbortSignal): Promise<ConversationEnd> {
    const { clock } = this.#o;
    let arid = inviteArid;
    for (;;) {
      const text = await this.#get(arid, signal);
      if (text === 'stopped') return 'stopped';
      if (text === null) {
        this.#emit({ type: 'idle', at: clock.now(), arid });
        return 'idle';
      }
      let sealed: Uint8Array;
      try {
        sealed = sealedFromEnvelopeUr(text);
      } catch (e) {
        this.#emit({ type: 'step-error', at: clock.now(), arid, error: e as Error });
        return 'error';
      }
      const before = new Set(listeningArids(this.#state).map((l) => l.arid));
      // Decide the protocol behaviour from the inbound type inside the step (the plan is pure).
      const plan = this.#o.plan;
      let action: AgentAction = { kind: 'respond' };
      const result: StepResult = participantStep(this.#state, sealed, {
        now: Math.floor(clock.now()),
        rng: this.#o.rng,
        behaviour: (inbound) => {
          action = plan(inbound);
          return action.kind === 'respond' ? (action.behaviour ?? ACCEPT) : ACCEPT;
        },
      });
      if (result.kind === 'error') {
        this.#emit({ type: 'step-error', at: clock.now(), arid, error: result.error });
        return 'error';
      }
      this.#emit({
        type: 'received',
        at: clock.now(),
        arid,
        inbound: result.inbound,
        ...(result.kind === 'completed' ? {} : { replyArid: result.outbound.arid }),
      });
      const chosen = action as AgentAction;
      if (chosen.kind === 'vanish') {
        // Vanish: the state is not advanced (nothing was sent) and the conversation is over.
        this.#emit({ type: 'vanished', at: clock.now(), inbound: result.inbound });
        return 'vanished';
      }
      this.#state = result.state;
      if (result.kind === 'completed') {
        this.#emit({ type: 'completed', at: clock.now(), inbound: result.inbound });
        return 'completed';
      }
      const next = listeningArids(this.#state).find((l) => !before.has(l.arid));
      if (next !== undefined) this.#emit({ type: 'listening', at: clock.now(), arid: next.arid });
      const delay = chosen.delayMs ?? 0;
      if (delay > 0) {
        try {
          await clock.sleep(delay, signal);
        } catch {
          return 'stopped';
        }
      }
      const stored = await this.#put(
        result.outbound.arid,
        sealedToEnvelopeUr(result.outbound.sealed),
        signal,
      );
      if (stored !== 'ok') return stored;
      this.#emit({
        type: 'replied',
        at: clock.now(),
        arid: result.outbound.arid,
        outbound: result.outbound.type,
      });
      if (next === undefined)
        return result.inbound === 'dkgFinalize' && result.kind === 'reply' ? 'completed' : 'finished';
      arid = next.arid;
    }
  }

  /** Get with patience; transport errors are retried until the patience runs out. */
  async #get(arid: string, signal: AbortSignal | undefined): Promise<string | null | 'stopped'> {
    const { clock, kv, patienceMs, retryIntervalMs } = this.#o;
    const deadline = clock.now() + patienceMs;
    for (;;) {
      const left = deadline - clock.now();
      if (left <= 0) return null;
      try {
        return await kv.get(arid, { timeoutSeconds: left / 1000, ...(signal ? { signal } : {}) });
      } catch {
        if (signal?.aborted) return 'stopped';
        try {
          await clock.sleep(retryIntervalMs, signal);
        } catch {
          return 'stopped';
        }
      }
    }
  }

  /** Put with retries; AlreadyExists on a retry means an earlier attempt landed. */
  async #put(
    arid: string,
    envelope: string,
    signal: AbortSignal | undefined,
  ): Promise<'ok' | 'error' | 'stopped'> {
    const { clock, kv, putAttempts, retryIntervalMs, patienceMs } = this.#o;
    const deadline = clock.now() + patienceMs;
    for (let attempt = 1; ; attempt++) {
      if (signal?.aborted) return 'stopped';
      try {
        await kv.put(arid, envelope, undefined, signal === undefined ? {} : { signal });
        return 'ok';
      } catch (e) {
        if (signal?.aborted) return 'stopped';
        if (isAlreadyExists(e) && attempt > 1) return 'ok';
        const message = e instanceof Error ? e.message : String(e);
        if (
          isAlreadyExists(e) ||
          isPermanentPutError(e) ||
          attempt >= putAttempts ||
          clock.now() + retryIntervalMs > deadline
        ) {
          this.#emit({
            type: 'step-error',
            at: clock.now(),
            arid,
            error: e instanceof Error ? e : new Error(message),
          });
          return 'error';
        }
        this.#emit({ type: 'put-retry', at: clock.now(), arid, error: message });
        try {
          await clock.sleep(retryIntervalMs, signal);
        } catch {
          return 'stopped';
        }
      }
    }
  }
}
