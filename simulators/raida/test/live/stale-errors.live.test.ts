/**
 * Live tier: the plan behaviour `staleErrorReplies` reaches fake RAIDA behind real UDP sockets on
 * 127.0.0.1 (startLiveRaidaCluster reads the plan's behave rules), and the real client over a real
 * socket drops their stale error replies. No timing is asserted.
 */
import { describe, expect, it } from 'vitest';

import { realClock } from '@fanout/core';
import { openUdpTransport } from '@fanout/core/live';
import { RaidaClient, RAIDA_COUNT } from '@fanout/raida';
import { createRng, parseFaultPlan, rngBytesFn } from '@fanout/sim';

import { createCluster, installTokens, mintTokens, raidaTarget } from '../../src/index.js';
import { startLiveRaidaCluster } from '../../src/live/udp.js';

const targets = (ids: readonly number[]) => ids.map(raidaTarget);

describe('live UDP: the plan behaviour reaches the servers behind real sockets', () => {
  it('forceStatus 7 + staleErrorReplies on RAIDA 0-2 → noReply; the rest pass', async () => {
    const rng = createRng(5);
    const servers = createCluster({ rng: rng.fork('servers') });
    const minted = mintTokens(rngBytesFn(rng.fork('mint')), 2, { firstSn: 1000 });
    installTokens(servers, minted);
    const three = [0, 1, 2];
    const plan = parseFaultPlan({
      rules: [
        { fault: 'forceStatus', targets: targets(three), status: 7 },
        { fault: 'behave', targets: targets(three), behaviour: 'staleErrorReplies' },
      ],
    });
    const cluster = await startLiveRaidaCluster({ servers, plan, rng: rng.fork('net') });
    const transport = await openUdpTransport();
    const client = new RaidaClient({
      transport,
      rng: rngBytesFn(rng.fork('client')),
      clock: realClock,
      addresses: cluster.addresses,
      timeoutMs: 300,
      retry: { attempts: 1 },
    });
    try {
      const report = await client.detect(minted.map((m) => ({ den: m.den, sn: m.sn, ans: m.ans })));
      for (const t of report.tokens) {
        t.votes.forEach((v, r) => expect(v).toBe(three.includes(r) ? 'noReply' : 'pass'));
        expect(t.grade).toBe('authentic');
      }
      expect(report.tokens[0]!.votes).toHaveLength(RAIDA_COUNT);
    } finally {
      client.close();
      await transport.close();
      await cluster.close();
    }
  });
});
