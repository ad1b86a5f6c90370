/**
 * `fanout frost participant`: one participant in its own process, with its own key file (frost-hubert
 * `dkg participant …` / `sign participant …`, answered automatically). From the invitation ARID the
 * coordinator handed out, it follows the conversation through @fanout/frost's
 * {@link ParticipantAgent} — a DKG to its end (its key package is then written to its key file),
 * or a signing session (commitments, signature share, the coordinator's final signature) —
 * answering each request as the coordinator's separate step processes put it on Hubert. Ctrl-C
 * prints where it was (what it answered, what it was waiting for) and exits 130.
 */
import { bytesToHex } from '@noble/hashes/utils.js';
import {
  ParticipantAgent,
  groupVerifyingKey,
  isAridUr,
  publicIdentity,
  type AgentEvent,
  type ParticipantState,
} from '@fanout/frost';
import { ciSafe } from '../display.js';
import { KeyFileError, ToolInputError } from '../errors.js';
import { decodeKeyFile, decodePublicIdentityFile, encodeKeyFile } from '../key-file.js';
import { DEFAULT_HUBERT_URL } from './dkg-steps.js';
import { cryptoRng, epochClock, hubertKv, readDecoded, writeAtomic } from './io.js';
import { INTERRUPTED } from './step-runner.js';

/** Flags of `fanout frost participant`. */
export interface ParticipantFlags {
  /** The participant's key file (identity; groups and sessions are added to it). */
  readonly keyFile: string;
  /** Public identity files of coordinators to take requests from (added to the key file). */
  readonly coordinators?: readonly string[];
  /** The invitation's ARID (`ur:arid/…`), as the coordinator handed it out. */
  readonly invite: string;
  /** Hubert base URL (default http://127.0.0.1:45678). */
  readonly hubert?: string;
  /** How long to wait for each next request, ms (default 3600000, the session validity). */
  readonly timeoutMs?: number;
  /** Hubert get poll interval, ms (default 1000). */
  readonly pollMs?: number;
}

/** Where the participant prints, and its Ctrl-C signal. */
export interface ParticipantIO {
  line(text: string): void;
  readonly signal: AbortSignal;
}

function describe(e: AgentEvent): string | undefined {
  switch (e.type) {
    case 'received':
      return `received ${e.inbound}${e.replyArid === undefined ? '' : `, replying at ${e.replyArid}`}`;
    case 'replied':
      return `replied ${e.outbound}`;
    case 'listening':
      return `waiting for the coordinator's next request at ${e.arid}`;
    case 'completed':
      return `completed (${e.inbound})`;
    case 'step-error':
      return `cannot process the request at ${e.arid}: ${e.error.message}`;
    case 'put-retry':
      return `retrying the reply to ${e.arid} after "${e.error}"`;
    case 'idle':
      return `nothing arrived at ${e.arid} in time`;
    case 'vanished':
      return `did not answer ${e.inbound}`;
  }
}

/** What the state holds about the invitation's group or session, for the final lines. */
function summary(state: ParticipantState): string[] {
  const out: string[] = [];
  for (const g of Object.values(state.groups))
    if (g.phase === 'complete' && g.publicKeyPackage !== undefined)
      out.push(`group ${g.group}: verifying key ${bytesToHex(groupVerifyingKey(g.publicKeyPackage))}`);
  for (const s of Object.values(state.sessions))
    if (s.phase === 'complete' && s.signature !== undefined)
      out.push(`session ${s.session}: signature ${bytesToHex(s.signature)}`);
  return out;
}

function loadState(flags: ParticipantFlags): ParticipantState {
  const err = (f: string, k: string, d: string) => new KeyFileError(f, k, d);
  const state = readDecoded(flags.keyFile, decodeKeyFile, err);
  const extra = (flags.coordinators ?? []).map((p) =>
    publicIdentity(readDecoded(p, decodePublicIdentityFile, err)),
  );
  const coordinators = { ...state.coordinators, ...Object.fromEntries(extra.map((c) => [c.xid, c])) };
  if (Object.keys(coordinators).length === 0)
    throw new ToolInputError('--coordinator', 'trust at least one coordinator (its public identity file)');
  return { ...state, coordinators };
}

/**
 * Follow one conversation from `flags.invite` to its end, saving the key file after each reply.
 * @returns 0 when it completed (or declined as planned), 1 when it ended otherwise (nothing came
 *   in time, a request could not be processed), 130 when interrupted.
 * @throws KeyFileError (bad key or identity file), ToolInputError (bad ARID, no coordinator).
 */
export async function runParticipant(flags: ParticipantFlags, io: ParticipantIO): Promise<number> {
  if (!isAridUr(flags.invite)) throw new ToolInputError('--invite', `not a ur:arid: ${flags.invite}`);
  const state = loadState(flags);
  const name = state.identity.name ?? state.identity.xid.slice(0, 8);
  const save = (): void => writeAtomic(flags.keyFile, encodeKeyFile(agent.state));
  let last = 'nothing yet';
  const agent: ParticipantAgent = new ParticipantAgent({
    identity: state.identity,
    coordinators: Object.values(state.coordinators),
    state,
    kv: hubertKv(flags.hubert ?? DEFAULT_HUBERT_URL, flags.pollMs),
    clock: epochClock,
    rng: cryptoRng,
    ...(flags.timeoutMs === undefined ? {} : { patienceMs: flags.timeoutMs }),
    onEvent: (e) => {
      const text = describe(e);
      if (text !== undefined) io.line(ciSafe(`${name}: ${text}`));
      if (e.type !== 'listening') last = text ?? last;
      if (e.type === 'replied' || e.type === 'completed') save();
    },
  });
  save();
  io.line(`${name}: following the invitation at ${flags.invite}`);
  const end = await agent.follow(flags.invite, io.signal);
  if (end === 'stopped') {
    io.line(ciSafe(`Interrupted: ${name} stopped; last: ${last}. ${flags.keyFile} keeps what completed.`));
    return INTERRUPTED;
  }
  save();
  if (end === 'completed' || end === 'finished') {
    for (const l of summary(agent.state)) io.line(`${name}: ${l}`);
    io.line(`${name}: conversation ${end}`);
    return 0;
  }
  io.line(`${name}: conversation ended: ${end}`);
  return 1;
}
