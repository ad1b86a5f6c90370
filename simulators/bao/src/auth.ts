/**
 * Where OpenBao finds the client token (openbao http/handler.go getTokenFromReq).
 */

const BEARER = 'Bearer ';

/**
 * The client token of a request, exactly as OpenBao reads it:
 * 1. `X-Vault-Token`, when present and non-empty (it wins over any Authorization header);
 * 2. else an `Authorization` value starting with the exact, case-sensitive prefix `"Bearer "`
 *    (one space: `bearer x`, `BEARER x`, `Bearer\tx` are not tokens), the rest trimmed of
 *    surrounding white space (strings.TrimSpace, so `Bearer  x` is `x`).
 * Go iterates over repeated Authorization headers; a fetch `Headers` joins them with ", ", so
 * here only a first value with the prefix counts.
 * @returns the token, or undefined when the request carries none (an empty token is none).
 */
export function requestToken(headers: Headers): string | undefined {
  const vaultToken = headers.get('x-vault-token');
  if (vaultToken !== null && vaultToken !== '') return vaultToken;
  const auth = headers.get('authorization');
  if (auth === null || !auth.startsWith(BEARER)) return undefined;
  const token = auth.slice(BEARER.length).trim();
  return token === '' ? undefined : token;
}
