/**
 * RAIDA codec targets (packages/raida): request datagrams as a server decodes them (header, body,
 * then the command's payload decoder), and response datagrams as the client decodes them (the
 * 32-byte and the 48-byte modern layouts, then every reply interpreter).
 */
import fc from 'fast-check';
import {
  Command,
  commandName,
  decodeDetectPayload,
  decodeFindPayload,
  decodeFixPayload,
  decodeGetTicketPayload,
  decodeModernResponse,
  decodePownPayload,
  decodeRequest,
  decodeResponse,
  decodeValidateTicketPayload,
  encodeBitfield,
  encodeCoinList,
  encodeDetectPayload,
  encodeFindPayload,
  encodeFindResults,
  encodeFixPayload,
  encodeGetTicketPayload,
  encodeModernResponse,
  encodePownPayload,
  encodeRequest,
  encodeResponse,
  encodeValidateTicketPayload,
  interpretFind,
  interpretGrades,
  interpretTicket,
  interpretValidateTicket,
  makeChallenge,
  RaidaDecodeError,
  Status,
  type CommandName,
  type Token,
} from '@fanout/raida';
import { rngBytesFn, type Rng } from '@fanout/sim';
import { bytesInput, dictionary } from '../mutate.js';
import { attempt, fieldProp, hexOf, type DecoderTarget, type TypedClass } from './target.js';

const TYPED: readonly TypedClass[] = [[RaidaDecodeError, fieldProp]];

function token(rng: Rng): Token {
  return { den: rng.int(-8, 6), sn: rng.int(0, 1_100_000), an: rng.bytes(16) };
}

function payloadFor(name: CommandName, rng: Rng): Uint8Array {
  const n = rng.int(1, 3);
  const tokens = Array.from({ length: n }, () => token(rng));
  const items = tokens.map((t) => ({ ...t, pan: rng.bytes(16) }));
  switch (name) {
    case 'echo':
      return new Uint8Array(0);
    case 'detect':
      return encodeDetectPayload(tokens);
    case 'getTicket':
      return encodeGetTicketPayload(tokens);
    case 'pown':
      return encodePownPayload(items);
    case 'find':
      return encodeFindPayload(items);
    case 'fix':
      return encodeFixPayload({
        coins: tokens,
        pg: rng.bytes(16),
        tickets: Array.from({ length: 25 }, () => (rng.bool(0.5) ? rng.nextU32() : 0)),
      });
    case 'validateTicket':
      return encodeValidateTicketPayload({ raidaId: rng.int(0, 24), ticket: rng.nextU32() });
  }
}

/** The key token every encryption-1 request of the corpus names (the decoder's keyLookup knows it). */
interface KeyToken {
  readonly den: number;
  readonly sn: number;
  readonly an: Uint8Array;
}

function requestCorpus(rng: Rng, key: KeyToken): Uint8Array[] {
  const bytes = rngBytesFn(rng);
  const out: Uint8Array[] = [];
  for (const name of Object.keys(Command) as CommandName[]) {
    for (const encryption of [0, 1] as const) {
      const { group, command } = Command[name];
      out.push(
        encodeRequest({
          raidaId: rng.int(0, 24),
          group,
          command,
          echo: rng.int(0, 0xffff),
          nonce: rng.bytes(6),
          challenge: makeChallenge(bytes),
          payload: payloadFor(name, rng),
          encryption,
          ...(encryption === 1 ? { key } : {}),
        }),
      );
    }
  }
  return out;
}

const PAYLOAD_DECODERS: Record<CommandName, (p: Uint8Array) => unknown> = {
  echo: () => undefined,
  detect: decodeDetectPayload,
  pown: decodePownPayload,
  getTicket: decodeGetTicketPayload,
  validateTicket: decodeValidateTicketPayload,
  find: decodeFindPayload,
  fix: decodeFixPayload,
};

/** Request datagrams through decodeRequest (with a type-1 key lookup) and the payload decoder. */
export function raidaRequest(): DecoderTarget<Uint8Array> {
  // The key token of the corpus's encryption-1 requests, drawn by arbitrary(), known to run().
  let key: KeyToken = { den: 1, sn: 4242, an: new Uint8Array(16) };
  return {
    name: 'raida.request',
    drives: 'decodeRequest (keyLookup for encryption 1) then the command payload decoder — packages/raida',
    cost: 1,
    arbitrary(rng) {
      key = { den: 1, sn: 4242, an: rng.bytes(16) };
      return bytesInput({
        corpus: requestCorpus(rng, key),
        dictionary: [Uint8Array.of(0x3e, 0x3e), Uint8Array.of(0x01, 0x00), Uint8Array.of(0x00, 0x06)],
        maxRandom: 1500,
      });
    },
    run(bytes) {
      let payload: Uint8Array | undefined;
      let name: CommandName | undefined;
      const head = attempt(() => {
        const d = decodeRequest(bytes, {
          keyLookup: (den, sn) => (den === key.den && sn === key.sn ? key.an : undefined),
        });
        name = commandName(d.header.group, d.header.command);
        payload = d.payload;
      }, TYPED);
      if (name === undefined || payload === undefined) return head;
      const p = payload;
      const decode = PAYLOAD_DECODERS[name];
      return `${name}: ${attempt(() => decode(p), TYPED)}`;
    },
    show: (b) => hexOf(b),
  };
}

function responseCorpus(rng: Rng): Uint8Array[] {
  const sig = (): Uint8Array => rng.bytes(16);
  const base = { raidaId: 3, group: 1, echo: 77 };
  const bits = (n: number): Uint8Array => encodeBitfield(Array.from({ length: n }, () => rng.bool(0.5)));
  const ticket = Uint8Array.of(0, 1, 2, 3);
  const out: Uint8Array[] = [
    encodeResponse({ ...base, status: Status.ALL_PASS, signature: sig() }),
    encodeResponse({ ...base, status: Status.ALL_FAIL, signature: sig() }),
    encodeResponse({ ...base, status: Status.MIXED, signature: sig(), body: bits(5) }),
    encodeResponse({ ...base, status: Status.MIXED, signature: sig(), body: bits(17) }),
    encodeResponse({ ...base, status: Status.ALL_PASS, signature: sig(), body: ticket }),
    encodeResponse({
      ...base,
      status: Status.MIXED,
      signature: sig(),
      body: Uint8Array.of(...bits(9), ...ticket),
    }),
    encodeResponse({
      ...base,
      status: Status.FIND_MIXED,
      signature: sig(),
      body: encodeFindResults(['an', 'pan', 'neither']),
    }),
    encodeResponse({ ...base, status: Status.FIND_ALL_AN, signature: sig() }),
    encodeResponse({
      ...base,
      status: Status.SUCCESS,
      signature: sig(),
      body: encodeCoinList([
        { den: 1, sn: 5 },
        { den: -2, sn: 90_000 },
      ]),
    }),
    encodeResponse({ ...base, status: Status.INVALID_CRC, signature: new Uint8Array(16) }),
    encodeModernResponse({ raidaId: 4, status: 27, group: 1, encryption: 9 }),
    encodeModernResponse({
      raidaId: 4,
      status: 241,
      group: 1,
      encryption: 4,
      body: rng.bytes(40),
      nonce: rng.bytes(22),
    }),
  ];
  return out;
}

/** A response datagram and the token count the client asked about. */
export interface ResponseInput {
  readonly bytes: Uint8Array;
  readonly n: number;
}

/** Response datagrams through decodeResponse + every interpreter, and decodeModernResponse. */
export function raidaResponse(): DecoderTarget<ResponseInput> {
  return {
    name: 'raida.response',
    drives:
      'decodeResponse, interpretGrades/Ticket/Find/ValidateTicket, decodeModernResponse — packages/raida',
    cost: 1,
    arbitrary(rng) {
      return fc.record({
        bytes: bytesInput({ corpus: responseCorpus(rng), dictionary: dictionary('>>'), maxRandom: 1500 }),
        n: fc.integer({ min: 0, max: 80 }),
      });
    },
    run({ bytes, n }) {
      let decoded: ReturnType<typeof decodeResponse> | undefined;
      const head = attempt(() => {
        decoded = decodeResponse(bytes);
      }, TYPED);
      attempt(() => decodeModernResponse(bytes), TYPED);
      if (decoded === undefined) return head;
      const r = decoded;
      attempt(() => interpretGrades(r, n), TYPED);
      attempt(() => interpretTicket(r, n), TYPED);
      attempt(() => interpretFind(r, n), TYPED);
      attempt(() => interpretValidateTicket(r), TYPED);
      return `${head} status ${r.status === 241 || r.status === 242 || r.status === 243 ? r.status : 'other'}`;
    },
    show: ({ bytes, n }) => `n=${n} ${hexOf(bytes)}`,
  };
}
