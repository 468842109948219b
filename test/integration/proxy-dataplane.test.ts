// The proxy's data plane against plain loopback TCP servers (no Redis): hold, freeze, fence, max hold.
import { test, describe, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, connect, type Server, type Socket, type AddressInfo } from 'node:net';
import { DataPlane } from '../../src/proxy/dataplane.js';
import type { Addr } from '../../src/proxy/events.js';
import { waitFor, blackHole } from '../harness/index.js';

/** An upstream that records what it receives and echoes `ok:<bytes>` back. */
class Upstream {
  server: Server;
  received = '';
  sockets: Socket[] = [];
  addr: Addr = { host: '127.0.0.1', port: 0 };
  constructor() {
    this.server = createServer((s) => {
      this.sockets.push(s);
      s.on('error', () => undefined);
      s.on('data', (b) => {
        this.received += b.toString();
        s.write(`ok:${b.toString()}`);
      });
    });
  }
  async start(): Promise<this> {
    await new Promise<void>((r) => this.server.listen(0, '127.0.0.1', () => r()));
    this.addr = { host: '127.0.0.1', port: (this.server.address() as AddressInfo).port };
    return this;
  }
  async close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((r) => this.server.close(() => r()));
  }
}

class Client {
  got = '';
  closed = false;
  s: Socket;
  constructor(port: number) {
    this.s = connect({ host: '127.0.0.1', port });
    this.s.on('data', (b) => (this.got += b.toString()));
    this.s.on('error', () => undefined);
    this.s.on('close', () => (this.closed = true));
  }
}

// Every case runs twice: forwarding by the native pump (2 threads) and in JavaScript (pumpThreads 0).
for (const pumpThreads of [2, 0]) {
  const forwarding = pumpThreads > 0 ? 'native pump' : 'JS';
  function plane(maxHoldMs = 5000, mux = false, idleTimeoutMs = 0, maxClients = 0): DataPlane {
    return new DataPlane({
      mux,
      maxClients,
      pumpThreads,
      masterName: 'm',
      listen: { host: '127.0.0.1', port: 0 },
      maxHoldMs,
      connectTimeoutMs: 500,
      redialDelayMs: 50,
      idleTimeoutMs,
      keepAliveMs: 0,
      onLog: () => undefined,
    });
  }

  void describe(`proxy data plane (${forwarding})`, () => {
    const cleanups: Array<() => Promise<void> | void> = [];
    /** A listening plane plus `n` upstreams, all closed after the suite. */
    async function start(
      n: number,
      ...args: Parameters<typeof plane>
    ): Promise<{ dp: DataPlane; port: number; ups: Upstream[] }> {
      const ups: Upstream[] = [];
      for (let i = 0; i < n; i++) ups.push(await new Upstream().start());
      const dp = plane(...args);
      const { port } = await dp.listen();
      cleanups.push(() => dp.close(), ...ups.map((u) => () => u.close()));
      return { dp, port, ups };
    }
    /** start() with one upstream that is already the route, gate open. */
    async function routed(...args: Parameters<typeof plane>): Promise<{ dp: DataPlane; port: number; up: Upstream }> {
      const { dp, port, ups } = await start(1, ...args);
      const up = ups[0]!;
      dp.setRoute(up.addr);
      dp.setGate(true, 'test');
      return { dp, port, up };
    }
    after(async () => {
      for (const c of cleanups.reverse()) await c();
    });

    void test(`proxy dataplane (${forwarding}) - holds new connections until the gate opens, then forwards`, async () => {
      const {
        dp,
        port,
        ups: [up],
      } = await start(1);
      if (!up) throw new Error('no upstream');
      const c = new Client(port);
      c.s.write('hello');
      await waitFor(() => dp.stats().held === 1, { name: 'held', timeoutMs: 2000 });
      assert.equal(up.received, '');
      dp.setRoute(up.addr);
      assert.equal(up.received, '', 'a route alone does not open the gate');
      dp.setGate(true, 'test');
      await waitFor(() => c.got === 'ok:hello', { name: 'forwarded after release', timeoutMs: 2000 });
      assert.equal(dp.stats().released, 1);
      assert.equal(dp.stats().forwarding, pumpThreads > 0 ? 'native' : 'js', 'the intended forwarding path ran');
      assert.equal(dp.stats().pumpDials, pumpThreads > 0 ? 1 : 0, 'the pump dialled the upstream itself');
      await waitFor(() => dp.stats().bytesFromClients === 5 && dp.stats().bytesToClients === 8, {
        name: 'byte counters (hello / ok:hello)',
        timeoutMs: 2000,
      });
      c.s.write(' again');
      await waitFor(() => c.got === 'ok:hellook: again', { name: 'forwarding continues', timeoutMs: 2000 });
      c.s.destroy();
      await waitFor(() => dp.stats().active === 0, { name: 'session gone after client close', timeoutMs: 2000 });
    });

    void test(`proxy dataplane (${forwarding}) - a frozen session forwards nothing until the gate reopens`, async () => {
      const { dp, port, up } = await routed();
      const c = new Client(port);
      c.s.write('a');
      await waitFor(() => c.got === 'ok:a', { name: 'first write', timeoutMs: 2000 });
      dp.setGate(false, 'failover');
      assert.equal(dp.stats().frozen, 1);
      c.s.write('b');
      // Give the bytes every chance to travel: a round trip on a second, unfrozen path proves the loop has turned.
      const probe = await new Upstream().start();
      cleanups.push(() => probe.close());
      const ps = connect(probe.addr.port, '127.0.0.1');
      await new Promise<void>((r) => ps.once('connect', () => r()));
      ps.write('x');
      await waitFor(() => probe.received === 'x', { name: 'probe round trip', timeoutMs: 2000 });
      ps.destroy();
      assert.equal(up.received, 'a', 'no byte forwarded while frozen');
      dp.setGate(true, 'abort');
      await waitFor(() => up.received === 'ab', { name: 'forwarded after unfreeze', timeoutMs: 2000 });
      c.s.destroy();
    });

    void test(`proxy dataplane (${forwarding}) - a route change closes sessions bound to the old master`, async () => {
      const {
        dp,
        port,
        ups: [a, b],
      } = await start(2);
      if (!a || !b) throw new Error('no upstreams');
      dp.setRoute(a.addr);
      dp.setGate(true, 'test');
      const c1 = new Client(port);
      c1.s.write('1');
      await waitFor(() => c1.got === 'ok:1', { name: 'c1 on a', timeoutMs: 2000 });
      dp.setGate(false, 'failover');
      const c2 = new Client(port); // held
      c2.s.write('2');
      await waitFor(() => dp.stats().held === 1, { name: 'c2 held', timeoutMs: 2000 });
      dp.setRoute(b.addr);
      await waitFor(() => c1.closed, { name: 'c1 fenced', timeoutMs: 2000 });
      dp.setGate(true, 'switched');
      await waitFor(() => c2.got === 'ok:2', { name: 'c2 on b', timeoutMs: 2000 });
      assert.equal(a.received, '1');
      assert.equal(b.received, '2');
      assert.equal(dp.stats().fenced, 1);
      c2.s.destroy();
    });

    void test(`proxy dataplane (${forwarding}) - a frozen session past max hold gets the vigil-proxy error and is closed`, async () => {
      const { dp, port, up } = await routed(200);
      const c = new Client(port);
      c.s.write('a');
      await waitFor(() => c.got === 'ok:a', { name: 'first write', timeoutMs: 2000 });
      dp.setGate(false, 'failover of x signalled by y');
      c.s.write('b');
      await waitFor(() => c.closed, { name: 'closed after max hold', timeoutMs: 3000 });
      assert.match(
        c.got,
        /^ok:a-ERR vigil-proxy: no confirmed master for 'm' after 200 ms \(failover of x signalled by y\)/,
      );
      assert.equal(up.received, 'a');
      assert.equal(dp.stats().refused, 1);
    });

    void test(`proxy dataplane (${forwarding}) - idle timeout closes a silent client, not a talking one`, async () => {
      const { dp, port } = await routed(5000, false, 400);
      const silent = new Client(port);
      const talker = new Client(port);
      silent.s.write('a');
      talker.s.write('b');
      await waitFor(() => silent.got === 'ok:a' && talker.got === 'ok:b', { name: 'both forwarded', timeoutMs: 2000 });
      assert.equal(dp.stats().forwarding, pumpThreads > 0 ? 'native' : 'js');
      const started = Date.now();
      let n = 0;
      const timer = setInterval(() => talker.s.write(String(n++ % 10)), 100);
      try {
        await waitFor(() => silent.closed, { name: 'silent client closed by the idle timeout', timeoutMs: 3000 });
        const waited = Date.now() - started;
        assert.ok(waited >= 350, `closed after ${waited} ms, before the 400 ms idle timeout`);
        await waitFor(() => Date.now() - started > 1200, { name: '1.2 s of talking', timeoutMs: 3000 });
        assert.equal(talker.closed, false, 'a client that talks every 100 ms is not idle');
      } finally {
        clearInterval(timer);
      }
      talker.s.destroy();
    });

    void test(`proxy dataplane (${forwarding}) - past max clients a client gets Redis's error; a freed slot is reused`, async () => {
      const { dp, port, up } = await routed(5000, false, 0, 3);
      const three = [new Client(port), new Client(port), new Client(port)];
      three.forEach((c, i) => c.s.write(`c${i}`));
      await waitFor(() => three.every((c, i) => c.got === `ok:c${i}`), { name: 'three served', timeoutMs: 2000 });
      const fourth = new Client(port);
      fourth.s.write('c3');
      await waitFor(() => fourth.closed, { name: 'fourth closed', timeoutMs: 2000 });
      assert.equal(fourth.got, '-ERR max number of clients reached\r\n');
      assert.ok(!up.received.includes('c3'), 'nothing of the fourth client reached the upstream');
      assert.equal(dp.stats().overLimit, 1);
      three[0]!.s.destroy();
      await waitFor(() => dp.stats().active === 2, { name: 'a slot freed', timeoutMs: 2000 });
      const fifth = new Client(port);
      fifth.s.write('c4');
      await waitFor(() => fifth.got === 'ok:c4', { name: 'the freed slot serves a new client', timeoutMs: 2000 });
      assert.equal(three[1]!.closed || three[2]!.closed, false, 'the others were not touched');
      for (const c of [...three, fifth]) c.s.destroy();
    });

    void test(`proxy dataplane (${forwarding}) - a refused upstream keeps the client held and re-dials`, async () => {
      const up = await new Upstream().start();
      const port0 = up.addr.port;
      await up.close();
      const dp = plane();
      const { port } = await dp.listen();
      cleanups.push(() => dp.close());
      dp.setRoute({ host: '127.0.0.1', port: port0 });
      dp.setGate(true, 'test');
      const c = new Client(port);
      c.s.write('z');
      await waitFor(() => dp.stats().upstreamConnectFailures >= 1, { name: 'connect failed', timeoutMs: 2000 });
      assert.equal(c.closed, false);
      const again = new Upstream();
      await new Promise<void>((r) => again.server.listen(port0, '127.0.0.1', () => r()));
      cleanups.push(() => again.close());
      await waitFor(() => c.got === 'ok:z', { name: 're-dialled', timeoutMs: 3000 });
      c.s.destroy();
    });

    /** A black-holed loopback port (connects hang), its helper killed after the suite. */
    async function hole(): Promise<Addr> {
      const { port, child } = await blackHole();
      cleanups.push(() => void child.kill('SIGKILL'));
      return { host: '127.0.0.1', port };
    }

    void test(`proxy dataplane (${forwarding}) - a black-holed upstream times out, the client is held, then re-dialled to the new route`, async () => {
      const bh = await hole();
      const { dp, port, ups } = await start(1);
      const good = ups[0]!;
      dp.setRoute(bh);
      dp.setGate(true, 'test');
      const c = new Client(port);
      c.s.write('q');
      await waitFor(() => dp.stats().upstreamConnectFailures >= 1, { name: 'connect timed out', timeoutMs: 3000 });
      assert.equal(c.closed, false, 'held, not closed');
      assert.equal(dp.stats().held, 1);
      dp.setRoute(good.addr);
      await waitFor(() => c.got === 'ok:q', { name: 'forwarded on the new route', timeoutMs: 3000 });
      assert.equal(good.received, 'q');
      assert.equal(dp.stats().fenced, 0);
      c.s.destroy();
    });

    void test(`proxy dataplane (${forwarding}) - a route change while the upstream connect is pending re-dials the new master`, async () => {
      const bh = await hole();
      const { dp, port, ups } = await start(1);
      const good = ups[0]!;
      dp.setRoute(bh);
      dp.setGate(true, 'test');
      const c = new Client(port);
      c.s.write('r');
      await waitFor(() => dp.stats().held === 1 && dp.stats().accepted === 1, { name: 'dialling', timeoutMs: 2000 });
      dp.setRoute(good.addr);
      await waitFor(() => c.got === 'ok:r', { name: 'forwarded on the new route', timeoutMs: 3000 });
      assert.equal(dp.stats().upstreamConnectFailures, 0, 'the abandoned dial is not a failure');
      assert.equal(dp.stats().fenced, 0, 'nothing was forwarded to the old route, so nothing was fenced');
      assert.equal(good.received, 'r');
      // The pump dials twice (the abandoned one and the new route); the JS path never.
      assert.equal(dp.stats().pumpDials, pumpThreads > 0 ? 2 : 0);
      c.s.destroy();
    });

    void test(`proxy dataplane (${forwarding}) - max hold during a pending connect: the client gets the vigil-proxy error`, async () => {
      const bh = await hole();
      const dp = plane(300);
      const { port } = await dp.listen();
      cleanups.push(() => dp.close());
      dp.setRoute(bh);
      dp.setGate(true, 'test');
      const c = new Client(port);
      c.s.write('s');
      await waitFor(() => c.closed, { name: 'closed after max hold', timeoutMs: 3000 });
      assert.match(c.got, /^-ERR vigil-proxy: no confirmed master for 'm' after 300 ms \(test\); retry later\r\n$/);
      assert.equal(dp.stats().refused, 1);
      await waitFor(() => dp.stats().held === 0, { name: 'session gone', timeoutMs: 2000 });
    });

    void test(`proxy dataplane (${forwarding}) - mux: requests never written when the shared upstream cannot connect are re-dialled, not dropped`, async () => {
      const probe = await new Upstream().start();
      const port0 = probe.addr.port;
      await probe.close();
      const dp = plane(5000, true);
      const { port } = await dp.listen();
      cleanups.push(() => dp.close());
      dp.setRoute({ host: '127.0.0.1', port: port0 });
      dp.setGate(true, 'test');
      const c = new Client(port);
      c.s.write('PING\r\n');
      await waitFor(() => dp.stats().pinned === 1, { name: 'client handed its request back', timeoutMs: 3000 });
      assert.equal(c.closed, false);
      const again = new Upstream();
      await new Promise<void>((r) => again.server.listen(port0, '127.0.0.1', () => r()));
      cleanups.push(() => again.close());
      await waitFor(() => c.got === 'ok:PING\r\n', { name: 'request delivered once after re-dial', timeoutMs: 3000 });
      assert.equal(again.received, 'PING\r\n');
      c.s.destroy();
    });
  });
}
