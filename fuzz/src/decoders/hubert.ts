/**
 * Hubert targets (simulators/hubert): the UR layer (ur.ts: ARIDs, envelopes and the Gordian
 * Envelope structure check) and request bodies through the HTTP app's fetch handler in-process
 * (http/app.ts: /put, /get, /health; the answer's status and text say what was refused).
 */
import fc from 'fast-check';
import { Tag, encode as cborEncode } from 'cbor2';
import { VirtualClock } from '@fanout/core';
import {
  aridToUr,
  canonicalAridUr,
  createHubertApp,
  createServerKvStore,
  decodeEnvelopeUr,
  envelopeCborToUr,
  envelopeFromUr,
  envelopeToUr,
  InvalidAridError,
  InvalidEnvelopeError,
  parseReferenceEnvelope,
  referenceEnvelopeToUr,
} from '@fanout/sim-hubert';
import type { Rng } from '@fanout/sim';
import {
  extraEnvelopes,
  hubertRequestArb,
  hubertRoutingViolation,
  judgeHubert,
} from '../http/hubert-grammar.js';
import { bodyLength, toFetchRequest, type FuzzRequest } from '../http/request.js';
import { bytesInput, textInput } from '../mutate.js';
import { showRequest } from './bao.js';
import { urOf } from './frost.js';
import { attempt, fieldProp, FuzzViolation, textOf, type DecoderTarget, type TypedClass } from './target.js';

const UR_TYPED: readonly TypedClass[] = [
  [InvalidAridError, fieldProp],
  [InvalidEnvelopeError, fieldProp],
];

const dcbor = (v: unknown): Uint8Array => cborEncode(v, { dcbor: true });

/** Untagged envelope bodies of every structure bc-envelope knows (see envelope-check.ts). */
function envelopeBodies(rng: Rng): Uint8Array[] {
  const leaf = (v: unknown): Tag => new Tag(201, v);
  const digest = (): Tag => new Tag(40001, rng.bytes(32));
  const assertion = (): Map<unknown, unknown> => new Map([[leaf('p'), leaf(rng.bytes(4))]]);
  return [
    dcbor(leaf(rng.bytes(24))),
    dcbor(leaf('text')),
    dcbor(new Tag(24, 5)),
    dcbor([leaf('subject'), assertion(), rng.bytes(32)]),
    dcbor(new Tag(200, leaf(1))),
    dcbor(7),
    dcbor(rng.bytes(32)),
    dcbor(new Tag(40002, [rng.bytes(20), rng.bytes(12), rng.bytes(16), dcbor(digest())])),
    dcbor(new Tag(40003, [123, 40, rng.bytes(20), digest()])),
    dcbor(assertion()),
  ];
}

/** UR texts through every decoder of ur.ts; the payload of a reference envelope too. */
export function hubertUr(): DecoderTarget<string> {
  return {
    name: 'hubert.ur',
    drives:
      'canonicalAridUr (aridFromUr), envelopeFromUr, decodeEnvelopeUr (+ re-encode), parseReferenceEnvelope — simulators/hubert ur.ts',
    cost: 3,
    arbitrary(rng) {
      const bodies = envelopeBodies(rng);
      const texts = [
        aridToUr(rng.bytes(32)),
        envelopeToUr(rng.bytes(30)),
        referenceEnvelopeToUr(rng.bytes(32), 512),
        ...bodies.map((b) => envelopeCborToUr(b)),
      ];
      const text = textInput({
        corpus: [...texts, texts[0]!.toUpperCase()],
        dictionary: ['ur:', 'arid/', 'envelope/', '/', '\u2028', '\r', ' ', 'tpso', 'lf', 'UR:'],
      });
      const wrapped = fc
        .tuple(
          fc.constantFrom('arid', 'envelope'),
          bytesInput({
            corpus: [...bodies, dcbor(rng.bytes(32))],
            dictionary: [
              Uint8Array.of(0xd8, 0xc9),
              Uint8Array.of(0xd8, 0xc8),
              Uint8Array.of(0xd9, 0x9c, 0x41),
              Uint8Array.of(0x9f),
            ],
            maxRandom: 120,
          }),
        )
        .map(([type, body]) => urOf(type, body));
      return fc.oneof(text, wrapped);
    },
    run(text) {
      const arid = attempt(() => canonicalAridUr(text), UR_TYPED); // aridFromUr + re-encode
      attempt(() => envelopeFromUr(text), UR_TYPED);
      let body: Uint8Array | undefined;
      const envelope = attempt(() => {
        body = decodeEnvelopeUr(text);
        envelopeCborToUr(body); // canonicalEnvelopeUr = decodeEnvelopeUr + this
      }, UR_TYPED);
      if (body !== undefined) parseReferenceEnvelope(body); // documented never to throw
      return arid === 'accepted'
        ? 'arid accepted'
        : envelope === 'accepted'
          ? 'envelope accepted'
          : `${arid} / ${envelope}`;
    },
    show: (s) => textOf(s),
  };
}

/** Inputs served by one in-process app before a fresh one is made. */
const APP_LIFETIME = 500;

/** Request bodies of /put and /get (and wrong methods and paths) through the app's fetch handler. */
export function hubertHttp(): DecoderTarget<FuzzRequest[]> {
  let known = '';
  let knownEnvelope = '';
  let app: ReturnType<typeof createHubertApp> | undefined;
  let served = 0;
  return {
    name: 'hubert.http',
    drives:
      'createHubertApp(store).fetch: POST /put, POST /get, GET /health bodies in-process — simulators/hubert http/app.ts',
    cost: 4,
    async: true,
    arbitrary(rng) {
      known = aridToUr(rng.bytes(32));
      knownEnvelope = envelopeToUr(rng.bytes(16));
      const ctx = { knownArid: known, envelopes: extraEnvelopes(envelopeBodies(rng)) };
      app = undefined;
      return fc.array(hubertRequestArb(ctx, rng, { largeWeight: 1 }), { minLength: 1, maxLength: 2 });
    },
    async run(requests) {
      // A fresh app (one value stored under `known`) every APP_LIFETIME inputs: stored values
      // would pile up otherwise, and the put that seeds it costs a UR decode.
      if (app === undefined || served++ >= APP_LIFETIME) {
        const store = createServerKvStore({ clock: new VirtualClock() });
        await store.put(canonicalAridUr(known), knownEnvelope, 60);
        app = createHubertApp(store);
        served = 1;
      }
      let label = '';
      for (const r of requests) {
        const request = toFetchRequest(r, 'http://hubert.local');
        if (request === undefined) continue;
        const res = await app.fetch(request);
        const text = await res.text();
        const url = new URL(request.url);
        const routing = hubertRoutingViolation(
          request.method,
          url.pathname + url.search,
          res.status,
          text,
          bodyLength(r),
        );
        if (routing !== undefined) throw new FuzzViolation('untyped-rejection', `routing: ${routing}`);
        const verdict = judgeHubert(r.method, res.status, text);
        if (verdict.violation !== undefined)
          throw new FuzzViolation(verdict.violation.kind, verdict.violation.detail);
        label = verdict.label;
      }
      return label === '' ? 'skipped (not expressible as a fetch Request)' : label;
    },
    show: (rs) => rs.map(showRequest).join(' | '),
  };
}
