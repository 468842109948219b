// Automatic failover (kill -9 of the master) in mixed fleets of real redis-sentinel 7.0.15 and Vigil sentinels,
// 2+1 and 1+2, with the election won by a chosen implementation each time. Which sentinel leads is steered only
// through per-sentinel settings Redis itself has (down-after-milliseconds and quorum): the side that sees the
// master down first asks for votes first and, with one vote per epoch, wins. The leader is identified by the
// `+elected-leader` event it publishes, so each case proves that the other implementation voted for it and then
// followed it. Also: a Vigil sentinel killed right after voting comes back with its epochs and does not vote
// again in the same epoch.
import { describe, test, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { Harness, missingBinaries, RespClient, type SentinelImpl, type SentinelProc } from '../harness/index.js';
import { startDataNodes, sentinelConf, once } from '../harness/fleet.js';
import { items, text } from '../harness/wire.js';
import type { Reply } from '../../src/resp/index.js';

const FAST_DOWN_AFTER_MS = 1000;
const SLOW_DOWN_AFTER_MS = 6000;

interface Watched {
  s: SentinelProc;
  events: string[];
  client: RespClient;
}

async function watch(s: SentinelProc): Promise<Watched> {
  const client = await RespClient.connect(s.port);
  const events: string[] = [];
  client.onPush((msg: Reply[]) => {
    // pmessage <pattern> <channel> <payload>
    events.push(`${String(msg[2])} ${String(msg[3])}`);
  });
  await client.call('PSUBSCRIBE', '*');
  return { s, events, client };
}

async function agreedMasterPort(sentinels: SentinelProc[]): Promise<number> {
  const ports = await Promise.all(
    sentinels.map(async (s) => {
      const addr = items(await once(s.port, ['SENTINEL', 'GET-MASTER-ADDR-BY-NAME', 'mymaster']));
      return Number(text(addr[1]));
    }),
  );
  return new Set(ports).size === 1 ? (ports[0] ?? 0) : 0;
}

/** Every sentinel lists both replicas and the other sentinels. */
async function discovered(sentinels: SentinelProc[]): Promise<boolean> {
  for (const s of sentinels) {
    const reps = items(await once(s.port, ['SENTINEL', 'REPLICAS', 'mymaster']));
    const peers = items(await once(s.port, ['SENTINEL', 'SENTINELS', 'mymaster']));
    if (reps.length !== 2 || peers.length !== sentinels.length - 1) return false;
  }
  return true;
}

void describe(
  'failover - mixed fleets of redis-sentinel and vigil',
  { skip: missingBinaries('redis-server', 'redis-sentinel') },
  () => {
    const h = new Harness();
    after(() => h.cleanup());

    const cases: Array<{ impls: SentinelImpl[]; leader: SentinelImpl }> = [
      { impls: ['redis', 'redis', 'vigil'], leader: 'vigil' },
      { impls: ['redis', 'redis', 'vigil'], leader: 'redis' },
      { impls: ['redis', 'vigil', 'vigil'], leader: 'vigil' },
      { impls: ['redis', 'vigil', 'vigil'], leader: 'redis' },
    ];

    for (const { impls, leader } of cases) {
      const label = impls.join('+');
      void test(`failover - ${label}: kill -9 master, ${leader} leads, all converge`, async () => {
        const { master, replicas } = await startDataNodes(h, 2);
        // The leader side sees the master down after 1 s with quorum 1 (its own opinion suffices for ODOWN); the
        // other side needs 6 s and quorum 2, so it only ever votes.
        const fast = sentinelConf('mymaster', master.port, {
          impls: [],
          downAfterMs: FAST_DOWN_AFTER_MS,
          quorum: 1,
          failoverTimeoutMs: 20000,
        });
        const slow = sentinelConf('mymaster', master.port, {
          impls: [],
          downAfterMs: SLOW_DOWN_AFTER_MS,
          quorum: 2,
          failoverTimeoutMs: 20000,
        });
        // Exactly one sentinel is fast: the first of the leader's implementation.
        const leaderIdx = impls.indexOf(leader);
        const sentinels = await Promise.all(
          impls.map((impl, i) => h.sentinel({ impl, conf: i === leaderIdx ? fast : slow })),
        );
        await h.waitFor(() => discovered(sentinels), {
          name: `${label}: replicas and peers discovered`,
          timeoutMs: 20000,
          intervalMs: 200,
        });
        const watched = await Promise.all(sentinels.map(watch));
        try {
          await master.kill('SIGKILL');
          const newPort = await h.waitFor(
            async () => {
              const p = await agreedMasterPort(sentinels);
              return p !== 0 && p !== master.port ? p : 0;
            },
            { name: `${label}: every sentinel switches to a new master`, timeoutMs: 30000, intervalMs: 100 },
          );
          assert.ok(
            replicas.some((r) => r.port === newPort),
            `new master ${newPort} is one of the replicas`,
          );
          const role = items(await once(newPort, ['ROLE']));
          assert.equal(text(role[0]), 'master');

          const electedBy = watched.filter((w) => w.events.some((e) => e.startsWith('+elected-leader ')));
          assert.equal(
            electedBy.length,
            1,
            `exactly one leader: ${watched.map((w) => `${w.s.impl}:${w.events.length}`).join(' ')}`,
          );
          assert.equal(electedBy[0]!.s.impl, leader, `the ${leader} sentinel led the failover`);
          assert.equal(electedBy[0]!.s, sentinels[leaderIdx]);
          // The followers voted for the leader's runid in the failover epoch.
          const leaderId = text(await once(sentinels[leaderIdx]!.port, ['SENTINEL', 'MYID']));
          for (const w of watched) {
            if (w.s === sentinels[leaderIdx]) continue;
            await h.waitFor(() => w.events.some((e) => e.startsWith(`+vote-for-leader ${leaderId} `)), {
              name: `${w.s.impl} sentinel ${w.s.port} voted for the leader`,
              timeoutMs: 5000,
            });
          }
          // The other replica ends up replicating from the new master.
          const other = replicas.find((r) => r.port !== newPort)!;
          await h.waitFor(
            async () => {
              const info = text(await once(other.port, ['INFO', 'replication'])) ?? '';
              return info.includes(`master_port:${newPort}`) && info.includes('master_link_status:up');
            },
            { name: `${label}: remaining replica follows ${newPort}`, timeoutMs: 30000, intervalMs: 200 },
          );
        } finally {
          for (const w of watched) w.client.close();
          await Promise.all([...sentinels, ...replicas].map((p) => p.kill()));
        }
      });
    }

    void test('failover - a vigil sentinel killed right after voting restarts with its epochs and never votes twice', async () => {
      const { master, replicas } = await startDataNodes(h, 2);
      const conf = sentinelConf('mymaster', master.port, {
        impls: [],
        downAfterMs: FAST_DOWN_AFTER_MS,
        quorum: 2,
        failoverTimeoutMs: 20000,
      });
      const sentinels = await Promise.all([0, 1, 2].map(() => h.sentinel({ impl: 'vigil', conf })));
      await h.waitFor(() => discovered(sentinels), { name: 'discovered', timeoutMs: 20000, intervalMs: 200 });
      const watched = await Promise.all(sentinels.map(watch));
      try {
        await master.kill('SIGKILL');
        // The first sentinel that casts a vote for somebody else is our victim; kill it at once.
        const { victim, epoch } = await h.waitFor(
          () => {
            for (const w of watched) {
              const vote = w.events.find((e) => e.startsWith('+vote-for-leader '));
              const elected = w.events.some((e) => e.startsWith('+elected-leader '));
              if (vote && !elected) return { victim: w, epoch: Number(vote.split(' ')[2]) };
            }
            return undefined;
          },
          { name: 'a follower votes', timeoutMs: 20000, intervalMs: 5 },
        );
        // A vote is answered only after it is on disk; the event can precede the write. Kill the victim as soon
        // as the vote is durable (the rule "no reply before fsync" itself is covered by the core unit tests).
        const onDisk = (): { current: number; leader: number } => {
          const text = readFileSync(victim.s.confPath, 'utf8');
          return {
            current: Number(/^sentinel current-epoch (\d+)$/m.exec(text)?.[1] ?? -1),
            leader: Number(/^sentinel leader-epoch mymaster (\d+)$/m.exec(text)?.[1] ?? -1),
          };
        };
        await h.waitFor(() => onDisk().current >= epoch && onDisk().leader >= epoch, {
          name: `vote of epoch ${epoch} persisted by ${victim.s.port}`,
          timeoutMs: 5000,
          intervalMs: 2,
        });
        await victim.s.kill('SIGKILL');
        victim.client.close();

        await victim.s.restart();
        // Ask it for a vote in the same epoch on behalf of a sentinel it never heard of: it must not grant it.
        const addr = items(await once(victim.s.port, ['SENTINEL', 'GET-MASTER-ADDR-BY-NAME', 'mymaster']));
        const fake = 'f'.repeat(40);
        const reply = items(
          await once(victim.s.port, [
            'SENTINEL',
            'IS-MASTER-DOWN-BY-ADDR',
            text(addr[0])!,
            text(addr[1])!,
            String(epoch),
            fake,
          ]),
        );
        assert.notEqual(text(reply[1]), fake, `no second vote in epoch ${epoch}: ${JSON.stringify(reply)}`);
        const confAfter = readFileSync(victim.s.confPath, 'utf8');
        const epochAfter = Number(/^sentinel current-epoch (\d+)$/m.exec(confAfter)?.[1] ?? -1);
        assert.ok(epochAfter >= epoch, `epoch never regresses after restart (${epochAfter} >= ${epoch})`);

        // And the fleet still converges on one new master, the restarted sentinel included.
        await h.waitFor(
          async () => {
            const p = await agreedMasterPort(sentinels);
            return p !== 0 && p !== master.port && replicas.some((r) => r.port === p);
          },
          { name: 'all three sentinels agree on the promoted replica', timeoutMs: 30000, intervalMs: 100 },
        );
      } finally {
        for (const w of watched) w.client.close();
      }
    });
  },
);
