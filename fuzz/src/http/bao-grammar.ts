/**
 * Requests for the Bao simulator (OpenBao 2.4 + the popsigner secp256k1 plugin): every route of
 * the plugin and the two sys endpoints, with valid and broken key names, namespaces, query
 * strings, JSON bodies (valid ones mutated field by field, and text that is not JSON), and the
 * token in every form OpenBao accepts or refuses (openbao http/handler.go getTokenFromReq: an
 * `X-Vault-Token`, else an `Authorization` with the exact prefix "Bearer ").
 */
import fc from 'fast-check';
import { cloneTree, treeInput } from '../tree-mutate.js';
import type { AuthLabel, FuzzRequest } from './request.js';

/** What the grammar needs to know about the server under test. */
export interface BaoContext {
  /** The one accepted token. */
  readonly token: string;
  /** A key that exists (exportable) and must survive the run. */
  readonly canary: string;
  /** Namespaces that exist, canonical without the trailing '/' (e.g. 'ns1'). */
  readonly namespaces: readonly string[];
}

/** A token placement: headers to add, query to append, and what OpenBao makes of it. */
interface TokenForm {
  readonly name: string;
  readonly headers: readonly (readonly [string, string])[];
  readonly query?: string;
  readonly auth: AuthLabel;
}

/** Every token form the fuzzer sends (valid ones, refused ones, and the ambiguous duplicate). */
export function baoTokenForms(token: string): TokenForm[] {
  const f = (name: string, auth: AuthLabel, headers: [string, string][], query?: string): TokenForm => ({
    name,
    auth,
    headers,
    ...(query === undefined ? {} : { query }),
  });
  return [
    f('x-vault-token', 'valid', [['X-Vault-Token', token]]),
    f('x-vault-token lowercase name', 'valid', [['x-vault-token', token]]),
    f('bearer', 'valid', [['Authorization', `Bearer ${token}`]]),
    f('bearer extra spaces', 'valid', [['Authorization', `Bearer    ${token}`]]),
    f('empty x-vault-token then bearer', 'valid', [
      ['X-Vault-Token', ''],
      ['Authorization', `Bearer ${token}`],
    ]),
    f('missing', 'invalid', []),
    f('lowercase bearer', 'invalid', [['Authorization', `bearer ${token}`]]),
    f('uppercase bearer', 'invalid', [['Authorization', `BEARER ${token}`]]),
    f('bearer tab', 'invalid', [['Authorization', `Bearer\t${token}`]]),
    f('bearer no space', 'invalid', [['Authorization', `Bearer${token}`]]),
    f('bare token in authorization', 'invalid', [['Authorization', token]]),
    f('basic', 'invalid', [['Authorization', `Basic ${Buffer.from(`x:${token}`).toString('base64')}`]]),
    f('token suffix', 'invalid', [['X-Vault-Token', `${token}x`]]),
    f('token prefix', 'invalid', [['X-Vault-Token', token.slice(0, -1)]]),
    f('token uppercase', 'invalid', [['X-Vault-Token', token.toUpperCase()]]),
    f('default root token', 'invalid', [['X-Vault-Token', 'root']]),
    f('wrong x-vault-token wins over bearer', 'invalid', [
      ['X-Vault-Token', 'wrong'],
      ['Authorization', `Bearer ${token}`],
    ]),
    f('two x-vault-token, wrong first', 'invalid', [
      ['X-Vault-Token', 'wrong'],
      ['X-Vault-Token', token],
    ]),
    f('token list in one header', 'invalid', [['X-Vault-Token', `${token}, ${token}`]]),
    f('underscore header name', 'invalid', [['X_Vault_Token', token]]),
    f('cookie', 'invalid', [['Cookie', `token=${token}`]]),
    f('query token', 'invalid', [], `token=${token}`),
    f('query x-vault-token', 'invalid', [], `X-Vault-Token=${token}`),
    // Go reads the first of two X-Vault-Token values; node:http joins them ("a, b"): the lab may
    // refuse what OpenBao accepts. Stricter is not a bypass, so this form is left out of the oracle.
    f('two x-vault-token, valid first', 'ambiguous', [
      ['X-Vault-Token', token],
      ['X-Vault-Token', 'wrong'],
    ]),
  ];
}

const NAMES_OF_NEW_KEYS = ['k1', 'k-2', 'a.b', 'x_y', 'Key9'];
const BAD_NAMES = [
  'a@b',
  '-x',
  'x-',
  '.',
  '..',
  '%2e%2e',
  'a/b',
  'a%2Fb',
  ' k',
  'k ',
  'é',
  'x'.repeat(300),
  '',
];

const b64 = (n: number, fill: number): string => Buffer.alloc(n, fill).toString('base64');

/** Valid bodies per route (mutated by tree edits). */
function bodies(): Record<string, unknown[]> {
  return {
    create: [{}, { exportable: true }, { exportable: '1' }],
    import: [{ ciphertext: b64(32, 7), exportable: true }, { ciphertext: b64(31, 7) }],
    sign: [
      { input: b64(20, 1) },
      { input: b64(32, 2), prehashed: true, output_format: 'der' },
      { input: b64(5, 3), hash_algorithm: 'keccak256', output_format: 'cosmos' },
    ],
    signEvm: [
      { hash: b64(32, 4), chain_id: 1 },
      { hash: b64(32, 5), chain_id: '0x10' },
    ],
    verify: [{ input: b64(20, 1), signature: b64(64, 9), hash_algorithm: 'sha256' }],
    mount: [{ type: 'secp256k1' }, { type: 'kv', description: 'x' }],
    none: [{}],
  };
}

const FIELDS = [
  'exportable',
  'ciphertext',
  'input',
  'prehashed',
  'hash_algorithm',
  'output_format',
  'hash',
  'chain_id',
  'signature',
  'type',
  'path',
  'description',
  'name',
];

/** Text bodies that are not JSON objects. */
const BAD_JSON = [
  '{',
  '{"input":',
  'null',
  '[]',
  '"x"',
  '1',
  'true',
  '{"a":1}{',
  '\u0000',
  '{"exportable":tru}',
  '[1,[2,[3]]]',
  '{"chain_id":1e400}',
  '{"__proto__":{"x":1}}',
  '{"a":1,"a":2}',
  '\ufeff{}',
  '['.repeat(5000),
  '{"input":"' + 'A'.repeat(20000) + '"}',
];

interface RouteCase {
  readonly method: string;
  readonly path: string;
  readonly body: keyof ReturnType<typeof bodies>;
  /** The request changes state when it succeeds (create, import, delete, namespace, mount). */
  readonly kind: string;
}

function routes(ctx: BaoContext, name: string, nameOfNew: string): RouteCase[] {
  return [
    { method: 'POST', path: `secp256k1/keys/${nameOfNew}`, body: 'create', kind: 'create' },
    { method: 'PUT', path: `secp256k1/keys/${nameOfNew}`, body: 'create', kind: 'create' },
    { method: 'GET', path: `secp256k1/keys/${name}`, body: 'none', kind: 'read' },
    { method: 'DELETE', path: `secp256k1/keys/${nameOfNew}`, body: 'none', kind: 'delete' },
    { method: 'LIST', path: 'secp256k1/keys', body: 'none', kind: 'list' },
    { method: 'GET', path: 'secp256k1/keys?list=true', body: 'none', kind: 'list' },
    { method: 'POST', path: `secp256k1/sign/${name}`, body: 'sign', kind: 'sign' },
    { method: 'POST', path: `secp256k1/sign-evm/${name}`, body: 'signEvm', kind: 'sign' },
    { method: 'POST', path: `secp256k1/verify/${name}`, body: 'verify', kind: 'verify' },
    { method: 'POST', path: `secp256k1/keys/${nameOfNew}/import`, body: 'import', kind: 'import' },
    { method: 'GET', path: `secp256k1/export/${name}`, body: 'none', kind: 'export' },
    { method: 'GET', path: `secp256k1/keys/${name}/config`, body: 'none', kind: 'read' },
    { method: 'POST', path: `sys/namespaces/${nameOfNew}`, body: 'none', kind: 'namespace' },
    { method: 'POST', path: `sys/mounts/m-${nameOfNew}`, body: 'mount', kind: 'mount' },
    { method: 'GET', path: 'sys/health', body: 'none', kind: 'health' },
    { method: 'GET', path: 'sys/health?activecode=500&standbyok=x', body: 'none', kind: 'health' },
    { method: 'POST', path: `unknown-mount/keys/${name}`, body: 'create', kind: 'unrouted' },
  ];
}

/**
 * A token form for a drawn number: a valid one half of the time (so most requests reach the
 * routes and bodies behind the token check), else one of the others.
 */
export function pickForm<F extends { readonly auth: AuthLabel }>(forms: readonly F[], n: number): F {
  const valid = forms.filter((f) => f.auth === 'valid');
  const rest = forms.filter((f) => f.auth !== 'valid');
  const list = n % 2 === 0 && valid.length > 0 ? valid : rest.length > 0 ? rest : valid;
  return list[Math.floor(n / 2) % list.length]!;
}

/** Options of {@link baoRequestArb}. */
export interface BaoGrammarOptions {
  /** Allow bodies of 10 MB (live only; default false). */
  readonly hugeBodies?: boolean;
}

/**
 * Requests for the Bao simulator (see the module comment). Requests never delete or import over
 * the canary key (the run checks it still signs); they read, sign and export it.
 */
export function baoRequestArb(ctx: BaoContext, o: BaoGrammarOptions = {}): fc.Arbitrary<FuzzRequest> {
  const forms = baoTokenForms(ctx.token);
  const all = bodies();
  const name = fc.oneof(
    { weight: 4, arbitrary: fc.constant(ctx.canary) },
    { weight: 3, arbitrary: fc.constantFrom(...NAMES_OF_NEW_KEYS) },
    { weight: 2, arbitrary: fc.constantFrom(...BAD_NAMES) },
    { weight: 1, arbitrary: fc.string({ maxLength: 12 }).map((s) => encodeURIComponent(s)) },
  );
  const newName = fc.oneof(
    { weight: 4, arbitrary: fc.constantFrom(...NAMES_OF_NEW_KEYS) },
    { weight: 1, arbitrary: fc.constantFrom(...BAD_NAMES) },
  );
  const namespace = fc.oneof(
    { weight: 6, arbitrary: fc.constant(undefined) },
    { weight: 2, arbitrary: fc.constantFrom(...ctx.namespaces) },
    {
      weight: 1,
      arbitrary: fc.constantFrom('', '/', 'root', 'nope', ' ns1', 'ns1//', '../ns1', '/ns1/', 'sys'),
    },
  );
  // Another method on the same path 1 time in 9 — never DELETE: a read of the canary turned into
  // a DELETE with a valid token would legitimately delete it (DELETE has a route of its own).
  const method = (m: string): fc.Arbitrary<string> =>
    fc.oneof(
      { weight: 8, arbitrary: fc.constant(m) },
      {
        weight: 1,
        arbitrary: fc.constantFrom('GET', 'POST', 'PUT', 'PATCH', 'HEAD', 'LIST', 'OPTIONS', 'FOO'),
      },
    );
  const prefix = fc.oneof(
    { weight: 10, arbitrary: fc.constant('/v1/') },
    {
      weight: 1,
      arbitrary: fc.constantFrom('/v1//', '/V1/', '/v2/', '/v1/./', '/v1/secp256k1/../', '/v1/%2e%2e/', '/'),
    },
  );
  const query = fc.oneof(
    { weight: 8, arbitrary: fc.constant('') },
    { weight: 1, arbitrary: fc.constantFrom('list=true', 'list=bad', 'list=1', 'help=1', 'list=false') },
  );
  const jsonBody = (kind: keyof typeof all): fc.Arbitrary<Uint8Array | null> =>
    fc.oneof(
      {
        weight: 6,
        arbitrary: treeInput(all[kind]!, { keys: FIELDS, maxEdits: 3 }).map((v) =>
          Buffer.from(JSON.stringify(v) ?? 'undefined'),
        ),
      },
      {
        weight: 2,
        arbitrary: fc.constant(all[kind]![0]).map((v) => Buffer.from(JSON.stringify(cloneTree(v)))),
      },
      { weight: 1, arbitrary: fc.constantFrom(...BAD_JSON).map((s) => Buffer.from(s)) },
      { weight: 1, arbitrary: fc.constant(null) },
    );
  const huge = fc.constant({ size: 10 * 1024 * 1024, fill: 0x20 });
  return fc
    .tuple(newName, name, fc.nat(), fc.nat(), namespace, prefix, query, fc.boolean())
    .chain(([nameOfNew, target, routeIx, formIx, ns, pre, q, chunked]) => {
      const list = routes(ctx, target, nameOfNew);
      const route = list[routeIx % list.length]!;
      const form = pickForm(forms, formIx);
      const body: fc.Arbitrary<FuzzRequest['body']> =
        o.hugeBodies === true
          ? fc.oneof({ weight: 200, arbitrary: jsonBody(route.body) }, { weight: 1, arbitrary: huge })
          : jsonBody(route.body);
      return fc.tuple(method(route.method), body).map(([m, b]): FuzzRequest => {
        const queries = [
          route.path.includes('?') ? route.path.split('?')[1]! : '',
          q,
          form.query ?? '',
        ].filter((x) => x !== '');
        const path = route.path.split('?')[0]!;
        const headers: [string, string][] = [...form.headers.map(([k, v]) => [k, v] as [string, string])];
        if (ns !== undefined) headers.push(['X-Vault-Namespace', ns]);
        if (m === 'PATCH') headers.push(['Content-Type', 'application/merge-patch+json']);
        else if (b !== null) headers.push(['Content-Type', 'application/json']);
        return {
          method: m,
          target: `${pre}${path}${queries.length > 0 ? `?${queries.join('&')}` : ''}`,
          headers,
          body: b,
          chunked,
          auth: form.auth,
          kind: `${route.kind} ${form.name}`,
        };
      });
    });
}
