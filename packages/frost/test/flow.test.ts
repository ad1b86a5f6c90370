import { ed25519 } from '@noble/curves/ed25519.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex, utf8ToBytes } from '@noble/hashes/utils.js';
import { describe, expect, it } from 'vitest';
import {
  ACCEPT,
  ForgedMessageError,
  InvalidShareError,
  MalformedMessageError,
  groupVerifyingKey,
  publicIdentity,
  reject,
  startDkg,
  verifyTargetSignature,
  type Behaviour,
  type GroupRecord,
  type MessageType,
} from '../src/index.js';
import { World } from './harness.js';

/** DKG fixtures shared by the tests of this file (a full DKG is the expensive part). */
const fixtures = new Map<string, { world: World; run: ReturnType<World['runDkg']>; group: GroupRecord }>();
function fixture(n: number, minSigners: number) {
  const key = `${n}/${minSigners}`;
  let f = fixtures.get(key);
  if (f === undefined) {
    const world = new World(`fixture-${key}`, n);
    const run = world.runDkg(minSigners);
    if (run.stage !== 'finalize' || !run.result.ok) throw new Error(`fixture DKG ${key} failed`);
    f = { world, run, group: run.result.group };
    fixtures.set(key, f);
  }
  f.world.behaviour = () => ACCEPT;
  return f;
}

function dkgOk(world: World, minSigners: number): GroupRecord {
  const run = world.runDkg(minSigners);
  if (run.stage !== 'finalize' || !run.result.ok) throw new Error(`DKG failed: ${JSON.stringify(run.stage)}`);
  return run.result.group;
}

function only(name: string, type: MessageType, b: Behaviour) {
  return (n: string, t: MessageType) => (n === name && t === type ? b : ACCEPT);
}

describe('DKG over sealed messages', () => {
  it.each([
    [3, 2],
    [5, 3],
  ])('%i participants, minSigners %i: everyone derives the same group key', (n, minSigners) => {
    const { world, group } = fixture(n, minSigners);
    expect(group.members).toHaveLength(n);
    expect(group.minSigners).toBe(minSigners);
    // Every participant holds a completed group with the same verifying key and public package.
    const keys = [...world.states.values()].map((s) => {
      const g = s.groups[group.group]!;
      expect(g.phase).toBe('complete');
      if (g.phase === 'declined' || g.publicKeyPackage === undefined) throw new Error('no key');
      return bytesToHex(groupVerifyingKey(g.publicKeyPackage));
    });
    expect(new Set(keys).size).toBe(1);
    expect(keys[0]).toBe(bytesToHex(group.groupVerifyingKey));
    // Identifiers are sorted-XID position + 1.
    const xids = group.members.map((m) => m.identity.xid);
    expect(xids).toEqual([...xids].sort());
    expect(group.members.map((m) => m.index)).toEqual(Array.from({ length: n }, (_, i) => i + 1));
  });

  it('the finalize response carries no secret key package', () => {
    const { world, run } = fixture(3, 2);
    if (run.stage !== 'finalize') throw new Error('DKG failed');
    expect(run.c3.successes).toHaveLength(3);
    for (const s of run.c3.successes)
      expect(Object.keys(s.value).sort()).toEqual(['commitments', 'signers', 'verifyingShares']);
    // Each participant kept its secret share to itself.
    for (const st of world.states.values()) {
      const g = Object.values(st.groups)[0]!;
      expect(g.phase === 'complete' && g.keyPackage?.signingShare.length).toBe(32);
    }
  });

  it('a participant that rejects the invitation ("Busy right now") is reported as a rejection; DKG stops', () => {
    const world = new World('dkg-busy', 3);
    const busy = world.xidOf('p1');
    world.behaviour = only('p1', 'dkgInvite', reject('Busy right now'));
    const run = world.runDkg(2);
    expect(run.stage).toBe('round1');
    expect(run.c1.rejections).toEqual([{ xid: busy, reason: 'Busy right now', accused: [] }]);
    expect(run.c1.successes).toHaveLength(2);
    if (run.stage === 'round1' && !run.r2.ok) expect(run.r2.missing).toEqual([busy]);
    else throw new Error('round 2 should not start');
  });

  it('a bad proof of knowledge is attributed to its sender at round 1', () => {
    const world = new World('dkg-badpok', 2);
    world.behaviour = only('p1', 'dkgInvite', { kind: 'badShare' });
    const run = world.runDkg(2);
    expect(run.stage).toBe('round1');
    expect(run.c1.errors.map((e) => e.xid)).toEqual([world.xidOf('p1')]);
    expect(run.c1.errors[0]!.error).toBeInstanceOf(InvalidShareError);
  });

  it('a malformed round-1 package names the field and the sender', () => {
    const world = new World('dkg-malformed', 2);
    world.behaviour = only('p0', 'dkgInvite', { kind: 'malformed' });
    const run = world.runDkg(2);
    expect(run.c1.errors).toHaveLength(1);
    const err = run.c1.errors[0]!;
    expect(err.xid).toBe(world.xidOf('p0'));
    expect(err.error).toBeInstanceOf(MalformedMessageError);
    expect((err.error as MalformedMessageError).field).toBe('body.round1Package.commitment.0');
  });

  it('a forged round-1 response is rejected as forged and attributed to the slot owner', () => {
    const world = new World('dkg-forged', 2);
    world.behaviour = only('p1', 'dkgInvite', { kind: 'forged' });
    const run = world.runDkg(2);
    expect(run.c1.errors.map((e) => e.xid)).toEqual([world.xidOf('p1')]);
    expect(run.c1.errors[0]!.error).toBeInstanceOf(ForgedMessageError);
    expect(run.c1.successes.map((x) => x.xid)).toEqual([world.xidOf('p0')]);
  });

  it('a bad DKG share to a peer makes the peer abort and accuse the sender', () => {
    const world = new World('dkg-badshare', 2);
    world.behaviour = only('p0', 'dkgRound2', { kind: 'badShare' });
    const run = world.runDkg(2);
    expect(run.stage).toBe('finalize');
    if (run.stage !== 'finalize') return;
    expect(run.result.ok).toBe(false);
    const accusations = run.c3.rejections.flatMap((r) => r.accused);
    expect(accusations).toEqual([world.xidOf('p0')]);
    if (!run.result.ok) expect(run.result.blamed).toEqual([world.xidOf('p0')]);
  });

  it('a participant reporting a wrong public key package is caught at finalize', () => {
    const world = new World('dkg-liar', 2);
    world.behaviour = only('p1', 'dkgFinalize', { kind: 'badShare' });
    const run = world.runDkg(2);
    if (run.stage !== 'finalize') throw new Error('expected finalize');
    expect(run.c3.errors.map((e) => e.xid)).toEqual([world.xidOf('p1')]);
    expect(run.c3.errors[0]!.error).toBeInstanceOf(InvalidShareError);
    expect(run.result.ok).toBe(false);
  });
});

describe('signing over sealed messages', () => {
  const target = utf8ToBytes('transfer 1 BTC to carol');

  it('exactly minSigners signers produce a signature that plain ed25519.verify accepts', () => {
    const { world, group } = fixture(5, 3);
    const run = world.runSign(group, target);
    if (run.stage !== 'finalize' || !run.result.ok) throw new Error('signing failed');
    const sig = run.result.signature;
    expect(sig).toHaveLength(64);
    expect(ed25519.verify(sig, sha256(target), group.groupVerifyingKey)).toBe(true);
    expect(verifyTargetSignature(sig, target, group.groupVerifyingKey)).toBe(true);
    expect(ed25519.verify(sig, sha256(utf8ToBytes('transfer 2 BTC to carol')), group.groupVerifyingKey)).toBe(
      false,
    );
    // The fixed signer set is the first minSigners commitments; all 5 committed.
    expect(run.c1.successes).toHaveLength(5);
    expect(run.r2.ok && run.r2.session.signers!.map((m) => m.identity.xid)).toEqual(
      run.c1.successes.slice(0, 3).map((s) => s.xid),
    );
    // Signers saw the finalize event and checked the signature; the non-chosen stay committed.
    const session = run.result.session.session;
    const phases = [...world.states.values()].map((s) => s.sessions[session]!.phase).sort();
    expect(phases).toEqual(['committed', 'committed', 'complete', 'complete', 'complete']);
  });

  it('fewer than minSigners commitments cannot produce a signature', () => {
    const { world, group } = fixture(5, 3);
    const busy = new Set(['p0', 'p2', 'p4']);
    world.behaviour = (n, t) => (t === 'signInvite' && busy.has(n) ? reject('Busy right now') : ACCEPT);
    const before = world.steps.length;
    const run = world.runSign(group, target);
    expect(run.stage).toBe('round1');
    if (run.stage === 'round1' && !run.r2.ok) {
      expect(run.r2.reason).toBe('need 3 commitments, got 2');
      expect(run.c1.rejections.map((r) => r.reason)).toEqual([
        'Busy right now',
        'Busy right now',
        'Busy right now',
      ]);
      expect(run.r2.missing).toHaveLength(3);
    } else throw new Error('round 2 should not start');
    // Nobody ever received a signRound2 or signed anything.
    expect(
      world.steps.slice(before).map((s) => (s.result.kind === 'error' ? 'error' : s.result.inbound)),
    ).toEqual(Array(5).fill('signInvite'));
  });

  it('with 5 members and minSigners 3, two refusals still leave a quorum; arrival order picks the signers', () => {
    const { world, group } = fixture(5, 3);
    world.behaviour = (n, t) =>
      t === 'signInvite' && (n === 'p0' || n === 'p3') ? reject('Busy right now') : ACCEPT;
    const order = [...group.members].reverse().map((m) => m.identity.xid);
    const run = world.runSign(group, target, { order });
    if (run.stage !== 'finalize' || !run.result.ok) throw new Error('signing failed');
    expect(run.c1.rejections.map((r) => r.xid).sort()).toEqual([world.xidOf('p0'), world.xidOf('p3')].sort());
    const willing = order.filter((x) => x !== world.xidOf('p0') && x !== world.xidOf('p3'));
    expect(run.result.session.signers!.map((m) => m.identity.xid)).toEqual(willing.slice(0, 3));
    expect(verifyTargetSignature(run.result.signature, target, group.groupVerifyingKey)).toBe(true);
  });

  it('a forged (bad) signature share is detected by verifyShare and attributed to its sender', () => {
    const { world, group } = fixture(3, 2);
    const cheater = world.xidOf('p1');
    world.behaviour = only('p1', 'signRound2', { kind: 'badShare' });
    const run = world.runSign(group, target, {
      order: [cheater, ...group.members.map((m) => m.identity.xid).filter((x) => x !== cheater)],
    });
    if (run.stage !== 'finalize') throw new Error('expected round 2');
    expect(run.c2.errors).toHaveLength(1);
    expect(run.c2.errors[0]!.xid).toBe(cheater);
    expect(run.c2.errors[0]!.error).toBeInstanceOf(InvalidShareError);
    expect((run.c2.errors[0]!.error as InvalidShareError).what).toBe('signatureShare');
    expect(run.result.ok).toBe(false);
    if (!run.result.ok) expect(run.result.blamed).toEqual([cheater]);
  });

  it('a round-2 response signed with the wrong key is forged, attributed to the slot owner', () => {
    const { world, group } = fixture(3, 2);
    const forger = world.xidOf('p2');
    world.behaviour = only('p2', 'signRound2', { kind: 'forged' });
    const run = world.runSign(group, target, {
      order: [forger, ...group.members.map((m) => m.identity.xid).filter((x) => x !== forger)],
    });
    if (run.stage !== 'finalize') throw new Error('expected round 2');
    expect(run.c2.errors.map((e) => e.xid)).toEqual([forger]);
    expect(run.c2.errors[0]!.error).toBeInstanceOf(ForgedMessageError);
  });

  it('a malformed commitment names the field', () => {
    const { world, group } = fixture(3, 2);
    world.behaviour = only('p0', 'signInvite', { kind: 'malformed' });
    const run = world.runSign(group, target);
    expect(run.c1.errors.map((e) => e.xid)).toEqual([world.xidOf('p0')]);
    expect((run.c1.errors[0]!.error as MalformedMessageError).field).toBe('body.commitments.hiding');
    // The two others still make a quorum of 2.
    if (run.stage !== 'finalize' || !run.result.ok) throw new Error('signing failed');
    expect(verifyTargetSignature(run.result.signature, target, group.groupVerifyingKey)).toBe(true);
  });
});

describe('determinism', () => {
  function transcript(seed: string) {
    const world = new World(seed, 2);
    const group = dkgOk(world, 2);
    const run = world.runSign(group, utf8ToBytes('hello'));
    if (run.stage !== 'finalize' || !run.result.ok) throw new Error('signing failed');
    return {
      hash: world.transcriptHash(),
      count: world.transcript.length,
      sig: bytesToHex(run.result.signature),
    };
  }

  it('the same seed gives identical transcript bytes', () => {
    const a = transcript('seed-A');
    const b = transcript('seed-A');
    expect(b).toEqual(a);
    // DKG: 2 × (invite, response, round2, response, finalize, response); signing: 2 ×
    // (invite, commitments, round2, share, finalize).
    expect(a.count).toBe(12 + 10);
  });

  it('another seed gives other bytes from the first message on', () => {
    const invites = (seed: string) => {
      const world = new World(seed, 2);
      return startDkg(
        { participants: world.identities.map(publicIdentity), minSigners: 2, charter: 'c' },
        world.ctx(),
      ).invites;
    };
    const a = invites('seed-A');
    const a2 = invites('seed-A');
    const c = invites('seed-C');
    expect(a2.map((o) => [o.arid, bytesToHex(o.sealed)])).toEqual(
      a.map((o) => [o.arid, bytesToHex(o.sealed)]),
    );
    expect(c[0]!.arid).not.toBe(a[0]!.arid);
    expect(bytesToHex(c[0]!.sealed)).not.toBe(bytesToHex(a[0]!.sealed));
  });
});
