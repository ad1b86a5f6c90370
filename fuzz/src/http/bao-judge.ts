/**
 * Judging the Bao simulator's answers: which field a refusal names, what is a server error, and
 * what is an auth bypass. Texts come from simulators/bao (OpenBao's and the plugin's own wording,
 * openbao sdk/framework and popsigner plugin/secp256k1).
 */
import { effectivePath } from './request.js';

/** Refusal texts → the field (or request part) they name. */
const REFUSALS: readonly [RegExp, string][] = [
  [/^permission denied$/, 'token'],
  [/^namespace not found$/, 'namespace'],
  [/^error converting input for field "([^"]+)"/, '$1'],
  [/^Field validation failed: error converting input for field "([^"]+)"/, '$1'],
  [/^failed to parse JSON input: http: request body too large$/, 'body(length)'],
  [/^failed to parse JSON input/, 'body(json)'],
  [/^no handler for route /, 'path'],
  [/unsupported path\n/, 'path'],
  [/unsupported operation\n/, 'method'],
  [/^cannot write to a path ending in '\/'$/, 'path'],
  [/^key not found$/, 'name'],
  [/^key already exists$/, 'name'],
  [/^key is not exportable$/, 'name(exportable)'],
  [/^missing input$/, 'input'],
  [/^missing hash$/, 'hash'],
  [/^missing signature$/, 'signature'],
  [/^missing ciphertext$/, 'ciphertext'],
  [/^invalid (input|hash|signature|ciphertext): not valid base64$/, '$1'],
  [/^prehashed input must be 32 bytes$/, 'input'],
  [/^hash must be 32 bytes/, 'hash'],
  [/^unsupported hash algorithm: /, 'hash_algorithm'],
  [/^unsupported output format: /, 'output_format'],
  [/^invalid secp256k1 key: /, 'ciphertext'],
  [/^mime: no media type$/, 'content-type'],
  [/^PATCH requires Content-Type/, 'content-type'],
  [/^operation unavailable in namespaces$/, 'namespace'],
  [/^backend type must be specified as a string$/, 'type'],
  [/^plugin not found in the catalog: /, 'type'],
  [/^cannot mount at /, 'path'],
  [/^path is already in use at /, 'path'],
  [/^cannot create the root namespace$/, 'path(namespace)'],
  [/^invalid namespace path /, 'path(namespace)'],
  [/ cannot be used as a namespace name$/, 'path(namespace)'],
  [/^parent namespace "[^"]*" does not exist$/, 'path(namespace)'],
];

/** What an answer was, for the tally and the oracles. */
export interface BaoVerdict {
  /** Tally label, e.g. 'accepted 200', 'rejected 400(input)'. */
  readonly label: string;
  /** 2xx on a route other than health. */
  readonly privileged: boolean;
  /** A broken rule: 5xx from input, or a refusal the fuzzer cannot read. */
  readonly violation?: { readonly kind: 'server-error' | 'untyped-rejection'; readonly detail: string };
}

/** True for `/v1/sys/health` (no token needed; `*code` queries choose any status). */
export function isHealth(target: string): boolean {
  return /^\/v1\/sys\/health(\?|$)/.test(effectivePath(target));
}

/**
 * Judge one answer (status + body text) to a `method` request for `target` (a HEAD answer has no
 * body: only its status is judged).
 * Empty `{"errors":[]}` refusals are OpenBao's own (a bad `list` value, a bad percent escape, an
 * unmapped method, a read of nothing): labelled 'no text (OpenBao)', counted, not a violation.
 */
export function judgeBao(method: string, target: string, status: number, body: string): BaoVerdict {
  if (isHealth(target))
    return { label: `health ${status >= 500 ? '5xx (code query)' : status}`, privileged: false };
  if (status >= 200 && status < 300) return { label: `accepted ${status}`, privileged: true };
  if (method.toUpperCase() === 'HEAD' && body === '')
    return status >= 500
      ? {
          label: `${status}`,
          privileged: false,
          violation: { kind: 'server-error', detail: `HEAD answered ${status}` },
        }
      : { label: `rejected ${status}(HEAD: no body)`, privileged: false };
  let errors: unknown;
  try {
    errors = (JSON.parse(body) as { errors?: unknown }).errors;
  } catch {
    errors = undefined;
  }
  if (!Array.isArray(errors) || !errors.every((e) => typeof e === 'string'))
    return status >= 500
      ? {
          label: `${status}`,
          privileged: false,
          violation: { kind: 'server-error', detail: `${status} ${body.slice(0, 300)}` },
        }
      : {
          label: `${status}`,
          privileged: false,
          violation: { kind: 'untyped-rejection', detail: `${status} ${body.slice(0, 300)}` },
        };
  if (status >= 500)
    return {
      label: `${status}`,
      privileged: false,
      violation: { kind: 'server-error', detail: `${status} ${body.slice(0, 300)}` },
    };
  if (errors.length === 0) return { label: `rejected ${status}(no text: OpenBao)`, privileged: false };
  const text = errors[0] as string;
  for (const [re, field] of REFUSALS) {
    const m = re.exec(text);
    if (m !== null)
      return { label: `rejected ${status}(${field.replace('$1', m[1] ?? '')})`, privileged: false };
  }
  return {
    label: `rejected ${status}(?)`,
    privileged: false,
    violation: { kind: 'untyped-rejection', detail: `${status} ${text.slice(0, 200)}` },
  };
}
