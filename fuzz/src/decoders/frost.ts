/**
 * FROST targets (packages/frost): sealed envelopes (openTyped: outer CBOR, AEAD, inner CBOR,
 * signed map, signature, validity, then the body schema of the message type), dCBOR on its own,
 * and the UR texts (`ur:arid`, `ur:envelope`) of packages/frost ur.ts.
 *
 * Random or mutated ciphertext never authenticates, so two kinds of inputs are built with the
 * real keys to reach the checks behind the AEAD and the signature: a mutated plaintext encrypted
 * to the recipient, and a mutated `signed` map signed by a known sender and sealed — the same
 * construction as packages/frost sealed.ts (sign-then-encrypt, X25519 + HKDF-SHA256 +
 * XChaCha20-Poly1305), rebuilt here because sealMessage only seals well-formed maps.
 */
import { createPrivateKey, sign as nativeSign, type KeyObject } from 'node:crypto';
import fc from 'fast-check';
import { xchacha20poly1305 } from '@noble/ciphers/chacha.js';
import { ed25519, x25519 } from '@noble/curves/ed25519.js';
import { hkdf } from '@noble/hashes/hkdf.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { concatBytes, utf8ToBytes } from '@noble/hashes/utils.js';
import {
  aridFromUr,
  aridToUr,
  createIdentity,
  decodeCbor,
  encodeCbor,
  ExpiredMessageError,
  ForgedMessageError,
  isAridUr,
  MalformedMessageError,
  MESSAGE_TYPES,
  NotForMeError,
  openTyped,
  peekRecipient,
  ProtocolViolationError,
  sealedFromEnvelopeUr,
  sealedToEnvelopeUr,
  sealMessage,
  UrDecodeError,
  type Identity,
  type PublicIdentity,
} from '@fanout/frost';
import { envelopeCborToUr } from '@fanout/sim-hubert';
import { rngBytesFn, type Rng } from '@fanout/sim';
import { bytesInput, expandBytes, textInput } from '../mutate.js';
import { treeInput } from '../tree-mutate.js';
import { attempt, fieldProp, hexOf, textOf, type DecoderTarget, type TypedClass } from './target.js';

/** Clock time every open uses, ms (validity windows in the corpus are around it). */
const NOW = 10_000_000;
const SIGN_LABEL = utf8ToBytes('fanout-frost/sealed/v1/sign');
const KDF_INFO = utf8ToBytes('fanout-frost/sealed/v1/xchacha20poly1305');

/**
 * Typed rejections of the sealed-message layer. ForgedMessageError and ExpiredMessageError name
 * the check that failed rather than a field: 'authenticity' (AEAD, signature, sender) and
 * 'validity' (validFrom/validUntil); NotForMeError names the outer `to`.
 */
const SEALED_TYPED: readonly TypedClass[] = [
  [MalformedMessageError, fieldProp],
  [ProtocolViolationError, fieldProp],
  [NotForMeError, () => 'to'],
  [ForgedMessageError, () => 'authenticity'],
  [ExpiredMessageError, () => 'validity'],
];
const CBOR_TYPED: readonly TypedClass[] = [[MalformedMessageError, fieldProp]];
const UR_TYPED: readonly TypedClass[] = [[UrDecodeError, fieldProp]];

/** The parties of the sealed-message target: a recipient, a known sender, a stranger. */
interface Parties {
  readonly recipient: Identity;
  readonly sender: Identity;
  readonly stranger: Identity;
  readonly senders: ReadonlyMap<string, PublicIdentity>;
}

function parties(rng: Rng): Parties {
  const recipient = createIdentity(rngBytesFn(rng.fork('recipient')));
  const sender = createIdentity(rngBytesFn(rng.fork('sender')));
  const stranger = createIdentity(rngBytesFn(rng.fork('stranger')));
  return { recipient, sender, stranger, senders: new Map([[sender.xid, sender]]) };
}

/** A valid body for every message type (see packages/frost messages.ts). */
function bodies(rng: Rng, p: Parties): Record<string, unknown> {
  const arid = (): string => aridToUr(rng.bytes(32));
  const b = (n: number): Uint8Array => rng.bytes(n);
  const entry = (id: Identity) => ({
    xid: id.xid,
    signingPublicKey: id.signingPublicKey,
    encryptionPublicKey: id.encryptionPublicKey,
    binding: id.binding,
  });
  const r1 = { commitment: [b(32), b(32)], proofOfKnowledge: b(64) };
  const xs = [p.sender.xid, p.recipient.xid];
  return {
    dkgInvite: {
      group: arid(),
      minSigners: 2,
      charter: 'fuzz',
      expiry: NOW + 60_000,
      participants: [entry(p.sender), entry(p.recipient)],
      responseArid: arid(),
    },
    dkgRound1Response: { group: arid(), participant: xs[0], responseArid: arid(), round1Package: r1 },
    dkgInviteReject: { group: arid(), responseArid: arid(), reason: 'no' },
    dkgRound2: {
      group: arid(),
      responseArid: arid(),
      round1Packages: xs.map((participant) => ({ participant, package: r1 })),
    },
    dkgRound2Response: {
      group: arid(),
      participant: xs[0],
      responseArid: arid(),
      round2Packages: [{ recipient: xs[1], sealed: b(90) }],
    },
    dkgRound2Share: { group: arid(), signingShare: b(32) },
    dkgFinalize: { group: arid(), responseArid: arid(), round2Packages: [{ sender: xs[0], sealed: b(90) }] },
    dkgFinalizeResponse: {
      group: arid(),
      participant: xs[0],
      publicKeyPackage: {
        minSigners: 2,
        maxSigners: 2,
        commitments: [b(32), b(32)],
        verifyingShares: xs.map((participant) => ({ participant, share: b(32) })),
      },
    },
    signInvite: {
      session: arid(),
      group: arid(),
      groupVerifyingKey: b(32),
      minSigners: 2,
      target: b(20),
      expiry: NOW + 60_000,
      responseArid: arid(),
    },
    signRound1Response: {
      session: arid(),
      participant: xs[0],
      commitments: { hiding: b(32), binding: b(32) },
      responseArid: arid(),
    },
    signCommitReject: { session: arid(), responseArid: arid(), reason: 'busy' },
    signRound2: {
      session: arid(),
      responseArid: arid(),
      commitments: xs.map((participant) => ({ participant, hiding: b(32), binding: b(32) })),
    },
    signRound2Response: { session: arid(), participant: xs[0], signatureShare: b(32), responseArid: arid() },
    signFinalize: { session: arid(), signature: b(64), signers: xs },
    protocolAbort: { context: arid(), phase: 'signRound2', reason: 'bad share', accused: [xs[0]] },
  };
}

/** An ephemeral key of {@link Sealer}: its public half and the AEAD key it gives for the recipient. */
interface Ephemeral {
  readonly eph: Uint8Array;
  readonly key: Uint8Array;
}

/**
 * Encrypts any plaintext to one recipient as sealed.ts does. X25519 costs ~2 ms in pure JS, so a
 * pool of 16 ephemeral keys is derived once and an input picks one (and its nonce) by its seed.
 */
class Sealer {
  readonly #pool: Ephemeral[] = [];
  constructor(
    readonly to: PublicIdentity,
    rng: Rng,
  ) {
    for (let i = 0; i < 16; i++) {
      const secret = rng.bytes(32);
      const eph = x25519.getPublicKey(secret);
      const shared = x25519.getSharedSecret(secret, to.encryptionPublicKey);
      this.#pool.push({
        eph,
        key: hkdf(sha256, shared, concatBytes(eph, to.encryptionPublicKey), KDF_INFO, 32),
      });
    }
  }

  /** The sealed bytes of `plaintext` (ephemeral key and 24-byte nonce chosen by `seed`). */
  seal(plaintext: Uint8Array, seed: number): Uint8Array {
    const { eph, key } = this.#pool[(seed >>> 0) % this.#pool.length]!;
    const nonce = expandBytes(seed, 24);
    const header = encodeCbor({ v: 1, to: this.to.xid, eph });
    const ct = xchacha20poly1305(key, nonce, header).encrypt(plaintext);
    return encodeCbor({ v: 1, to: this.to.xid, eph, nonce, ct });
  }
}

/** PKCS#8 DER prefix of a raw 32-byte Ed25519 seed (RFC 8410). */
const ED25519_PKCS8_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex');

/**
 * Signs as `identity` with node:crypto (Ed25519 signatures are deterministic, RFC 8032: the bytes
 * equal noble's, checked once here), ~40× faster than pure JS — the decoder under test still
 * verifies with noble.
 */
function signerOf(identity: Identity): (message: Uint8Array) => Uint8Array {
  const key: KeyObject = createPrivateKey({
    key: Buffer.concat([ED25519_PKCS8_PREFIX, identity.signingSecretKey]),
    format: 'der',
    type: 'pkcs8',
  });
  const sign = (m: Uint8Array): Uint8Array => new Uint8Array(nativeSign(null, m, key));
  const probe = utf8ToBytes('probe');
  if (
    Buffer.compare(Buffer.from(sign(probe)), Buffer.from(ed25519.sign(probe, identity.signingSecretKey))) !==
    0
  )
    throw new Error('node:crypto Ed25519 signature differs from noble: cannot sign fuzz inputs');
  return sign;
}

/** cbor2 encodes what dCBOR cannot (NaN, undefined…) with a throw: fall back to a marker. */
function cborOrMarker(value: unknown): Uint8Array {
  try {
    return encodeCbor(value);
  } catch {
    return Uint8Array.of(0xf7); // undefined: not valid dCBOR, the decoder must refuse it
  }
}

/** Sealed messages through peekRecipient and openTyped(all message types). */
export function frostSealed(): DecoderTarget<Uint8Array> {
  let p: Parties | undefined;
  return {
    name: 'frost.sealed',
    drives:
      'peekRecipient, openTyped (AEAD, signature, validity, body schemas) — packages/frost sealed.ts, messages.ts',
    cost: 20,
    arbitrary(rng) {
      const who = parties(rng);
      p = who;
      const all = bodies(rng.fork('bodies'), who);
      const seal = (type: string, body: unknown, to: PublicIdentity = who.recipient): Uint8Array =>
        sealMessage({
          sender: who.sender,
          recipient: to,
          type,
          body,
          now: NOW,
          rng: rngBytesFn(rng.fork(type)),
        });
      const sealedCorpus = [
        ...Object.entries(all).map(([t, b]) => seal(t, b)),
        seal('signFinalize', all.signFinalize, who.stranger),
      ];
      const signedMaps = Object.entries(all).map(([type, body]) => ({
        v: 1,
        type,
        from: who.sender.xid,
        to: who.recipient.xid,
        validFrom: NOW - 1000,
        validUntil: NOW + 3_600_000,
        body,
      }));
      const keys = [
        'v',
        'type',
        'from',
        'to',
        'validFrom',
        'validUntil',
        'body',
        'signed',
        'sig',
        ...MESSAGE_TYPES,
      ];
      const sealer = new Sealer(who.recipient, rng.fork('ephemeral'));
      const signAsSender = signerOf(who.sender);
      const signMap = (bytes: Uint8Array) => ({
        signed: bytes,
        sig: signAsSender(concatBytes(SIGN_LABEL, bytes)),
      });
      // A mutated signed map, signed by the known sender, sealed to the recipient.
      const signed = fc
        .tuple(treeInput(signedMaps, { binary: true, keys, maxEdits: 3 }), fc.integer())
        .map(([map, seed]) => sealer.seal(encodeCbor(signMap(cborOrMarker(map))), seed));
      // A mutated plaintext ({signed, sig} map, or its bytes), sealed to the recipient.
      const plaintexts = signedMaps.slice(0, 3).map((m) => signMap(encodeCbor(m)));
      const plain = fc
        .tuple(
          fc.oneof(
            treeInput(plaintexts, { binary: true, keys }).map(cborOrMarker),
            bytesInput({ corpus: plaintexts.map((x) => encodeCbor(x)), maxRandom: 300 }),
          ),
          fc.integer(),
        )
        .map(([bytes, seed]) => sealer.seal(bytes, seed));
      const outer = bytesInput({ corpus: sealedCorpus, maxRandom: 600 });
      // Weights: every input that reaches the AEAD costs the decoder one X25519 (~2 ms in pure JS)
      // and one that reaches the signature an Ed25519 verify (~3 ms): most inputs stay outside.
      return fc.oneof(
        { weight: 5, arbitrary: outer },
        { weight: 2, arbitrary: plain },
        { weight: 1, arbitrary: signed },
      );
    },
    run(bytes) {
      const who = p!;
      attempt(() => peekRecipient(bytes), SEALED_TYPED);
      return attempt(
        () => openTyped(bytes, { recipient: who.recipient, now: NOW, senders: who.senders }, MESSAGE_TYPES),
        SEALED_TYPED,
      );
    },
    show: (b) => hexOf(b),
  };
}

/** dCBOR bytes through decodeCbor. */
export function frostCbor(): DecoderTarget<Uint8Array> {
  return {
    name: 'frost.cbor',
    drives: 'decodeCbor (dCBOR, tags not interpreted) — packages/frost cbor.ts',
    cost: 1,
    arbitrary(rng) {
      const corpus = [
        encodeCbor({
          v: 1,
          to: 'ab'.repeat(32),
          eph: rng.bytes(32),
          nonce: rng.bytes(24),
          ct: rng.bytes(40),
        }),
        encodeCbor([1, -1, 24, 255, 65536, 2 ** 40, -(2 ** 40), 1.5, 'x', true, null]),
        encodeCbor({ a: [rng.bytes(3), { b: 'c' }], d: 1n << 70n }),
        Uint8Array.of(0xd9, 0x9c, 0x4c, 0x58, 0x20, ...rng.bytes(32)), // 40012(h'…')
        Uint8Array.of(0xbf, 0x61, 0x61, 0x01, 0xff), // indefinite map: not dCBOR
        Uint8Array.of(0x18, 0x01), // non-shortest integer
        Uint8Array.of(0xfb, 0x3f, 0xf8, 0, 0, 0, 0, 0, 0), // 1.5 as float64: not shortest
      ];
      return bytesInput({
        corpus,
        dictionary: [
          Uint8Array.of(0x9f),
          Uint8Array.of(0xff),
          Uint8Array.of(0x5f),
          Uint8Array.of(0xfa, 0x7f, 0xc0, 0, 0),
          Uint8Array.of(0x1b, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff),
          Uint8Array.of(0xc2),
          Uint8Array.of(0xd8, 0xc8),
          Uint8Array.of(0x7b, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff),
        ],
        maxRandom: 300,
      });
    },
    run: (bytes) => attempt(() => decodeCbor(bytes), CBOR_TYPED),
    show: (b) => hexOf(b),
  };
}

/**
 * `ur:<type>/…` text of any CBOR bytes with a valid CRC (hubert's encoder, type swapped: the
 * bytewords checksum covers the payload only), so mutated CBOR reaches the checks behind the UR layer.
 */
export function urOf(type: string, cbor: Uint8Array): string {
  return `ur:${type}/${envelopeCborToUr(cbor).slice('ur:envelope/'.length)}`;
}

/** UR texts through aridFromUr, isAridUr and sealedFromEnvelopeUr. */
export function frostUr(): DecoderTarget<string> {
  return {
    name: 'frost.ur',
    drives: 'aridFromUr, isAridUr, sealedFromEnvelopeUr — packages/frost ur.ts',
    cost: 3,
    arbitrary(rng) {
      const cbors = [
        encodeCbor(rng.bytes(32)),
        encodeCbor(rng.bytes(31)),
        Uint8Array.of(0xd8, 0xc9, 0x50, ...rng.bytes(16)), // 201(h'…')
        encodeCbor('text'),
      ];
      const text = textInput({
        corpus: [
          aridToUr(rng.bytes(32)),
          sealedToEnvelopeUr(rng.bytes(40)),
          'UR:ARID/' + aridToUr(rng.bytes(32)).slice(8),
        ],
        dictionary: ['ur:', 'arid/', 'envelope/', '/', 'UR:', 'ur:arid/', '-', '\r', ' ', 'lpay', 'zero'],
      });
      const wrapped = fc
        .tuple(
          fc.constantFrom('arid', 'envelope', 'crypto-seed'),
          bytesInput({ corpus: cbors, maxRandom: 80 }),
        )
        .map(([type, cbor]) => urOf(type, cbor));
      return fc.oneof(text, wrapped);
    },
    run(text) {
      attempt(() => isAridUr(text), UR_TYPED);
      const a = attempt(() => aridFromUr(text), UR_TYPED);
      const e = attempt(() => sealedFromEnvelopeUr(text), UR_TYPED);
      return a === 'accepted' ? 'arid accepted' : e === 'accepted' ? 'envelope accepted' : `${a} / ${e}`;
    },
    show: (s) => textOf(s),
  };
}
