// The master-following proxy against real redis-sentinel fleets (1 master + 2 replicas + 3 sentinels,
// down-after 1000 ms): manual and kill -9 failovers, pub/sub, lying and dead sentinels, bad clients.
import { test, describe, after } from 'node:test';
import assert from 'node:assert/strict';
import { Harness, RespClient, freePort, hasBinary, sendUntilClose } from '../harness/index.js';
import { startProxy, type ProxyHandle, type ProxyOptions } from '../../src/proxy/index.js';
import type { LogRecord } from '../../src/proxy/index.js';
import { startFleet, waitReplicasSynced, call, type Fleet } from '../../bench/proxy-failover/fleet.js';
import { FakeSentinel } from '../../bench/proxy-failover/fake-sentinel.js';
import type { Reply } from '../../src/resp/index.js';

const skip =
  !hasBinary('redis-server') || !hasBinary('redis-sentinel') ? 'redis-server/redis-sentinel not installed' : false;
/** VIGIL_PROXY_TEST_SENTINEL=vigil runs the same tests against Vigil's own sentinels. */
const impl = process.env.VIGIL_PROXY_TEST_SENTINEL === 'vigil' ? 'vigil' : 'redis';

async function proxyFor(f: Fleet, logs: LogRecord[], extra: Partial<ProxyOptions> = {}): Promise<ProxyHandle> {
  const p = await startProxy({
    sentinels: f.sentinelList,
    masters: [{ name: f.masterName, listen: '127.0.0.1:0' }],
    pollIntervalMs: 500,
    maxHoldMs: 8000,
    log: (r) => logs.push(r),
    ...extra,
  });
  await p.ready(10_000);
  return p;
}

function routePort(p: ProxyHandle): number | null {
  return p.stats().masters[0]?.router.route?.port ?? null;
}

async function sentinelMasterPort(f: Fleet): Promise<number> {
  const a = await f.masterAddrFrom(f.sentinels[1]!);
  return Number(a?.split(':')[1]);
}

void describe(`proxy - real fleet (${impl} sentinels)`, { skip }, () => {
  const h = new Harness();
  const closers: Array<() => Promise<void>> = [];
  after(async () => {
    for (const c of closers.reverse()) await c().catch(() => undefined);
    await h.cleanup();
  });

  void test('proxy - follows a manual SENTINEL FAILOVER, fences old sessions, pub/sub reconnects cleanly', async () => {
    const f = await startFleet(h, { impl });
    const logs: LogRecord[] = [];
    const p = await proxyFor(f, logs);
    closers.push(() => p.close());
    const oldPort = f.redis[0]!.port;
    assert.equal(routePort(p), oldPort);

    const c = await RespClient.connect(p.address.port);
    assert.equal(await c.call('SET', 'k', 'v1'), 'OK');
    assert.deepEqual(await c.call('CONFIG', 'GET', 'port'), ['port', String(oldPort)]);
    const sub = await RespClient.connect(p.address.port);
    const got: string[] = [];
    sub.onPush((m) => got.push(String(m[2])));
    await sub.call('SUBSCRIBE', 'news');
    await call(oldPort, 'PUBLISH', 'news', 'before');
    await h.waitFor(() => got.includes('before'), { name: 'message through proxy', timeoutMs: 3000 });

    await waitReplicasSynced(f, oldPort);
    assert.equal(await f.failover(), 'OK');
    await h.waitFor(() => routePort(p) !== oldPort, { name: 'proxy switched', timeoutMs: 10_000 });
    const newPort = routePort(p)!;
    await h.waitFor(async () => (await sentinelMasterPort(f)) === newPort, {
      name: 'sentinels agree with the proxy',
      timeoutMs: 10_000,
    });
    // Sessions bound to the old master are closed; the subscriber sees a clean close, not silence.
    await Promise.race([
      Promise.all([c.closed, sub.closed]),
      new Promise((_, rej) => setTimeout(() => rej(new Error('old sessions not closed')), 5000)),
    ]);

    const c2 = await RespClient.connect(p.address.port);
    assert.deepEqual(await c2.call('CONFIG', 'GET', 'port'), ['port', String(newPort)]);
    assert.equal(await c2.call('GET', 'k'), 'v1');
    assert.equal(await c2.call('SET', 'k', 'v2'), 'OK');
    const sub2 = await RespClient.connect(p.address.port);
    const got2: string[] = [];
    sub2.onPush((m) => got2.push(String(m[2])));
    await sub2.call('SUBSCRIBE', 'news');
    await call(newPort, 'PUBLISH', 'news', 'after');
    await h.waitFor(() => got2.includes('after'), { name: 'message after reconnect', timeoutMs: 3000 });
    c2.close();
    sub2.close();

    const sw = logs.find((l) => l.msg === 'switch');
    assert.ok(sw, 'a switch is logged');
    assert.match(String(sw.reason), /ROLE master confirmed/);
    assert.ok(
      logs.some((l) => l.msg === 'gate closed: holding clients'),
      'held from the start of the failover',
    );
    const st = p.stats().masters[0]!;
    assert.ok(st.plane.fenced >= 2, `fenced ${st.plane.fenced}`);
    assert.ok(st.router.route!.epoch > 0);
  });

  void test('proxy - a blocked BLPOP and an unfinished MULTI are closed at the switch, never carried over', async () => {
    const f = await startFleet(h, { impl });
    const logs: LogRecord[] = [];
    const p = await proxyFor(f, logs);
    closers.push(() => p.close());
    const oldPort = f.redis[0]!.port;
    const blocked = await RespClient.connect(p.address.port);
    // Settled only by the close; observed from the start so the rejection is never unhandled.
    const blpop = blocked.call('BLPOP', 'queue', '0').then(
      (r) => `answered ${JSON.stringify(r)}`,
      (e: unknown) => (e instanceof Error ? e.message : String(e)),
    );
    const tx = await RespClient.connect(p.address.port);
    assert.equal(await tx.call('MULTI'), 'OK');
    assert.equal(await tx.call('SET', 'txkey', 'half'), 'QUEUED');
    await waitReplicasSynced(f, oldPort);
    assert.equal(await f.failover(), 'OK');
    // EXEC sent once the failover has started: it is held (frozen), then the session is fenced at the switch.
    await h.waitFor(() => !p.stats().masters[0]!.router.gateOpen || routePort(p) !== oldPort, {
      name: 'failover under way',
      timeoutMs: 10_000,
    });
    const exec = tx.call('EXEC');
    await assert.rejects(exec, /closed/, 'EXEC never reaches the new master');
    assert.match(await blpop, /closed/, 'the blocked client is closed, not left on the demoted master');
    await h.waitFor(() => routePort(p) !== oldPort, { name: 'proxy switched', timeoutMs: 10_000 });
    const c = await RespClient.connect(p.address.port);
    assert.equal(await c.call('GET', 'txkey'), null, 'no half transaction on the new master');
    assert.equal(await c.call('EXISTS', 'txkey'), 0);
    c.close();
    assert.equal(await call(oldPort, 'EXISTS', 'txkey'), 0, 'nor on the old one');
  });

  void test('proxy - follows kill -9 of the master and never routes back to it', async () => {
    const f = await startFleet(h, { impl });
    const logs: LogRecord[] = [];
    const p = await proxyFor(f, logs);
    closers.push(() => p.close());
    const old = f.redis[0]!;
    await waitReplicasSynced(f, old.port);
    const c = await RespClient.connect(p.address.port);
    assert.equal(await c.call('SET', 'x', '1'), 'OK');
    await new Promise((r) => setTimeout(r, 100)); // let the write replicate (loopback, sub-ms)
    await old.kill('SIGKILL');
    await h.waitFor(() => routePort(p) !== old.port && routePort(p) !== null, {
      name: 'proxy switched after kill -9',
      timeoutMs: 15_000,
    });
    const c2 = await RespClient.connect(p.address.port);
    assert.equal(await c2.call('GET', 'x'), '1');
    const role = (await c2.call('ROLE')) as Reply[];
    assert.equal(role[0], 'master');
    // Restart the old master: it comes back claiming master; the proxy must stay on the new one.
    await old.proc.start();
    const newPort = routePort(p);
    await h.waitFor(async () => String(((await call(old.port, 'ROLE')) as Reply[])[0]) === 'slave', {
      name: 'old master converted to replica',
      timeoutMs: 30_000,
      intervalMs: 200,
    });
    assert.equal(routePort(p), newPort);
    c2.close();
  });

  void test('proxy - a lying sentinel and a dead sentinel do not move it; a real failover still does', async () => {
    const f = await startFleet(h, { impl });
    const stranger = await h.redis(); // a real, writable master that is not part of the group
    const oldPort = f.redis[0]!.port;
    const fake = await new FakeSentinel({
      masterName: f.masterName,
      master: { host: '127.0.0.1', port: stranger.port },
      configEpoch: 99,
      replicas: [{ host: '127.0.0.1', port: stranger.port }],
      flags: 'master',
    }).start();
    closers.push(() => fake.close());
    const dead = await freePort();
    const logs: LogRecord[] = [];
    const p = await proxyFor(f, logs, {
      sentinels: `${f.sentinelList},127.0.0.1:${fake.port},127.0.0.1:${dead}`,
      maxFailoverMs: 1500,
    });
    closers.push(() => p.close());
    assert.equal(routePort(p), oldPort);
    assert.equal(p.stats().masters[0]!.router.need, 3);

    fake.publish('+switch-master', `${f.masterName} 127.0.0.1 ${oldPort} 127.0.0.1 ${stranger.port}`);
    fake.publish('+config-update-from', `sentinel fake 127.0.0.1 ${fake.port} @ ${f.masterName} 127.0.0.1 ${oldPort}`);
    const polls = (): number => fake.seen.filter((s) => s === 'SENTINEL MASTER').length;
    const base = polls();
    await h.waitFor(() => polls() >= base + 3, { name: 'three more polls of the fake', timeoutMs: 5000 });
    assert.equal(routePort(p), oldPort);
    const c = await RespClient.connect(p.address.port);
    assert.equal(await c.call('SET', 'lie', 'no'), 'OK');
    assert.equal(await call(oldPort, 'GET', 'lie'), 'no');
    assert.equal(await call(stranger.port, 'GET', 'lie'), null);

    // A lone fake failover naming the stranger: the proxy holds (bounded) but does not switch.
    fake.publish('+try-failover', `master ${f.masterName} 127.0.0.1 ${oldPort}`);
    fake.publish(
      '+failover-state-wait-promotion',
      `slave 127.0.0.1:${stranger.port} 127.0.0.1 ${stranger.port} @ ${f.masterName} 127.0.0.1 ${oldPort}`,
    );
    await h.waitFor(() => logs.some((l) => String(l.msg).startsWith('fast path refused')), {
      name: 'fast path refused',
      timeoutMs: 3000,
    });
    assert.equal(await c.call('GET', 'lie'), 'no', 'held, then resumed after max-failover');
    assert.equal(routePort(p), oldPort);

    // A real failover is followed even while the fake keeps lying.
    await waitReplicasSynced(f, oldPort);
    assert.equal(await f.failover(), 'OK');
    await h.waitFor(() => routePort(p) !== oldPort, { name: 'proxy followed the real failover', timeoutMs: 10_000 });
    assert.notEqual(routePort(p), stranger.port);
    await h.waitFor(async () => (await sentinelMasterPort(f)) === routePort(p), {
      name: 'real sentinels agree',
      timeoutMs: 10_000,
    });
    c.close();
  });

  void test('proxy - malformed bytes from one client only affect that client', async () => {
    const f = await startFleet(h, { replicas: 1, sentinels: 1, quorum: 1, impl });
    const p = await proxyFor(f, [], { http: '127.0.0.1:0' });
    closers.push(() => p.close());
    const base = `http://127.0.0.1:${p.httpAddress!.port}`;
    const health = await fetch(`${base}/health`);
    assert.equal(health.status, 200);
    assert.equal(((await health.json()) as { ready: boolean }).ready, true);
    const metrics = await (await fetch(`${base}/metrics`)).text();
    assert.match(
      metrics,
      new RegExp(`vigil_proxy_master_info\\{master="mymaster",address="127.0.0.1:${f.redis[0]!.port}"`),
    );
    const good = await RespClient.connect(p.address.port);
    assert.equal(await good.call('PING'), 'PONG');
    const reply = await sendUntilClose(p.address.port, '*2\r\n$3\r\nGET\r\n$abc\r\n');
    assert.match(reply, /^-ERR Protocol error/);
    assert.equal(await good.call('PING'), 'PONG');
    const fresh = await RespClient.connect(p.address.port);
    assert.equal(await fresh.call('PING'), 'PONG');
    good.close();
    fresh.close();
  });

  void test('proxy - without a confirmed master clients get a clear error after max hold', async () => {
    const dead = await freePort();
    const p = await startProxy({
      sentinels: `127.0.0.1:${dead}`,
      masters: [{ name: 'nobody', listen: '127.0.0.1:0' }],
      maxHoldMs: 300,
      log: () => undefined,
    });
    closers.push(() => p.close());
    const text = await sendUntilClose(p.address.port, 'PING\r\n');
    assert.match(text, /^-ERR vigil-proxy: no confirmed master for 'nobody' after 300 ms/);
    assert.equal(p.stats().masters[0]!.plane.refused, 1);
  });

  void test('proxy - without a sentinel quorum: keeps routing by default, stops with failClosedAfterMs', async () => {
    const redis = await h.redis();
    const conf = `sentinel monitor solo 127.0.0.1 ${redis.port} 1\n`;
    const s1 = await h.sentinel({ impl, conf });
    const s2 = await h.sentinel({ impl, conf });
    const logs: LogRecord[] = [];
    const start = async (failClosedAfterMs: number): Promise<ProxyHandle> => {
      const p = await startProxy({
        sentinels: `127.0.0.1:${s1.port},127.0.0.1:${s2.port}`,
        masters: [{ name: 'solo', listen: '127.0.0.1:0' }],
        pollIntervalMs: 200,
        maxHoldMs: 300,
        failClosedAfterMs,
        log: (r) => logs.push(r),
      });
      closers.push(() => p.close());
      await p.ready(10_000);
      return p;
    };
    const keep = await start(0);
    const strict = await start(500);
    const gateOpen = (p: ProxyHandle): boolean => p.stats().masters[0]!.router.gateOpen;
    // Black-holed sentinels: their links stay open, polls time out, reports go stale.
    s1.pause();
    s2.pause();
    try {
      await h.waitFor(() => logs.filter((l) => l.msg === 'lost contact with a quorum of sentinels').length === 2, {
        name: 'both proxies log the lost quorum',
        timeoutMs: 5000,
      });
      await h.waitFor(() => !gateOpen(strict), { name: 'fail-closed proxy stops forwarding', timeoutMs: 3000 });
      assert.equal(gateOpen(keep), true);
      const c = await RespClient.connect(keep.address.port);
      assert.equal(await c.call('SET', 'k', 'still'), 'OK', 'default: the last confirmed master stays routed');
      c.close();
      assert.match(await sendUntilClose(strict.address.port, 'PING\r\n'), /^-ERR vigil-proxy: .*fail-closed/);
    } finally {
      s1.resume();
      s2.resume();
    }
    await h.waitFor(() => gateOpen(strict), { name: 'quorum back: forwarding again', timeoutMs: 5000 });
    const c2 = await RespClient.connect(strict.address.port);
    assert.equal(await c2.call('GET', 'k'), 'still');
    c2.close();
    assert.ok(logs.some((l) => l.msg === 'sentinel quorum reachable again'));
  });
});
