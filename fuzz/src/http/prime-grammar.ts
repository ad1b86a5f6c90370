/**
 * Requests for the Prime coordinator (simulators/prime coordinator-app.ts: GET /status, /nodes,
 * /rounds/:n, /rounds/:n/progress, /ledger, /metrics; POST /nodes and /rounds with the
 * registration token) and its trainers (trainer.ts: POST /train and GET /heartbeat with the
 * training token, GET /info open), with node registrations, round options and training tasks
 * mutated field by field, and the tokens in accepted and refused forms (`Authorization: Bearer
 * <token>`, compared exactly). Registered endpoints are loopback URLs only.
 */
import fc from 'fast-check';
import { treeInput } from '../tree-mutate.js';
import { pickForm } from './bao-grammar.js';
import { effectivePath, type AuthLabel, type FuzzRequest } from './request.js';

/** What the grammar needs to know. */
export interface PrimeContext {
  /** Token for POST /nodes and /rounds. */
  readonly joinToken: string;
  /** Token for a trainer's /train and /heartbeat. */
  readonly trainToken: string;
  /** Parameters a training task carries for this model. */
  readonly paramCount: number;
}

/** Token placements for a route needing `token` (`other` is the other server's token). */
function tokenForms(
  token: string,
  other: string,
): { headers: [string, string][]; auth: AuthLabel; name: string }[] {
  return [
    { name: 'bearer', auth: 'valid', headers: [['Authorization', `Bearer ${token}`]] },
    { name: 'bearer lowercase name', auth: 'valid', headers: [['authorization', `Bearer ${token}`]] },
    { name: 'missing', auth: 'invalid', headers: [] },
    { name: 'lowercase bearer', auth: 'invalid', headers: [['Authorization', `bearer ${token}`]] },
    { name: 'two spaces', auth: 'invalid', headers: [['Authorization', `Bearer  ${token}`]] },
    { name: 'no space', auth: 'invalid', headers: [['Authorization', `Bearer${token}`]] },
    { name: 'bare token', auth: 'invalid', headers: [['Authorization', token]] },
    { name: 'token prefix', auth: 'invalid', headers: [['Authorization', `Bearer ${token.slice(0, -1)}`]] },
    { name: 'token suffix', auth: 'invalid', headers: [['Authorization', `Bearer ${token}0`]] },
    { name: 'other token', auth: 'invalid', headers: [['Authorization', `Bearer ${other}`]] },
    { name: 'x-vault-token', auth: 'invalid', headers: [['X-Vault-Token', token]] },
    {
      name: 'basic',
      auth: 'invalid',
      headers: [['Authorization', `Basic ${Buffer.from(`a:${token}`).toString('base64')}`]],
    },
    {
      name: 'wrong then right',
      auth: 'invalid',
      headers: [
        ['Authorization', 'Bearer wrong'],
        ['Authorization', `Bearer ${token}`],
      ],
    },
  ];
}

const LOOPBACK_ENDPOINTS = [
  'http://127.0.0.1:1',
  'http://127.0.0.1:9/x',
  'https://127.0.0.1:2',
  'http://localhost:3',
];

function nodeBodies(): unknown[] {
  return [
    { nodeId: 'fz-1', endpoint: LOOPBACK_ENDPOINTS[0] },
    {
      nodeId: 'fz.2',
      nodeType: 'trainer',
      endpoint: LOOPBACK_ENDPOINTS[1],
      capabilities: ['cpu'],
      reliabilityScore: 0.5,
      stake: 10,
    },
    { nodeId: 'fz:3' },
  ];
}

function roundBodies(): unknown[] {
  return [
    {},
    { maxParticipants: 2, minUpdates: 1, taskTimeoutMs: 1000, deadlineMs: 2000 },
    { requiredCapabilities: ['gpu'] },
  ];
}

function taskBodies(n: number): unknown[] {
  const task = {
    taskId: 't1',
    taskType: 'gradient_computation',
    round: 1,
    modelVersion: 0,
    params: new Array<number>(n).fill(0),
    epochs: 1,
    learningRate: 0.1,
    batchSize: 8,
    issuedAt: 0,
    timeoutMs: 1000,
  };
  return [task, { ...task, params: new Array<number>(n).fill(0.5), round: 2 }];
}

const KEYS = [
  'nodeId',
  'endpoint',
  'capabilities',
  'stake',
  'round',
  'epochs',
  'params',
  'batchSize',
  'learningRate',
  'minUpdates',
  'signal',
  'taskType',
];

/** A request to the coordinator ('coordinator') or to trainer i ('trainer'), with its grammar case. */
export interface PrimeRequest {
  readonly to: 'coordinator' | 'trainer';
  readonly trainer: number;
  readonly request: FuzzRequest;
}

/** Requests for the coordinator (2 in 3) and the trainers (see the module comment). */
export function primeRequestArb(ctx: PrimeContext, trainers: number): fc.Arbitrary<PrimeRequest> {
  const json = (bodies: unknown[]): fc.Arbitrary<FuzzRequest['body']> =>
    fc.oneof(
      {
        weight: 6,
        arbitrary: treeInput(bodies, { keys: KEYS, maxEdits: 3 }).map((v) =>
          Buffer.from(JSON.stringify(v) ?? 'null'),
        ),
      },
      {
        weight: 1,
        arbitrary: fc
          .constantFrom('{', 'null', '[]', '"x"', '{"nodeId":', '\u0000', '{"epochs":1e400}')
          .map((s) => Buffer.from(s)),
      },
      { weight: 1, arbitrary: fc.constant(null) },
    );
  const coordinatorRoutes: {
    method: string;
    path: string;
    body: () => fc.Arbitrary<FuzzRequest['body']>;
    auth: boolean;
    kind: string;
  }[] = [
    { method: 'GET', path: '/status', body: () => fc.constant(null), auth: false, kind: 'status' },
    { method: 'GET', path: '/nodes', body: () => fc.constant(null), auth: false, kind: 'list nodes' },
    { method: 'POST', path: '/nodes', body: () => json(nodeBodies()), auth: true, kind: 'register' },
    { method: 'POST', path: '/rounds', body: () => json(roundBodies()), auth: true, kind: 'round' },
    { method: 'GET', path: '/rounds/1', body: () => fc.constant(null), auth: false, kind: 'report' },
    {
      method: 'GET',
      path: '/rounds/1/progress',
      body: () => fc.constant(null),
      auth: false,
      kind: 'progress',
    },
    {
      method: 'GET',
      path: '/rounds/99999999999999999999',
      body: () => fc.constant(null),
      auth: false,
      kind: 'report',
    },
    {
      method: 'GET',
      path: '/rounds/-1/progress',
      body: () => fc.constant(null),
      auth: false,
      kind: 'progress',
    },
    { method: 'GET', path: '/ledger', body: () => fc.constant(null), auth: false, kind: 'ledger' },
    { method: 'GET', path: '/metrics', body: () => fc.constant(null), auth: false, kind: 'metrics' },
    { method: 'DELETE', path: '/nodes', body: () => fc.constant(null), auth: true, kind: 'wrong method' },
    {
      method: 'POST',
      path: '/nodes/../rounds',
      body: () => json(roundBodies()),
      auth: true,
      kind: 'traversal',
    },
    { method: 'POST', path: '/%6eodes', body: () => json(nodeBodies()), auth: true, kind: 'escaped path' },
  ];
  const trainerRoutes: typeof coordinatorRoutes = [
    {
      method: 'POST',
      path: '/train',
      body: () => json(taskBodies(ctx.paramCount)),
      auth: true,
      kind: 'train',
    },
    { method: 'GET', path: '/heartbeat', body: () => fc.constant(null), auth: true, kind: 'heartbeat' },
    { method: 'GET', path: '/info', body: () => fc.constant(null), auth: false, kind: 'info' },
    {
      method: 'PUT',
      path: '/train',
      body: () => json(taskBodies(ctx.paramCount)),
      auth: true,
      kind: 'wrong method',
    },
    {
      method: 'POST',
      path: '/%74rain',
      body: () => json(taskBodies(ctx.paramCount)),
      auth: true,
      kind: 'escaped path',
    },
  ];
  const join = tokenForms(ctx.joinToken, ctx.trainToken);
  const train = tokenForms(ctx.trainToken, ctx.joinToken);
  return fc
    .tuple(fc.nat({ max: 2 }), fc.nat(), fc.nat(), fc.nat({ max: trainers - 1 }))
    .chain(([side, routeIx, formIx, trainer]) => {
      const to = side < 2 ? 'coordinator' : 'trainer';
      const routes = to === 'coordinator' ? coordinatorRoutes : trainerRoutes;
      const route = routes[routeIx % routes.length]!;
      const forms = to === 'coordinator' ? join : train;
      const form = pickForm(forms, formIx);
      return route.body().map((body): PrimeRequest => ({
        to,
        trainer,
        request: {
          method: route.method,
          target: route.path,
          headers: [
            ...form.headers,
            ...(body === null ? [] : ([['Content-Type', 'application/json']] as [string, string][])),
          ],
          body,
          // A route without auth serves everyone: the bypass oracle only looks at guarded routes.
          auth: route.auth ? form.auth : 'valid',
          kind: `${to} ${route.kind} ${form.name}`,
        },
      }));
    });
}

/** What a Prime answer was. */
export interface PrimeVerdict {
  readonly label: string;
  /** 2xx on a guarded route (register, round, train, heartbeat). */
  readonly privileged: boolean;
  readonly violation?: { readonly kind: 'server-error' | 'untyped-rejection'; readonly detail: string };
}

function decodeURIComponentSafe(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

/** Routes that need the token (method + path as routed). */
const GUARDED = [
  /^POST \/nodes$/,
  /^POST \/rounds$/,
  /^POST \/train$/,
  /^GET \/heartbeat$/,
  /^HEAD \/heartbeat$/,
];

/**
 * Judge a Prime answer: 2xx outcomes; 400 `{error, field}`; 401 `{error:"unauthorized"}`; 404
 * `{error, field}` or hono's plain 404; 409 `{error, reason}`. 5xx is a server error.
 */
export function judgePrime(method: string, path: string, status: number, body: string): PrimeVerdict {
  const routed = effectivePath(path).split('?')[0];
  const guarded = GUARDED.some(
    (re) =>
      re.test(`${method.toUpperCase()} ${routed}`) ||
      re.test(`${method.toUpperCase()} ${decodeURIComponentSafe(routed ?? '')}`),
  );
  if (status >= 200 && status < 300) return { label: `accepted ${status}`, privileged: guarded };
  if (status >= 500)
    return {
      label: `${status}`,
      privileged: false,
      violation: { kind: 'server-error', detail: `${status} ${body.slice(0, 300)}` },
    };
  if (method.toUpperCase() === 'HEAD' && body === '')
    return { label: `rejected ${status}(HEAD)`, privileged: false };
  if (status === 404 && body === '404 Not Found') return { label: 'rejected 404(path)', privileged: false };
  let parsed: { error?: unknown; field?: unknown; reason?: unknown } | undefined;
  try {
    parsed = JSON.parse(body) as typeof parsed;
  } catch {
    parsed = undefined;
  }
  if (parsed !== undefined && parsed !== null && typeof parsed.error === 'string') {
    if (status === 401 && parsed.error === 'unauthorized')
      return { label: 'rejected 401(token)', privileged: false };
    if (typeof parsed.field === 'string')
      return { label: `rejected ${status}(${parsed.field.replace(/\.\d+/g, '.#')})`, privileged: false };
    if (typeof parsed.reason === 'string')
      return { label: `rejected ${status}(${parsed.reason})`, privileged: false };
  }
  return {
    label: `${status}`,
    privileged: false,
    violation: { kind: 'untyped-rejection', detail: `${status} ${JSON.stringify(body.slice(0, 200))}` },
  };
}
