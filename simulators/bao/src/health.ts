/**
 * `GET|HEAD /v1/sys/health` as OpenBao answers it (openbao http/sys_health.go): no token needed;
 * 200 active, 429 standby (unless `standbyok`), 501 uninitialised, 503 sealed, each overridable by
 * `activecode` / `standbycode` / `uninitcode` / `sealedcode` (strconv.Atoi: a value that is not an
 * integer is 400 `{"errors":[]}`; so is a `standbyok` that parseutil.ParseBool refuses); other
 * methods 405 `{"errors":[]}`. `cluster_name` and `cluster_id` are present only while unsealed
 * (omitempty). With an `X-Vault-Namespace` header the request is 400 "operation unavailable in
 * namespaces" (http/handler.go wrapGenericHandler, restricted sys API).
 */
import { errorResponse, jsonResponse } from './respond.js';

/** The server state health reports. */
export interface HealthState {
  readonly initialized: boolean;
  readonly sealed: boolean;
  readonly standby: boolean;
  /** Wall time, Unix seconds. */
  readonly serverTimeUtc: number;
  readonly version: string;
  readonly clusterName: string;
  readonly clusterId: string;
}

const TRUE = ['1', 't', 'T', 'TRUE', 'true', 'True'];
const FALSE = ['0', 'f', 'F', 'FALSE', 'false', 'False'];

/** strconv.Atoi: optional sign and decimal digits (within 64 bits). */
function atoi(s: string): number | undefined {
  if (!/^[+-]?\d+$/.test(s)) return undefined;
  const n = Number(s);
  return Number.isSafeInteger(n) ? n : undefined;
}

/**
 * The health response for `method`, `query` and `state`.
 * Status codes outside 200–599 cannot be carried by a fetch Response: they are answered 400 too
 * (Go would write them, or panic below 100).
 */
export function healthResponse(method: string, query: URLSearchParams, state: HealthState): Response {
  if (method !== 'GET' && method !== 'HEAD') return errorResponse(405, []);
  const bad = (): Response => errorResponse(400, []);
  let standbyOk = false;
  if (query.has('standbyok')) {
    const v = query.get('standbyok')!;
    if (TRUE.includes(v)) standbyOk = true;
    else if (!FALSE.includes(v) && v !== '') return bad();
  }
  const codes: Record<string, number> = {
    uninitcode: 501,
    sealedcode: 503,
    standbycode: 429,
    activecode: 200,
  };
  for (const field of Object.keys(codes)) {
    if (!query.has(field)) continue;
    const n = atoi(query.get(field)!);
    if (n === undefined || n < 200 || n > 599) return bad();
    codes[field] = n;
  }
  let status = codes.activecode!;
  if (!state.initialized) status = codes.uninitcode!;
  else if (state.sealed) status = codes.sealedcode!;
  else if (state.standby && !standbyOk) status = codes.standbycode!;
  const unsealed = state.initialized && !state.sealed;
  const body = {
    initialized: state.initialized,
    sealed: state.sealed || !state.initialized,
    standby: state.standby,
    performance_standby: false,
    replication_performance_mode: 'disabled',
    replication_dr_mode: 'disabled',
    server_time_utc: state.serverTimeUtc,
    version: state.version,
    ...(unsealed ? { cluster_name: state.clusterName, cluster_id: state.clusterId } : {}),
  };
  if (method === 'HEAD') {
    return new Response(null, { status, headers: { 'Content-Type': 'application/json' } });
  }
  return jsonResponse(status, body);
}
