/**
 * Deliberately broken FROST coordinators, to show that the scenarios' guarantees and the trace
 * hash catch a client that decides wrongly on the same traffic.
 */
import {
  FrostCoordinator,
  type CallOptions,
  type DkgFinalizeResult,
  type DkgSession,
  type DkgRound1Accepted,
  type DkgRound2Accepted,
  type RoundResult,
} from '@fanout/frost';

const everyone = (s: DkgSession): string[] => s.members.map((m) => m.identity.xid);

/** Blames every member whenever a DKG round fails (honest participants included). */
export class BlameEveryoneCoordinator extends FrostCoordinator {
  override async dkgRound1(
    s: DkgSession,
    call?: CallOptions,
  ): Promise<RoundResult<DkgSession, DkgRound1Accepted>> {
    const r = await super.dkgRound1(s, call);
    return r.ok ? r : { ...r, blamed: everyone(s) };
  }
  override async dkgRound2(
    s: DkgSession,
    call?: CallOptions,
  ): Promise<RoundResult<DkgSession, DkgRound2Accepted>> {
    const r = await super.dkgRound2(s, call);
    return r.ok ? r : { ...r, blamed: everyone(s) };
  }
  override async dkgFinalize(s: DkgSession, call?: CallOptions): Promise<DkgFinalizeResult> {
    const r = await super.dkgFinalize(s, call);
    return r.ok ? r : { ...r, blamed: everyone(s) };
  }
}
