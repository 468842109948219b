// Mixed fleet: two real redis-sentinel 7.0.15 and one of ours monitor the same master (1 master + 2 replicas,
// quorum 2, down-after 2000 ms). Proves hello interop both ways: each sentinel must list the other two in
// SENTINEL SENTINELS (with the right address and runid) and both replicas in SENTINEL REPLICAS within a few
// seconds, and CKQUORUM must be OK everywhere. VIGIL_MIXED_IMPL=redis makes the third one real too (proves the test).
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { Harness, missingBinaries, type SentinelImpl, type SentinelProc } from '../harness/index.js';
import { startDataNodes, sentinelConf, once, type Fleet } from '../harness/fleet.js';
import { items, record, text } from '../harness/wire.js';

const THIRD: SentinelImpl = process.env.VIGIL_MIXED_IMPL === 'redis' ? 'redis' : 'vigil';
/** Hello messages go out every 2 s; a peer must be known after a few of them. */
const DISCOVERY_DEADLINE_MS = 12000;

void describe(
  `compat - mixed fleet (redis-sentinel, redis-sentinel, ${THIRD}-sentinel)`,
  { skip: missingBinaries('redis-server', 'redis-sentinel') },
  () => {
    const h = new Harness();
    after(() => h.cleanup());
    let fleet: Fleet;
    const name = (s: SentinelProc): string => `${s.impl}-sentinel:${s.port}`;

    before(async () => {
      const { master, replicas } = await startDataNodes(h, 2);
      const conf = sentinelConf('mymaster', master.port, { impls: [], downAfterMs: 2000, failoverTimeoutMs: 20000 });
      const sentinels = await Promise.all(
        (['redis', 'redis', THIRD] as SentinelImpl[]).map((impl) => h.sentinel({ conf, impl })),
      );
      const myids = await Promise.all(sentinels.map(async (s) => text(await once(s.port, ['SENTINEL', 'MYID'])) ?? ''));
      fleet = { masterName: 'mymaster', master, replicas, sentinels, password: undefined, myids };
    });

    void test('mixed fleet - every sentinel has a 40-char myid', () => {
      for (const [i, id] of fleet.myids.entries())
        assert.match(id, /^[0-9a-f]{40}$/, `${name(fleet.sentinels[i]!)} MYID`);
    });

    void test('mixed fleet - every sentinel lists the other two in SENTINEL SENTINELS (address and runid)', async () => {
      await h.waitFor(
        async () => {
          for (const [i, s] of fleet.sentinels.entries()) {
            const peers = items(await once(s.port, ['SENTINEL', 'SENTINELS', 'mymaster'])).map(record);
            const want = fleet.sentinels
              .map((o, j) => ({ port: String(o.port), runid: fleet.myids[j] ?? '' }))
              .filter((_, j) => j !== i)
              .sort((a, b) => a.port.localeCompare(b.port));
            const got = peers
              .filter((p) => !p.flags?.split(',').includes('disconnected'))
              .map((p) => ({ port: p.port ?? '', runid: p.runid ?? '' }))
              .sort((a, b) => a.port.localeCompare(b.port));
            assert.deepEqual(
              got,
              want,
              `${name(s)} SENTINELS: ${JSON.stringify(peers.map((p) => [p.port, p.flags, p.runid]))}`,
            );
            for (const p of peers) {
              assert.equal(p.ip, '127.0.0.1');
              assert.equal(p.name, p.runid, 'a sentinel record is named by its runid');
              assert.equal(p.flags, 'sentinel', `${name(s)} sees ${p.port} with flags ${p.flags}`);
            }
          }
          return true;
        },
        { name: 'all sentinels discover each other', timeoutMs: DISCOVERY_DEADLINE_MS, intervalMs: 200 },
      );
    });

    void test('mixed fleet - every sentinel lists both replicas in SENTINEL REPLICAS', async () => {
      const want = fleet.replicas.map((r) => `127.0.0.1:${r.port}`).sort();
      await h.waitFor(
        async () => {
          for (const s of fleet.sentinels) {
            const reps = items(await once(s.port, ['SENTINEL', 'REPLICAS', 'mymaster'])).map(record);
            assert.deepEqual(reps.map((r) => r.name).sort(), want, `${name(s)} REPLICAS`);
            for (const r of reps) {
              assert.equal(r.flags, 'slave', `${name(s)}: ${r.name} flags`);
              assert.equal(r['master-link-status'], 'ok');
              assert.equal(r['master-port'], String(fleet.master.port));
            }
          }
          return true;
        },
        { name: 'all sentinels discover both replicas', timeoutMs: DISCOVERY_DEADLINE_MS, intervalMs: 200 },
      );
    });

    void test('mixed fleet - MASTER records agree on num-slaves and num-other-sentinels', async () => {
      for (const s of fleet.sentinels) {
        const m = record(await once(s.port, ['SENTINEL', 'MASTER', 'mymaster']));
        assert.equal(m.flags, 'master', name(s));
        assert.equal(m['num-slaves'], '2', name(s));
        assert.equal(m['num-other-sentinels'], '2', name(s));
        assert.equal(m.port, String(fleet.master.port), name(s));
      }
    });

    void test('mixed fleet - CKQUORUM is OK on all three', async () => {
      for (const s of fleet.sentinels) {
        const r = await once(s.port, ['SENTINEL', 'CKQUORUM', 'mymaster']);
        assert.deepEqual(
          r,
          { t: 'simple', v: 'OK 3 usable Sentinels. Quorum and failover authorization can be reached' },
          name(s),
        );
      }
    });

    void test('mixed fleet - INFO sentinel master0 line agrees (status ok, 2 slaves, 3 sentinels)', async () => {
      for (const s of fleet.sentinels) {
        const info = text(await once(s.port, ['INFO', 'sentinel'])) ?? '';
        assert.match(
          info,
          new RegExp(
            `master0:name=mymaster,status=ok,address=127\\.0\\.0\\.1:${fleet.master.port},slaves=2,sentinels=3`,
          ),
          name(s),
        );
      }
    });

    /** Every sentinel's GET-MASTER-ADDR-BY-NAME port (they must agree). */
    async function agreedMaster(): Promise<number> {
      const ports = await Promise.all(
        fleet.sentinels.map(async (s) => {
          const a = await once(s.port, ['SENTINEL', 'GET-MASTER-ADDR-BY-NAME', 'mymaster']);
          return Number(text(items(a)[1]));
        }),
      );
      if (new Set(ports).size !== 1) throw new Error(`sentinels disagree: ${ports.join(', ')}`);
      return ports[0] ?? 0;
    }

    async function failoverFrom(leader: SentinelProc): Promise<void> {
      const before = await agreedMaster();
      const r = await once(leader.port, ['SENTINEL', 'FAILOVER', 'mymaster']);
      assert.deepEqual(r, { t: 'simple', v: 'OK' }, `${name(leader)} SENTINEL FAILOVER`);
      const after = await h.waitFor(
        async () => {
          const p = await agreedMaster();
          return p !== before ? p : 0;
        },
        {
          name: `all three sentinels switch away from ${before} after a failover led by ${name(leader)}`,
          timeoutMs: 30000,
          intervalMs: 200,
        },
      );
      assert.ok(
        [fleet.master, ...fleet.replicas].some((n) => n.port === after),
        `new master ${after} is not one of our data nodes`,
      );
      const role = items(await once(after, ['ROLE']));
      assert.equal(text(role[0]), 'master', `promoted node ${after} reports ${text(role[0])}`);
    }

    /** A forced failover needs a replica with a live link to the current master: wait for the reconfiguration. */
    async function waitReplicaHealthy(): Promise<void> {
      await h.waitFor(
        async () => {
          for (const s of fleet.sentinels) {
            const reps = items(await once(s.port, ['SENTINEL', 'REPLICAS', 'mymaster'])).map(record);
            const ok = reps.filter((r) => r.flags === 'slave' && r['master-link-status'] === 'ok');
            if (ok.length < 1) throw new Error(`${name(s)}: no healthy replica yet`);
          }
          return true;
        },
        { name: 'a healthy replica of the current master on every sentinel', timeoutMs: 30000, intervalMs: 250 },
      );
    }

    void test(`mixed fleet - a SENTINEL FAILOVER led by ${THIRD}-sentinel is followed by both real sentinels`, async () => {
      await failoverFrom(fleet.sentinels[2]!);
    });

    void test(`mixed fleet - a SENTINEL FAILOVER led by a real sentinel is followed by ${THIRD}-sentinel`, async () => {
      await waitReplicaHealthy();
      await failoverFrom(fleet.sentinels[0]!);
    });
  },
);
