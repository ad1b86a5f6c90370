/** The HTTP trainer transport over an injected fetch: requests, auth header, and its errors. */
import { describe, expect, it } from 'vitest';
import { TrainerHttpError, httpTrainerTransport, type NodeView, type TrainingTask } from '../src/index.js';

const node = (endpoint?: string): NodeView => ({
  nodeId: 'n1',
  nodeType: 'trainer',
  endpoint,
  capabilities: [],
  reliabilityScore: 1,
  recentPerformanceScore: 1,
  stake: 0,
  registeredAt: 0,
  lastHeartbeat: 0,
  active: true,
});
const task = { taskId: 'x', round: 1 } as unknown as TrainingTask;
const signal = new AbortController().signal;

describe('httpTrainerTransport', () => {
  it('POSTs the task as JSON to {endpoint}/train with the bearer token and returns the parsed body', async () => {
    const seen: Request[] = [];
    const t = httpTrainerTransport({
      authToken: 's3cret',
      fetch: async (input, init) => {
        seen.push(new Request(input, init));
        return Response.json({ ok: 1 });
      },
    });
    expect(await t.train(node('http://a.test:7000/base'), task, { signal })).toEqual({ ok: 1 });
    expect(seen[0]!.url).toBe('http://a.test:7000/base/train');
    expect(seen[0]!.method).toBe('POST');
    expect(seen[0]!.headers.get('authorization')).toBe('Bearer s3cret');
    expect(await seen[0]!.json()).toEqual(task);
  });

  it('errors: no endpoint, HTTP status, body not JSON, malformed heartbeat', async () => {
    const t = (res: Response) => httpTrainerTransport({ fetch: async () => res });
    await expect(t(Response.json({})).train(node(), task, { signal })).rejects.toBeInstanceOf(
      TrainerHttpError,
    );
    await expect(
      t(new Response('no', { status: 503 })).train(node('http://a.test'), task, { signal }),
    ).rejects.toMatchObject({
      status: 503,
    });
    await expect(
      t(new Response('{oops')).train(node('http://a.test'), task, { signal }),
    ).rejects.toBeInstanceOf(SyntaxError);
    await expect(
      t(Response.json({ nodeId: 'n1' })).heartbeat(node('http://a.test'), { signal }),
    ).rejects.toBeInstanceOf(TrainerHttpError);
    expect(
      await t(Response.json({ nodeId: 'n1', status: 'ok' })).heartbeat(node('http://a.test'), { signal }),
    ).toEqual({ nodeId: 'n1', status: 'ok' });
  });
});
