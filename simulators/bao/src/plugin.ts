/**
 * The popsigner `secp256k1` secrets plugin: its paths, fields, validation order, response fields
 * and error texts, over one mount's key storage.
 *
 * Paths in the plugin's order (popsigner plugin/secp256k1/backend.go Factory), each anchored
 * (openbao sdk/framework/backend.go init) with the name pattern framework.GenericNameRegex,
 * `\w(([\w-.]+)?\w)?` (ASCII word characters, '-' and '.' inside; no '@'):
 * - `keys/:name` create/update (same handler), read, delete — path_keys.go; has an existence check;
 * - `keys/?` list — path_keys.go;
 * - `sign/:name` update — path_sign.go;
 * - `sign-evm/:name` update — path_sign_evm.go;
 * - `verify/:name` update — path_verify.go;
 * - `keys/:name/import` update — path_import.go;
 * - `export/:name` read — path_export.go.
 * A path matching none is `unsupported path` (404); a matching path without the operation is
 * `unsupported operation` (405); both reach the client wrapped by go-multierror.
 *
 * Plugin errors (logical.ErrorResponse) are 400 `{"errors":["<text>"]}`; "key not found" may be
 * switched to 404 (`missingKeyStatus`).
 */
import type { Clock } from '@fanout/core';
import { bytesToHex } from '@noble/hashes/utils.js';
import { decodeStdBase64, encodeStdBase64 } from './base64.js';
import {
  forgeWith,
  hashInput,
  isValidPrivateKey,
  signEvm,
  verifyPluginSignature,
  type HashAlgorithm,
  type OutputFormat,
} from './crypto.js';
import type { BaoRoute, ForgeKind } from './faults.js';
import { BaoFieldError, decodeFields, type FieldData, type FieldSpec } from './fields.js';
import { BaoKeyPair, FORGER_KEY_PAIR } from './keys.js';
import { BaoHttpError, UNSUPPORTED_OPERATION, UNSUPPORTED_PATH, sortedObject } from './respond.js';
import type { KeyEntry, KeyStore } from './store.js';
import type { LogicalResult, Operation } from './sys.js';

/** Key names the plugin routes accept: framework.GenericNameRegex, `\w(([\w-.]+)?\w)?`. */
export const KEY_NAME_PATTERN = '\\w(?:(?:[\\w.-]+)?\\w)?';
/** {@link KEY_NAME_PATTERN} anchored, for validating a name on its own. */
export const KEY_NAME = new RegExp(`^${KEY_NAME_PATTERN}$`);

/** What a handler gets. */
interface PluginCall {
  readonly name: string;
  readonly fields: FieldData;
  readonly space: string;
  readonly forge: ForgeKind | undefined;
}

interface PluginPath {
  readonly pattern: RegExp;
  readonly fields: Readonly<Record<string, FieldSpec>>;
  /** keys/:name has an ExistenceCheck: its field errors surface from CheckToken, without prefix. */
  readonly existenceCheck: boolean;
  /** Route name (counters, fault hooks) per operation. */
  readonly routes: Partial<Record<Operation, BaoRoute>>;
}

const NAME = { type: 'string' } as const;
const PATHS = {
  key: {
    pattern: new RegExp(`^keys/(${KEY_NAME_PATTERN})$`),
    fields: { name: NAME, exportable: { type: 'bool', default: false } },
    existenceCheck: true,
    routes: { update: 'keys.create', read: 'keys.read', delete: 'keys.delete' },
  },
  list: { pattern: /^keys\/?$/, fields: {}, existenceCheck: false, routes: { list: 'keys.list' } },
  sign: {
    pattern: new RegExp(`^sign/(${KEY_NAME_PATTERN})$`),
    fields: {
      name: NAME,
      input: { type: 'string' },
      prehashed: { type: 'bool', default: false },
      hash_algorithm: { type: 'string', default: 'sha256' },
      output_format: { type: 'string', default: 'cosmos' },
    },
    existenceCheck: false,
    routes: { update: 'sign' },
  },
  signEvm: {
    pattern: new RegExp(`^sign-evm/(${KEY_NAME_PATTERN})$`),
    fields: { name: NAME, hash: { type: 'string' }, chain_id: { type: 'int', default: 0 } },
    existenceCheck: false,
    routes: { update: 'sign-evm' },
  },
  verify: {
    pattern: new RegExp(`^verify/(${KEY_NAME_PATTERN})$`),
    fields: {
      name: NAME,
      input: { type: 'string' },
      signature: { type: 'string' },
      prehashed: { type: 'bool', default: false },
      hash_algorithm: { type: 'string', default: 'sha256' },
    },
    existenceCheck: false,
    routes: { update: 'verify' },
  },
  import: {
    pattern: new RegExp(`^keys/(${KEY_NAME_PATTERN})/import$`),
    fields: { name: NAME, ciphertext: { type: 'string' }, exportable: { type: 'bool', default: false } },
    existenceCheck: false,
    routes: { update: 'keys.import' },
  },
  export: {
    pattern: new RegExp(`^export/(${KEY_NAME_PATTERN})$`),
    fields: { name: NAME },
    existenceCheck: false,
    routes: { read: 'export' },
  },
} as const satisfies Record<string, PluginPath>;

type PathId = keyof typeof PATHS;
const ORDER: readonly PathId[] = ['key', 'list', 'sign', 'signEvm', 'verify', 'import', 'export'];

/** The plugin path `rest` (inside the mount) matches, with its captured name. */
function route(rest: string): { id: PathId; name: string } | undefined {
  for (const id of ORDER) {
    const m = PATHS[id].pattern.exec(rest);
    if (m !== null) return { id, name: m[1] ?? '' };
  }
  return undefined;
}

/**
 * The {@link BaoRoute} and key name of an operation on `rest` (a path inside the plugin mount).
 * Anything the plugin does not serve is 'unknown' with no key name.
 */
export function classifyPluginPath(
  rest: string,
  operation: Operation,
): { route: BaoRoute; keyName: string | undefined } {
  const hit = route(rest);
  const r =
    hit === undefined ? undefined : (PATHS[hit.id].routes as Partial<Record<Operation, BaoRoute>>)[operation];
  if (hit === undefined || r === undefined) return { route: 'unknown', keyName: undefined };
  return { route: r, keyName: hit.id === 'list' ? undefined : hit.name };
}

/** What the plugin needs from the server. */
export interface PluginDeps {
  readonly store: KeyStore;
  /**
   * The key pair of a key created now as `name` in storage space `space` (drawn from the server's
   * RandomBytes, or from its key source). Called only once the name is known to be free.
   */
  readonly newKey: (space: string, name: string) => BaoKeyPair;
  readonly clock: Clock;
  /** What the server reads as the time for `created_at` (the clock, or a skewed one). */
  readonly wallClock: Pick<Clock, 'now'>;
  /** Wall time (Unix ms) of clock time 0, for `created_at`. */
  readonly epochMs: number;
  readonly missingKeyStatus: 400 | 404;
}

/** RFC 3339 without fractional seconds, like Go's `time.RFC3339` in UTC. */
function rfc3339(unixMs: number): string {
  return new Date(Math.floor(unixMs / 1000) * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** A plugin error response (logical.ErrorResponse): 400 with `message`. */
const fail = (message: string): never => {
  throw new BaoHttpError(400, [message]);
};

/** `name`, `public_key`, `address`: the fields every key answer starts with. */
const base = (e: KeyEntry) => ({
  name: e.name,
  public_key: bytesToHex(e.publicKey),
  address: e.pair.address,
});

const decodeB64 = (text: string, what: string): Uint8Array =>
  decodeStdBase64(text) ?? fail(`invalid ${what}: not valid base64`);

/** sign / verify: the digest of `input` (prehashed, or hashed with hash_algorithm). */
function digestOf(f: FieldData, input: Uint8Array): Uint8Array {
  if (f.get('prehashed') === true) {
    if (input.length !== 32) fail('prehashed input must be 32 bytes');
    return input;
  }
  const algo = f.get('hash_algorithm') as string;
  if (algo !== 'sha256' && algo !== 'keccak256') fail(`unsupported hash algorithm: ${algo}`);
  return hashInput(input, algo as HashAlgorithm);
}

const created = (deps: PluginDeps, e: KeyEntry): string => rfc3339(deps.epochMs + e.createdAtMs);

function existing(deps: PluginDeps, space: string, name: string): KeyEntry {
  const e = deps.store.get(space, name);
  if (e === undefined) throw new BaoHttpError(deps.missingKeyStatus, ['key not found']);
  return e;
}

function newEntry(
  deps: PluginDeps,
  name: string,
  pair: BaoKeyPair,
  exportable: boolean,
  imported: boolean,
): KeyEntry {
  return {
    name,
    privateKey: pair.privateKey,
    publicKey: pair.publicKey,
    pair,
    exportable,
    imported,
    createdAtMs: deps.wallClock.now(),
  };
}

/** path_keys.go pathKeyCreate: name, public_key, address, eth_address, exportable, created_at. */
function createKey(deps: PluginDeps, { name, fields, space }: PluginCall): Record<string, unknown> {
  if (deps.store.has(space, name)) fail('key already exists');
  const e = newEntry(deps, name, deps.newKey(space, name), fields.get('exportable') as boolean, false);
  deps.store.insert(space, e);
  return {
    ...base(e),
    eth_address: e.pair.ethAddress,
    exportable: e.exportable,
    created_at: created(deps, e),
  };
}

/** pathKeyRead: the create fields plus imported. */
function readKey(deps: PluginDeps, { name, space }: PluginCall): Record<string, unknown> {
  const e = existing(deps, space, name);
  return {
    ...base(e),
    eth_address: e.pair.ethAddress,
    exportable: e.exportable,
    created_at: created(deps, e),
    imported: e.imported,
  };
}

/** pathKeysList: ListResponseWithInfo, key_info entries without imported; no keys → 404 `{"errors":[]}`. */
function listKeys(deps: PluginDeps, { space }: PluginCall): Record<string, unknown> {
  const entries = deps.store.list(space);
  if (entries.length === 0) throw new BaoHttpError(404, []);
  const info = (e: KeyEntry) =>
    sortedObject({
      ...base(e),
      eth_address: e.pair.ethAddress,
      exportable: e.exportable,
      created_at: created(deps, e),
    });
  return {
    keys: entries.map((e) => e.name),
    key_info: sortedObject(Object.fromEntries(entries.map((e) => [e.name, info(e)]))),
  };
}

/** path_sign.go: input, base64, prehash / hash algorithm, KEY LOOKUP, sign, output format. */
function sign(deps: PluginDeps, { name, fields, space, forge }: PluginCall): Record<string, unknown> {
  const b64 = fields.get('input') as string;
  if (b64 === '') fail('missing input');
  const digest = digestOf(fields, decodeB64(b64, 'input'));
  const e = existing(deps, space, name);
  const format = fields.get('output_format') as string;
  if (format !== 'cosmos' && format !== 'der' && format !== '') fail(`unsupported output format: ${format}`);
  const out: OutputFormat = format === 'der' ? 'der' : 'cosmos';
  const { signature, publicKey } =
    forge === undefined
      ? { signature: e.pair.sign(digest, out), publicKey: e.publicKey }
      : forgeWith(e.pair, FORGER_KEY_PAIR, digest, out, forge);
  return { signature: encodeStdBase64(signature), public_key: bytesToHex(publicKey), key_version: 1 };
}

/** path_sign_evm.go: hash, chain_id, base64, 32 bytes, key lookup; v = chainId·2+35+rec (EIP-155) or 27+rec. */
function signEvmHash(deps: PluginDeps, { name, fields, space }: PluginCall): Record<string, unknown> {
  const b64 = fields.get('hash') as string;
  if (b64 === '') fail('missing hash');
  const chainId = fields.get('chain_id') as number;
  const hash = decodeB64(b64, 'hash');
  if (hash.length !== 32) fail(`hash must be 32 bytes, got ${hash.length}`);
  const e = existing(deps, space, name);
  const sig = signEvm(e.privateKey, hash);
  const v = chainId > 0 ? BigInt(chainId) * 2n + 35n + BigInt(sig.recovery) : 27n + BigInt(sig.recovery);
  return {
    v: v.toString(16),
    r: sig.r.toString(16).padStart(64, '0'),
    s: sig.s.toString(16).padStart(64, '0'),
    v_int: Number(v),
    public_key: bytesToHex(e.publicKey),
    eth_address: e.pair.ethAddress,
  };
}

/** path_verify.go: input, signature, base64 of both, prehash / hash algorithm, key lookup, verify. */
function verify(deps: PluginDeps, { name, fields, space }: PluginCall): Record<string, unknown> {
  const inputB64 = fields.get('input') as string;
  if (inputB64 === '') fail('missing input');
  const sigB64 = fields.get('signature') as string;
  if (sigB64 === '') fail('missing signature');
  const input = decodeB64(inputB64, 'input');
  const signature = decodeB64(sigB64, 'signature');
  const digest = digestOf(fields, input);
  const e = existing(deps, space, name);
  return {
    valid: verifyPluginSignature(e.publicKey, digest, signature),
    public_key: bytesToHex(e.publicKey),
  };
}

/** path_import.go: ciphertext, exists, base64, 32-byte key; the answer has no eth_address. */
function importKey(deps: PluginDeps, { name, fields, space }: PluginCall): Record<string, unknown> {
  const ciphertext = fields.get('ciphertext') as string;
  if (ciphertext === '') fail('missing ciphertext');
  if (deps.store.has(space, name)) fail('key already exists');
  const sk = decodeB64(ciphertext, 'ciphertext');
  if (sk.length !== 32) fail(`invalid secp256k1 key: private key must be 32 bytes, got ${sk.length}`);
  // Deliberate deviation: btcec reduces any 32 bytes mod n; a zero / ≥ n scalar is refused here.
  if (!isValidPrivateKey(sk)) fail('invalid secp256k1 key: scalar out of range');
  const e = newEntry(deps, name, new BaoKeyPair(sk), fields.get('exportable') as boolean, true);
  deps.store.insert(space, e);
  return { ...base(e), exportable: e.exportable, imported: true, created_at: created(deps, e) };
}

/** path_export.go: name, public_key, address, keys{"1"}, created_at, imported (no eth_address, no exportable). */
function exportKey(deps: PluginDeps, { name, space }: PluginCall): Record<string, unknown> {
  const e = existing(deps, space, name);
  if (!e.exportable) fail('key is not exportable');
  return {
    ...base(e),
    keys: { '1': encodeStdBase64(e.privateKey) },
    created_at: created(deps, e),
    imported: e.imported,
  };
}

type Handler = (deps: PluginDeps, call: PluginCall) => Record<string, unknown> | null;

const HANDLERS: Record<PathId, Partial<Record<Operation, Handler>>> = {
  key: {
    update: createKey,
    read: readKey,
    delete: (deps, { name, space }) => {
      deps.store.delete(space, name);
      return null;
    },
  },
  list: { list: listKeys },
  sign: { update: sign },
  signEvm: { update: signEvmHash },
  verify: { update: verify },
  import: { update: importKey },
  export: { read: exportKey },
};

/** The plugin over `deps.store`. */
export interface Secp256k1Plugin {
  /**
   * Serve one request. `space` names the mount's storage (namespace + mount), `rest` is the path
   * inside the mount.
   * @returns data (+ the framework's warnings) for 200, null for 204 (or 404 on a read).
   * @throws BaoHttpError for everything the plugin or framework refuses.
   */
  handle(
    space: string,
    rest: string,
    operation: Operation,
    data: Record<string, unknown> | undefined,
    forge?: ForgeKind,
  ): LogicalResult;
}

/** Build the plugin (see the module docs for the routes and their sources). */
export function createSecp256k1Plugin(deps: PluginDeps): Secp256k1Plugin {
  return {
    handle(space, rest, operation, data, forge) {
      const hit = route(rest);
      if (hit === undefined) throw UNSUPPORTED_PATH();
      const handler = HANDLERS[hit.id][operation];
      if (handler === undefined) throw UNSUPPORTED_OPERATION();
      const path: PluginPath = PATHS[hit.id];
      let fields: FieldData;
      try {
        fields = decodeFields(path.fields, data, hit.id === 'list' ? {} : { name: hit.name });
      } catch (e) {
        if (!(e instanceof BaoFieldError)) throw e;
        // With an existence check the error comes out of CheckToken as is; otherwise the
        // framework prefixes it (sdk/framework/backend.go HandleRequest).
        const text =
          path.existenceCheck && operation === 'update' ? e.message : `Field validation failed: ${e.message}`;
        throw new BaoHttpError(400, [text]);
      }
      const out = handler(deps, { name: hit.name, fields, space, forge });
      return out === null ? null : { data: sortedObject(out), warnings: fields.warnings };
    },
  };
}
