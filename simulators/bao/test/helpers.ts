import type { BaoSimulator } from '../src/index.js';

export interface Reply {
  status: number;
  text: string;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  json: any;
  headers: Headers;
}

/** Call the simulator in-process and parse the reply. */
export async function call(
  sim: BaoSimulator,
  method: string,
  path: string,
  body?: unknown,
  headers: Record<string, string> = { 'X-Vault-Token': 'root' },
  signal?: AbortSignal,
): Promise<Reply> {
  const init: RequestInit = { method, headers: { 'Content-Type': 'application/json', ...headers } };
  if (body !== undefined) init.body = typeof body === 'string' ? body : JSON.stringify(body);
  if (signal !== undefined) init.signal = signal;
  const res = await sim.fetch(`http://bao.sim${path}`, init);
  const text = await res.text();
  let json: unknown = undefined;
  try {
    json = text === '' ? undefined : JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: res.status, text, json, headers: res.headers };
}

export const b64 = (b: Uint8Array): string => Buffer.from(b).toString('base64');
export const unb64 = (s: string): Uint8Array => new Uint8Array(Buffer.from(s, 'base64'));
