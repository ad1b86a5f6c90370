import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex } from '@noble/hashes/utils.js';
import { describe, expect, it } from 'vitest';
import {
  ExpiredMessageError,
  ForgedMessageError,
  MESSAGE_VALIDITY_MS,
  MalformedMessageError,
  NotForMeError,
  ProtocolViolationError,
  UrDecodeError,
  aridFromUr,
  aridToUr,
  assertPublicIdentity,
  createIdentity,
  decodeCbor,
  encodeCbor,
  membersOf,
  newAridUr,
  openMessage,
  openTyped,
  peekRecipient,
  publicIdentity,
  sealMessage,
  sealTyped,
  sealedFromEnvelopeUr,
  sealedToEnvelopeUr,
  xidOf,
  type Identity,
  type OpenOptions,
} from '../src/index.js';
import { flipByte, seededRng } from './helpers.js';

const rng = seededRng('sealed-tests');
const alice = createIdentity(rng, 'alice');
const bob = createIdentity(rng, 'bob');
const carol = createIdentity(rng, 'carol');
const NOW = 5_000_000;
const body = { hello: 'world', n: 42, bytes: new Uint8Array([1, 2, 3]) };

function opts(recipient: Identity, extra: Partial<OpenOptions> = {}): OpenOptions {
  return {
    recipient,
    now: NOW,
    senders: new Map([alice, bob, carol].map((i) => [i.xid, publicIdentity(i)])),
    ...extra,
  };
}

const sealed = sealMessage({ sender: alice, recipient: bob, type: 'greeting', body, now: NOW, rng });

/** Re-encode the outer map of a sealed message with one field replaced. */
function withOuter(bytes: Uint8Array, patch: Record<string, unknown>): Uint8Array {
  return encodeCbor({ ...(decodeCbor(bytes) as Record<string, unknown>), ...patch });
}

describe('sealed messages', () => {
  it('round-trips the body, sender, type and validity window', () => {
    const m = openMessage(sealed, opts(bob));
    expect(m.type).toBe('greeting');
    expect(m.sender).toBe(alice.xid);
    expect(m.recipient).toBe(bob.xid);
    expect(m.validFrom).toBe(NOW);
    expect(m.validUntil).toBe(NOW + MESSAGE_VALIDITY_MS);
    expect(m.body).toEqual(body);
    expect(peekRecipient(sealed)).toBe(bob.xid);
  });

  it('does not leak the body in clear', () => {
    const hex = bytesToHex(sealed);
    expect(hex).not.toContain(bytesToHex(new TextEncoder().encode('world')));
  });

  it('is deterministic for the same rng stream', () => {
    const a = sealMessage({ sender: alice, recipient: bob, type: 't', body, now: NOW, rng: seededRng('s') });
    const b = sealMessage({ sender: alice, recipient: bob, type: 't', body, now: NOW, rng: seededRng('s') });
    const c = sealMessage({ sender: alice, recipient: bob, type: 't', body, now: NOW, rng: seededRng('t') });
    expect(bytesToHex(a)).toBe(bytesToHex(b));
    expect(bytesToHex(a)).not.toBe(bytesToHex(c));
  });

  it('a tampered ciphertext, nonce or ephemeral key is ForgedMessageError', () => {
    const outer = decodeCbor(sealed) as { ct: Uint8Array; nonce: Uint8Array; eph: Uint8Array };
    for (const patch of [
      { ct: flipByte(outer.ct, 10) },
      { ct: flipByte(outer.ct, outer.ct.length - 1) },
      { nonce: flipByte(outer.nonce, 0) },
      { eph: flipByte(outer.eph, 3) },
    ]) {
      expect(() => openMessage(withOuter(sealed, patch), opts(bob))).toThrow(ForgedMessageError);
    }
  });

  it('a message for someone else is NotForMeError; re-addressing it does not help', () => {
    try {
      openMessage(sealed, opts(carol));
      throw new Error('should have thrown');
    } catch (e) {
      expect(e).toBeInstanceOf(NotForMeError);
      expect((e as NotForMeError).recipient).toBe(bob.xid);
      expect((e as NotForMeError).me).toBe(carol.xid);
    }
    // The recipient is bound as AEAD associated data: changing it breaks authentication.
    expect(() => openMessage(withOuter(sealed, { to: carol.xid }), opts(carol))).toThrow(ForgedMessageError);
  });

  it('a signature by the wrong key, an unknown sender, or an unexpected sender is forged', () => {
    const forged = sealMessage({
      sender: alice,
      recipient: bob,
      type: 't',
      body,
      now: NOW,
      rng,
      forgeWithKey: carol.signingSecretKey,
    });
    expect(() => openMessage(forged, opts(bob))).toThrow(/signature does not verify/);
    expect(() => openMessage(forged, opts(bob))).toThrow(ForgedMessageError);
    const stranger = createIdentity(rng, 'mallory');
    const fromStranger = sealMessage({ sender: stranger, recipient: bob, type: 't', body, now: NOW, rng });
    expect(() => openMessage(fromStranger, opts(bob))).toThrow(/unknown sender/);
    expect(() => openMessage(sealed, opts(bob, { expectedSender: carol.xid }))).toThrow(/wrong sender/);
    expect(openMessage(sealed, opts(bob, { expectedSender: alice.xid })).sender).toBe(alice.xid);
  });

  it('is valid for exactly one hour (injected clock), then ExpiredMessageError', () => {
    expect(openMessage(sealed, opts(bob, { now: NOW + MESSAGE_VALIDITY_MS })).sender).toBe(alice.xid);
    expect(() => openMessage(sealed, opts(bob, { now: NOW + MESSAGE_VALIDITY_MS + 1 }))).toThrow(
      ExpiredMessageError,
    );
    // Far in the future of the reader's clock: not yet valid.
    expect(() => openMessage(sealed, opts(bob, { now: NOW - 600_000 }))).toThrow(ExpiredMessageError);
  });

  it('malformed bytes name the offending field', () => {
    const cases: [Uint8Array, string][] = [
      [new Uint8Array([0xff, 0x00]), 'sealed'],
      [withOuter(sealed, { nonce: new Uint8Array(23) }), 'sealed.nonce'],
      [withOuter(sealed, { v: 2 }), 'sealed.v'],
      [withOuter(sealed, { to: 'not-a-xid' }), 'sealed.to'],
    ];
    for (const [bytes, field] of cases) {
      try {
        openMessage(bytes, opts(bob));
        throw new Error(`should have thrown for ${field}`);
      } catch (e) {
        expect(e).toBeInstanceOf(MalformedMessageError);
        expect((e as MalformedMessageError).field).toBe(field);
      }
    }
  });
});

describe('typed messages', () => {
  const arid = newAridUr(rng);

  it('reject a wrong type and name a bad body field', () => {
    const reject = sealTyped(
      'dkgInviteReject',
      { group: arid, responseArid: arid, reason: 'Busy right now' },
      {
        sender: alice,
        recipient: bob,
        now: NOW,
        rng,
      },
    );
    expect(openTyped(reject, opts(bob), ['dkgInviteReject']).body.reason).toBe('Busy right now');
    expect(() => openTyped(reject, opts(bob), ['dkgRound1Response'])).toThrow(ProtocolViolationError);

    const badInvite = sealMessage({
      sender: alice,
      recipient: bob,
      type: 'dkgInvite',
      body: { group: arid, minSigners: 1, charter: '', expiry: NOW, participants: [], responseArid: arid },
      now: NOW,
      rng,
    });
    try {
      openTyped(badInvite, opts(bob), ['dkgInvite']);
      throw new Error('should have thrown');
    } catch (e) {
      expect(e).toBeInstanceOf(MalformedMessageError);
      expect((e as MalformedMessageError).field).toBe('body.minSigners');
    }
  });

  it('a dkgFinalizeResponse that also carries a secret key package is malformed', () => {
    const pkg = {
      minSigners: 2,
      maxSigners: 2,
      commitments: [new Uint8Array(32), new Uint8Array(32)],
      verifyingShares: [
        { participant: alice.xid, share: new Uint8Array(32) },
        { participant: bob.xid, share: new Uint8Array(32) },
      ],
    };
    const good = { group: arid, participant: alice.xid, publicKeyPackage: pkg };
    const ok = sealMessage({
      sender: alice,
      recipient: bob,
      type: 'dkgFinalizeResponse',
      body: good,
      now: NOW,
      rng,
    });
    expect(openTyped(ok, opts(bob), ['dkgFinalizeResponse']).body.participant).toBe(alice.xid);
    const leaky = sealMessage({
      sender: alice,
      recipient: bob,
      type: 'dkgFinalizeResponse',
      body: { ...good, keyPackage: { signingShare: new Uint8Array(32) } },
      now: NOW,
      rng,
    });
    expect(() => openTyped(leaky, opts(bob), ['dkgFinalizeResponse'])).toThrow(/keyPackage/);
    expect(() => openTyped(leaky, opts(bob), ['dkgFinalizeResponse'])).toThrow(MalformedMessageError);
  });
});

describe('UR forms', () => {
  it('ARIDs round-trip through ur:arid and match the schema shape', () => {
    const bytes = seededRng('arid')(32);
    const ur = aridToUr(bytes);
    expect(ur).toMatch(/^ur:arid\/[a-z]{76}$/);
    expect(bytesToHex(aridFromUr(ur))).toBe(bytesToHex(bytes));
    expect(newAridUr(seededRng('arid'))).toBe(ur);
    expect(() => aridToUr(new Uint8Array(31))).toThrow(UrDecodeError);
    expect(() => aridFromUr('ur:arid/abcd')).toThrow(UrDecodeError);
  });

  it('sealed messages round-trip through ur:envelope; an arid is not an envelope', () => {
    const ur = sealedToEnvelopeUr(sealed);
    expect(ur.startsWith('ur:envelope/')).toBe(true);
    expect(bytesToHex(sealedFromEnvelopeUr(ur))).toBe(bytesToHex(sealed));
    expect(() => sealedFromEnvelopeUr(newAridUr(rng))).toThrow(/expected ur:envelope/);
  });

  it('a text wrapped in this process unwraps to its bytes without decoding, as a fresh copy each time', () => {
    const bytes = seededRng('wrapped')(200);
    const ur = sealedToEnvelopeUr(bytes);
    bytes.fill(0); // the caller's array changing after wrapping changes nothing
    const first = sealedFromEnvelopeUr(ur);
    expect(bytesToHex(first)).toBe(bytesToHex(seededRng('wrapped')(200)));
    first.fill(1); // nor does changing what an unwrap returned
    expect(bytesToHex(sealedFromEnvelopeUr(ur))).toBe(bytesToHex(seededRng('wrapped')(200)));
    // The same text in upper case is not in the memo: decoded, to the same bytes.
    expect(bytesToHex(sealedFromEnvelopeUr(ur.toUpperCase()))).toBe(bytesToHex(seededRng('wrapped')(200)));
  });
});

describe('identities', () => {
  it('XID is SHA-256 of the signing key; the key binding is checked', () => {
    expect(alice.xid).toBe(bytesToHex(sha256(alice.signingPublicKey)));
    expect(xidOf(alice.signingPublicKey)).toBe(alice.xid);
    expect(() => assertPublicIdentity(publicIdentity(alice))).not.toThrow();
    expect(() =>
      assertPublicIdentity({ ...publicIdentity(alice), encryptionPublicKey: bob.encryptionPublicKey }),
    ).toThrow(ForgedMessageError);
    expect(() => assertPublicIdentity({ ...publicIdentity(alice), xid: bob.xid })).toThrow(
      MalformedMessageError,
    );
    expect('signingSecretKey' in publicIdentity(alice)).toBe(false);
  });

  it('members are sorted by XID with identifier = position + 1; duplicates are refused', () => {
    const members = membersOf([carol, alice, bob].map(publicIdentity));
    const xids = members.map((m) => m.identity.xid);
    expect(xids).toEqual([alice.xid, bob.xid, carol.xid].sort());
    expect(members.map((m) => m.index)).toEqual([1, 2, 3]);
    expect(members[0]!.identifier).toBe('01'.padEnd(64, '0'));
    expect(() => membersOf([alice, alice].map(publicIdentity))).toThrow(/duplicate participant/);
  });
});
