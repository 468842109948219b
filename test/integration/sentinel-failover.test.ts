import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Harness } from '../harness/index.js';
import {
  addrOf,
  call,
  collectEvents,
  failoverAccepted,
  masterAddr,
  record,
  replicasOf,
  role,
  sentinelsOf,
  startCluster,
  waitConverged,
  waitDiscovered,
} from './sentinel-helpers.js';
import type { Cluster } from './sentinel-helpers.js';

void describe('sentinel - three vigil sentinels', () => {
  const h = new Harness();
  let cl: Cluster;
  before(async () => {
    cl = await startCluster(h);
  });
  after(() => h.cleanup());

  void test('sentinel - discovers replicas and peer sentinels', async () => {
    await waitDiscovered(cl);
    const s = cl.sentinels[0]!;
    // A replica that was still syncing at its first INFO shows `err` until the next INFO (10 s period).
    const reps = await h.waitFor(
      async () => {
        const r = await replicasOf(s);
        return r.every((x) => x['master-link-status'] === 'ok') ? r : null;
      },
      { name: 'replicas report master-link-status ok', timeoutMs: 15000, intervalMs: 200 },
    );
    assert.deepEqual(reps.map((r) => r.name).sort(), cl.replicas.map(addrOf).sort());
    for (const r of reps) {
      assert.equal(r.flags, 'slave');
      assert.equal(r['master-link-status'], 'ok');
      assert.equal(r['master-port'], String(cl.master.port));
    }
    const peers = await sentinelsOf(s);
    assert.deepEqual(
      peers.map((p) => Number(p.port)).sort(),
      cl.sentinels
        .slice(1)
        .map((x) => x.port)
        .sort(),
    );
    const m = record(await call(s.port, 'SENTINEL', 'MASTER', 'mymaster'));
    assert.equal(m.flags, 'master');
    assert.equal(m['num-slaves'], '2');
    assert.equal(m['num-other-sentinels'], '2');
    assert.equal(await masterAddr(s), addrOf(cl.master));
  });

  void test('sentinel - kill -9 master: failover, all converge, old master rejoins as replica', async () => {
    await waitDiscovered(cl);
    const ev = await collectEvents(cl.sentinels[1]!);
    const killedAt = Date.now();
    await cl.master.kill('SIGKILL');
    const replicaAddrs = cl.replicas.map(addrOf);
    const newAddr = await h.waitFor(
      async () => {
        const a = await masterAddr(cl.sentinels[0]!);
        return replicaAddrs.includes(a) ? a : null;
      },
      { name: 'failover to a replica', timeoutMs: 15000, intervalMs: 50 },
    );
    const switchMs = Date.now() - killedAt;
    await waitConverged(cl, newAddr);
    const promoted = cl.replicas.find((r) => addrOf(r) === newAddr)!;
    assert.equal(await role(promoted.port), 'master');
    await h.waitFor(() => ev.events.some(([c]) => c === '+switch-master'), {
      name: '+switch-master seen',
      timeoutMs: 10000,
    });
    const sw = ev.events.find(([c]) => c === '+switch-master')!;
    assert.equal(sw[1], `mymaster ${cl.master.host} ${cl.master.port} ${newAddr.replace(':', ' ')}`);
    ev.close();
    // The other replica follows the new master.
    const other = cl.replicas.find((r) => r !== promoted)!;
    await h.waitFor(
      async () => {
        const r = await call(other.port, 'ROLE');
        return Array.isArray(r) && Number(r[2]) === promoted.port;
      },
      { name: 'other replica re-pointed', timeoutMs: 15000, intervalMs: 100 },
    );
    // The old master comes back and is converted into a replica of the new one.
    await cl.master.restart();
    await h.waitFor(
      async () => {
        const r = await call(cl.master.port, 'ROLE');
        return Array.isArray(r) && r[0] === 'slave' && Number(r[2]) === promoted.port;
      },
      { name: 'old master converted to replica', timeoutMs: 30000, intervalMs: 200 },
    );
    assert.ok(switchMs < 5000, `switch took ${switchMs} ms with down-after 1000`);
  });
});

void describe('sentinel - SIGSTOP and manual failover', () => {
  const h = new Harness();
  let cl: Cluster;
  before(async () => {
    cl = await startCluster(h);
    await waitDiscovered(cl);
  });
  after(() => h.cleanup());

  void test('sentinel - SIGSTOP master beyond down-after: failover; SIGCONT: converted', async () => {
    cl.master.pause();
    const replicaAddrs = cl.replicas.map(addrOf);
    const newAddr = await h.waitFor(
      async () => {
        const a = await masterAddr(cl.sentinels[2]!);
        return replicaAddrs.includes(a) ? a : null;
      },
      { name: 'failover after SIGSTOP', timeoutMs: 15000, intervalMs: 50 },
    );
    await waitConverged(cl, newAddr);
    cl.master.resume();
    const promotedPort = Number(newAddr.split(':')[1]);
    await h.waitFor(
      async () => {
        const r = await call(cl.master.port, 'ROLE');
        return Array.isArray(r) && r[0] === 'slave' && Number(r[2]) === promotedPort;
      },
      { name: 'resumed old master converted', timeoutMs: 30000, intervalMs: 200 },
    );
  });

  void test('sentinel - manual SENTINEL FAILOVER promotes a replica and everyone follows', async () => {
    const s = cl.sentinels[0]!;
    const before = await masterAddr(s);
    await h.waitFor(
      async () => {
        // Replicas must be healthy and known (after the previous test's conversion).
        const reps = await replicasOf(s);
        return reps.filter((r) => r.flags === 'slave' && r['master-link-status'] === 'ok').length >= 1;
      },
      { name: 'a promotable replica', timeoutMs: 20000, intervalMs: 200 },
    );
    await failoverAccepted(h, s.port);
    const after = await h.waitFor(
      async () => {
        const a = await masterAddr(cl.sentinels[1]!);
        return a !== before && a !== '' ? a : null;
      },
      { name: 'observer follows the manual failover', timeoutMs: 10000, intervalMs: 50 },
    );
    await waitConverged(cl, after);
    assert.equal(await role(Number(after.split(':')[1])), 'master');
  });
});

void describe('sentinel - no failover without quorum or in a minority', () => {
  const h = new Harness();
  after(() => h.cleanup());

  void test('sentinel - one sentinel of three cannot fail over alone (quorum 1, no majority)', async () => {
    const cl = await startCluster(h, { quorum: 1 });
    await waitDiscovered(cl);
    const [s0, s1, s2] = cl.sentinels as [(typeof cl.sentinels)[0], (typeof cl.sentinels)[0], (typeof cl.sentinels)[0]];
    const ev = await collectEvents(s0);
    s1.pause();
    s2.pause();
    await cl.master.kill('SIGKILL');
    await h.waitFor(() => ev.events.some(([c]) => c === '+try-failover'), {
      name: 'lonely sentinel tries',
      timeoutMs: 10000,
    });
    await h.waitFor(() => ev.events.some(([c]) => c === '-failover-abort-not-elected'), {
      name: 'lonely sentinel gives up (election timeout = failover-timeout 6 s)',
      timeoutMs: 15000,
    });
    ev.close();
    assert.ok(!ev.events.some(([c]) => c === '+elected-leader'), 'never elected');
    assert.equal(await masterAddr(s0), addrOf(cl.master));
    for (const r of cl.replicas) assert.equal(await role(r.port), 'slave');
    s1.resume();
    s2.resume();
  });

  void test('sentinel - quorum 3 with one sentinel seeing the master down: sdown only', async () => {
    const cl = await startCluster(h, { quorum: 3 });
    await waitDiscovered(cl);
    const ev = await collectEvents(cl.sentinels[0]!);
    cl.sentinels[1]!.pause();
    await cl.master.kill('SIGKILL');
    await h.waitFor(() => ev.events.some(([c, p]) => c === '+sdown' && p.startsWith('master ')), {
      name: 'sdown',
      timeoutMs: 10000,
    });
    // Give it well past the time a failover takes with quorum reachable (down-after 1 s + ~0.5 s).
    await h.waitFor(async () => (await call(cl.sentinels[0]!.port, 'PING')) === 'PONG' && Date.now() > 0, {
      name: 'alive',
      timeoutMs: 1000,
    });
    const until = Date.now() + 3000;
    await h.waitFor(() => Date.now() > until, { name: '3 s observation window', timeoutMs: 5000, intervalMs: 100 });
    ev.close();
    assert.ok(!ev.events.some(([c]) => c === '+odown'), 'no odown with 2 of quorum 3');
    assert.equal(await masterAddr(cl.sentinels[0]!), addrOf(cl.master));
    cl.sentinels[1]!.resume();
  });
});
