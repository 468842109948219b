// Descriptor and session accounting of the proxy across repeated failovers: sessions that end every way the data
// plane knows (client close, client reset, fenced at a switch, re-pointed at a switch and closed later, held then
// resumed) must give back both sockets.
// Runs the proxy in this process and counts this process's open descriptors (/proc/self/fd, Linux).
import { test, describe, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync } from 'node:fs';
import { Harness, RespClient, hasBinary } from '../harness/index.js';
import { startProxy, type ProxyHandle } from '../../src/proxy/index.js';
import { startFleet, waitReplicasSynced, call, recordField, type Fleet } from '../../bench/proxy-failover/fleet.js';

const skip = !hasBinary('redis-server')
  ? 'redis-server not installed'
  : !existsSync('/proc/self/fd')
    ? 'needs /proc/self/fd'
    : false;

const openFds = (): number => readdirSync('/proc/self/fd').length;

function routePort(p: ProxyHandle): number | null {
  return p.stats().masters[0]?.router.route?.port ?? null;
}

async function failoverWhenReady(f: Fleet, masterPort: number): Promise<void> {
  await waitReplicasSynced(f, masterPort);
  // The previous failover must be over on the sentinel we ask (SENTINEL FAILOVER refuses while one runs).
  await f.h.waitFor(
    async () => recordField(await call(f.sentinels[0]!.port, 'SENTINEL', 'MASTER', f.masterName), 'flags') === 'master',
    { name: 'no failover in progress', timeoutMs: 15_000, intervalMs: 100 },
  );
  // Right after a failover the sentinel may not yet count the re-pointed replicas as promotable (-NOGOODSLAVE
  // until their links and INFO are fresh): ask until it accepts.
  let last: unknown;
  await f.h.waitFor(async () => (last = await f.failover()) === 'OK', {
    name: 'SENTINEL FAILOVER accepted',
    timeoutMs: 15_000,
    intervalMs: 200,
  });
  assert.equal(last, 'OK');
}

void describe('proxy - descriptors and sessions across failovers', { skip }, () => {
  const h = new Harness();
  const proxies: ProxyHandle[] = [];
  after(async () => {
    for (const p of proxies) await p.close().catch(() => undefined);
    await h.cleanup();
  });

  for (const pumpThreads of [2, 0]) {
    void test(`proxy - every session gives back its sockets (${pumpThreads ? 'native pump' : 'JS forwarding'})`, async () => {
      const f = await startFleet(h, { impl: 'vigil' });
      const p = await startProxy({
        sentinels: f.sentinelList,
        masters: [{ name: f.masterName, listen: '127.0.0.1:0' }],
        pollIntervalMs: 500,
        maxHoldMs: 8000,
        pumpThreads,
        log: () => undefined,
      });
      proxies.push(p);
      await p.ready(10_000);
      const plane = (): { active: number; held: number } => p.stats().masters[0]!.plane;
      const idle = (): boolean => plane().active === 0 && plane().held === 0;
      const warm = await RespClient.connect(p.address.port);
      assert.equal(await warm.call('PING'), 'PONG');
      warm.close();
      await h.waitFor(idle, { name: 'warm-up session gone', timeoutMs: 5000 });
      const base = openFds();

      const ROUNDS = 3;
      const N = 60;
      for (let round = 0; round < ROUNDS; round++) {
        const oldPort = routePort(p)!;
        const clients = await Promise.all(Array.from({ length: N }, () => RespClient.connect(p.address.port)));
        await Promise.all(clients.map((c, i) => c.call('SET', `k${i}`, String(round))));
        const stay: RespClient[] = [];
        // Idle GET/SET clients: fenced at the switch with the pump; re-pointed to the new master in JS.
        const idleOnes: RespClient[] = [];
        for (const [i, c] of clients.entries()) {
          if (i % 3 === 0) {
            await c.call('SUBSCRIBE', `ch${i}`); // long-lived, fenced at the switch
            stay.push(c);
          } else if (i % 3 === 1) {
            c.socket.resetAndDestroy(); // RST
          } else if (i % 6 === 2) {
            c.close(); // FIN
          } else if (pumpThreads) {
            stay.push(c); // idle, fenced at the switch
          } else {
            idleOnes.push(c); // idle, re-pointed at the switch
          }
        }
        await failoverWhenReady(f, oldPort);
        await h.waitFor(() => routePort(p) !== oldPort, { name: `round ${round}: proxy switched`, timeoutMs: 10_000 });
        await Promise.race([
          Promise.all(stay.map((c) => c.closed)),
          new Promise((_, rej) => setTimeout(() => rej(new Error('sessions on the old master not closed')), 5000)),
        ]);
        for (const c of idleOnes) assert.equal(await c.call('GET', 'k0'), String(round), 're-pointed, same connection');
        for (const c of idleOnes) c.close();
        // New sessions reach the new master.
        const c2 = await RespClient.connect(p.address.port);
        assert.equal(await c2.call('GET', 'k0'), String(round));
        c2.close();
      }

      await h.waitFor(idle, { name: 'no active or held sessions', timeoutMs: 5000 });
      // Sentinel links and ROLE probes come and go; a leak is at least one descriptor per session (180 here).
      await h.waitFor(() => openFds() <= base + 8, {
        name: `descriptors back to baseline (${base} + 8 slack)`,
        timeoutMs: 5000,
      });
    });
  }
});
