// Split-brain fencing, deposed-master demotion and empty-master protection (issue 14) against real redis-servers.
// A partition is stood in for by SIGSTOP of the other sentinels (the fencer still reaches its master, the peers
// stop answering); the namespaced partition cases are in the chaos layer.
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Harness } from '../harness/index.js';
import {
  addrOf,
  call,
  collectEvents,
  masterAddr,
  record,
  role,
  startCluster,
  waitConverged,
  waitDiscovered,
} from './sentinel-helpers.js';

async function tryWrite(port: number, key: string): Promise<string> {
  try {
    const r = await call(port, 'SET', key, 'v');
    return r instanceof Error ? r.message : String(r);
  } catch (e) {
    return (e as Error).message;
  }
}

void describe('fencing - a sentinel that lost the majority fences the master it still reaches', () => {
  const h = new Harness();
  after(() => h.cleanup());

  for (const impls of [
    ['vigil', 'vigil', 'vigil'],
    ['vigil', 'redis', 'redis'],
  ] as const) {
    void test(`fencing - fence while the peers are stopped, lift when they are back (${impls.join('+')})`, async () => {
      const cl = await startCluster(h, { impls: [...impls], downAfterMs: 2000, failoverTimeoutMs: 10000 });
      await waitDiscovered(cl);
      const [s0, s1, s2] = cl.sentinels as [
        (typeof cl.sentinels)[0],
        (typeof cl.sentinels)[0],
        (typeof cl.sentinels)[0],
      ];
      const ev = await collectEvents(s0);
      try {
        assert.equal(await tryWrite(cl.master.port, 'before'), 'OK');
        s1.pause();
        s2.pause();
        // Fence delay = down-after / 2: writes are refused soon after, with Redis's own NOREPLICAS error.
        await h.waitFor(async () => (await tryWrite(cl.master.port, 'during')).startsWith('NOREPLICAS'), {
          name: 'writes refused by the fenced master',
          timeoutMs: 6000,
          intervalMs: 50,
        });
        assert.ok(
          ev.events.some(([ch]) => ch === '+vigil-fence'),
          '+vigil-fence published',
        );
        assert.equal(await masterAddr(s0), '', 'the fencing sentinel does not name the master');
        // Reads still work, the master is not SDOWN and nothing fails over.
        assert.equal(await role(cl.master.port), 'master');
        s1.resume();
        s2.resume();
        await h.waitFor(async () => (await tryWrite(cl.master.port, 'after')) === 'OK', {
          name: 'writes accepted again after the peers are back',
          timeoutMs: 15000,
          intervalMs: 100,
        });
        assert.ok(
          ev.events.some(([ch]) => ch === '-vigil-fence'),
          '-vigil-fence published',
        );
        const cfg = await call(cl.master.port, 'CONFIG', 'GET', 'min-replicas-to-write');
        assert.deepEqual(cfg, ['min-replicas-to-write', '0'], 'the previous value is back');
        assert.ok(!ev.events.some(([ch]) => ch === '+switch-master' || ch === '+odown'), 'no failover');
        assert.equal(await masterAddr(s0), addrOf(cl.master));
      } finally {
        ev.close();
        s1.resume();
        s2.resume();
        for (const p of [...cl.sentinels, ...cl.all]) await p.kill();
      }
    });
  }

  void test('fencing - a deposed master that comes back is demoted at once, not after 4 hello periods', async () => {
    const cl = await startCluster(h, { downAfterMs: 1000, failoverTimeoutMs: 6000 });
    try {
      await waitDiscovered(cl);
      cl.master.pause();
      const old = addrOf(cl.master);
      const s0 = cl.sentinels[0]!;
      const next = await h.waitFor(
        async () => {
          const a = await masterAddr(s0);
          return a !== '' && a !== old ? a : null;
        },
        { name: 'failover away from the stopped master', timeoutMs: 20000, intervalMs: 100 },
      );
      await waitConverged(cl, next);
      cl.master.resume();
      // Redis converts it after 4 × 2 s of it claiming role:master; Vigil on its first INFO after the reconnect.
      await h.waitFor(async () => (await role(cl.master.port)) === 'slave', {
        name: 'the deposed master is a replica within 5 s of coming back',
        timeoutMs: 5000,
        intervalMs: 50,
      });
    } finally {
      cl.master.resume();
      for (const p of [...cl.sentinels, ...cl.all]) await p.kill();
    }
  });

  void test('empty master - a master restarted empty is failed over before its replicas resync from it', async () => {
    // down-after 30 s: only the empty-master protection can fail it over within the deadline below.
    const cl = await startCluster(h, { downAfterMs: 30000, failoverTimeoutMs: 10000 });
    try {
      await waitDiscovered(cl);
      for (let i = 0; i < 100; i++) assert.equal(String(await call(cl.master.port, 'SET', `k${i}`, String(i))), 'OK');
      assert.equal(Number(await call(cl.master.port, 'WAIT', '2', '5000')), 2);
      // The sentinels must have seen the replicas' data (INFO keyspace) before the restart.
      await h.waitFor(
        async () => {
          for (const r of cl.replicas) if (Number(await call(r.port, 'DBSIZE')) !== 100) return false;
          return true;
        },
        { name: 'replicas hold the 100 keys', timeoutMs: 10000, intervalMs: 100 },
      );
      // Each sentinel keeps the replicas' last INFO (refreshed every 10 s): wait for one taken after the writes.
      const wroteAt = Date.now();
      await h.waitFor(
        async () => {
          for (const sp of cl.sentinels) {
            const r = await call(sp.port, 'SENTINEL', 'REPLICAS', 'mymaster');
            if (!Array.isArray(r) || r.length !== 2) return false;
            for (const rec of r.map(record)) if (Number(rec['info-refresh']) >= Date.now() - wroteAt) return false;
          }
          return true;
        },
        { name: 'every sentinel refreshed the replicas INFO after the writes', timeoutMs: 15000, intervalMs: 200 },
      );
      const old = addrOf(cl.master);
      await cl.master.kill('SIGKILL');
      await cl.master.restart(); // no persistence: it comes back empty
      const next = await h.waitFor(
        async () => {
          const a = await masterAddr(cl.sentinels[0]!);
          return a !== '' && a !== old ? a : null;
        },
        { name: 'failover away from the empty master', timeoutMs: 20000, intervalMs: 100 },
      );
      const port = Number(next.split(':')[1]);
      assert.equal(Number(await call(port, 'DBSIZE')), 100, 'the promoted replica kept every key');
      await h.waitFor(async () => Number(await call(cl.master.port, 'DBSIZE')) === 100, {
        name: 'the restarted master resynced from the new master',
        timeoutMs: 20000,
        intervalMs: 200,
      });
    } finally {
      for (const p of [...cl.sentinels, ...cl.all]) await p.kill();
    }
  });
});
