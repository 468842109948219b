// Re-pointing idle sessions at a switch (src/proxy/repoint.ts): against fake RESP upstreams that name themselves
// in every reply (exact byte accounting per master), then through a real SENTINEL FAILOVER. A session forwarded in
// JavaScript or on the --mux shared upstream that only ever sent stateless commands, with nothing in flight, keeps
// its TCP connection and is answered by the new master; every other session is closed at the switch, as before.
import { test, describe, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server, type Socket, type AddressInfo } from 'node:net';
import { DataPlane } from '../../src/proxy/dataplane.js';
import { MuxUpstream, type MuxClient } from '../../src/proxy/mux.js';
import type { Addr } from '../../src/proxy/events.js';
import { CommandDecoder, type Reply } from '../../src/resp/index.js';
import { Harness, RespClient, hasBinary, waitFor } from '../harness/index.js';
import { startProxy, type ProxyHandle } from '../../src/proxy/index.js';
import { startFleet, waitReplicasSynced, call } from '../../bench/proxy-failover/fleet.js';
import { failoverAccepted } from './sentinel-helpers.js';

/** A RESP server that answers every command with its own name (a bulk string), unless told to stay silent. */
class NamedUpstream {
  server: Server;
  /** Every byte received, and every command (upper-case name) received. */
  bytes = 0;
  commands: string[] = [];
  silent = false;
  sockets: Socket[] = [];
  addr: Addr = { host: '127.0.0.1', port: 0 };
  constructor(readonly name: string) {
    this.server = createServer((s) => {
      this.sockets.push(s);
      const d = new CommandDecoder();
      s.on('error', () => undefined);
      s.on('data', (b) => {
        this.bytes += b.length;
        for (const cmd of d.push(b)) {
          this.commands.push(cmd.map((x) => x.toString()).join(' '));
          if (!this.silent) s.write(`$${this.name.length}\r\n${this.name}\r\n`);
        }
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

const modes = [
  { label: 'JS', pumpThreads: 0, mux: false, repoints: true },
  { label: 'mux', pumpThreads: 2, mux: true, repoints: true },
  { label: 'native pump', pumpThreads: 2, mux: false, repoints: false },
];

for (const mode of modes) {
  void describe(`proxy repoint (${mode.label})`, () => {
    const cleanups: Array<() => Promise<void> | void> = [];
    after(async () => {
      for (const c of cleanups.reverse()) await c();
    });
    /** A plane routed to upstream `a` with the gate open, plus a second upstream `b`. */
    async function setup(): Promise<{ dp: DataPlane; port: number; a: NamedUpstream; b: NamedUpstream }> {
      const a = await new NamedUpstream('a').start();
      const b = await new NamedUpstream('b').start();
      const dp = new DataPlane({
        mux: mode.mux,
        pumpThreads: mode.pumpThreads,
        masterName: 'm',
        listen: { host: '127.0.0.1', port: 0 },
        maxHoldMs: 5000,
        connectTimeoutMs: 500,
        redialDelayMs: 50,
        idleTimeoutMs: 0,
        keepAliveMs: 0,
        onLog: () => undefined,
      });
      const { port } = await dp.listen();
      cleanups.push(
        () => dp.close(),
        () => a.close(),
        () => b.close(),
      );
      dp.setRoute(a.addr);
      dp.setGate(true, 'test');
      return { dp, port, a, b };
    }
    /** Failover as the router does it: gate closed, route moved, gate opened. `during` runs with the gate closed. */
    async function failover(dp: DataPlane, to: Addr, during: () => Promise<void> | void = () => undefined) {
      dp.setGate(false, 'failover');
      await during();
      dp.setRoute(to);
      dp.setGate(true, 'switched');
    }

    void test(`proxy repoint (${mode.label}) - an idle GET/SET client keeps its connection; its next command goes to the new master`, async () => {
      const { dp, port, a, b } = await setup();
      const c = await RespClient.connect(port);
      let closed = false;
      void c.closed.then(() => (closed = true));
      assert.equal(await c.call('SET', 'k', 'v'), 'a');
      assert.equal(await c.call('GET', 'k'), 'a');
      const aBytes = a.bytes;
      // A request sent while the gate is closed is not read until the switch (the session is frozen).
      let asked: Promise<Reply> | null = null;
      await failover(dp, b.addr, () => {
        asked = c.call('INCR', 'n');
      });
      if (mode.repoints) {
        assert.equal(await asked!, 'b', 'the request sent during the failover is answered by the new master');
        assert.equal(await c.call('GET', 'k'), 'b');
        assert.equal(closed, false, 'same TCP connection');
        assert.equal(a.bytes, aBytes, 'not one byte reached the deposed master after the switch');
        assert.deepEqual(b.commands, ['INCR n', 'GET k']);
        assert.equal(dp.stats().repointed, 1);
        assert.equal(dp.stats().fenced, 0);
      } else {
        // The pump forwards bytes without parsing them: such a session is closed at the switch, as before.
        await assert.rejects(asked!, /closed/);
        assert.equal(dp.stats().fenced, 1);
        assert.equal(dp.stats().repointed, 0);
      }
      c.close();
    });

    for (const stateful of [
      ['SELECT', '1'],
      ['MULTI'],
      ['SUBSCRIBE', 'ch'],
      ['AUTH', 'pw'],
      ['CLIENT', 'SETNAME', 'x'],
    ]) {
      void test(`proxy repoint (${mode.label}) - a session that sent ${stateful[0]} is closed at the switch`, async () => {
        const { dp, port, a, b } = await setup();
        const c = await RespClient.connect(port);
        assert.equal(await c.call('GET', 'k'), 'a');
        assert.equal(await c.call(...stateful), 'a');
        assert.equal(await c.call('GET', 'k'), 'a');
        await failover(dp, b.addr);
        await c.closed;
        await assert.rejects(c.call('GET', 'k'), /closed/);
        assert.deepEqual(b.commands, [], 'nothing of it reached the new master');
        assert.equal(dp.stats().fenced, 1);
        assert.equal(dp.stats().repointed, 0);
        assert.ok(a.commands.length >= 3);
      });
    }

    void test(`proxy repoint (${mode.label}) - an idle session its old master drops mid-failover waits for the new one`, async () => {
      const { dp, port, a, b } = await setup();
      const c = await RespClient.connect(port);
      let closed = false;
      void c.closed.then(() => (closed = true));
      assert.equal(await c.call('GET', 'k'), 'a');
      let asked: Promise<Reply> | null = null;
      await failover(dp, b.addr, async () => {
        // The demoted master's CLIENT KILL, before the proxy has switched.
        for (const sock of a.sockets) sock.end();
        // (The pump passes the FIN on to the client, which closes; a frozen pump session reads nothing back.)
        await waitFor(() => (mode.repoints ? a.sockets.every((x) => x.closed) : closed), {
          name: 'a dropped its clients',
          timeoutMs: 2000,
        });
        asked = c.call('GET', 'k');
        if (mode.repoints) assert.equal(dp.stats().held, mode.mux ? 0 : 1, 'waiting for the route, not closed');
      });
      if (mode.repoints) {
        assert.equal(await asked!, 'b');
        assert.equal(closed, false, 'same TCP connection');
        assert.equal(dp.stats().fenced, 0);
      } else {
        await assert.rejects(asked!, /closed/);
      }
      c.close();
    });

    // (--mux: the shared connection is not the client's; its loss is mux.ts's business, tested in proxy-mux.)
    void test(
      `proxy repoint (${mode.label}) - an idle session its master drops with the gate open is closed, as before`,
      { skip: mode.mux },
      async () => {
        const { dp, port, a } = await setup();
        const c = await RespClient.connect(port);
        assert.equal(await c.call('GET', 'k'), 'a');
        for (const sock of a.sockets) sock.end();
        await c.closed;
        assert.equal(dp.stats().repointed, 0);
      },
    );

    void test(`proxy repoint (${mode.label}) - a session with a request in flight at the switch is closed, not re-pointed`, async () => {
      const { dp, port, a, b } = await setup();
      const c = await RespClient.connect(port);
      assert.equal(await c.call('GET', 'k'), 'a');
      a.silent = true;
      const inFlight = c.call('GET', 'slow');
      await waitFor(() => a.commands.length === 2, { name: 'request reached a', timeoutMs: 2000 });
      await failover(dp, b.addr);
      await assert.rejects(inFlight, /closed/, 'the unanswered request fails with the connection');
      assert.deepEqual(b.commands, [], 'the request is not replayed on the new master');
      // (--mux: closed when the shared upstream to the old master closes, before the sessions are looked at.)
      assert.equal(dp.stats().repointed, 0);
    });

    void test(`proxy repoint (${mode.label}) - a request half read at the switch is not re-pointed mid-request`, async () => {
      const { dp, port, b } = await setup();
      const c = await RespClient.connect(port);
      assert.equal(await c.call('GET', 'k'), 'a');
      const before = dp.stats().bytesFromClients;
      c.socket.write('*2\r\n$3\r\nGET\r\n$4\r\nha');
      await waitFor(() => dp.stats().bytesFromClients > before, { name: 'half a request read', timeoutMs: 2000 });
      await failover(dp, b.addr);
      await c.closed;
      assert.equal(b.bytes, 0, 'no byte of it reached the new master');
      assert.equal(dp.stats().repointed, 0);
    });
  });
}

void describe('proxy repoint - the shared --mux upstream closed at a switch', () => {
  /** A MuxClient that records what the shared upstream tells it. */
  function client(): MuxClient & { got: string[]; requeued: string[]; failed: number } {
    return {
      outstanding: 0,
      unanswered: 0,
      alive: true,
      got: [],
      requeued: [],
      failed: 0,
      deliver(b: Buffer) {
        this.got.push(b.toString());
        return true;
      },
      whenWritable: (cb: () => void) => cb(),
      answered: () => undefined,
      drained: () => undefined,
      fail() {
        this.failed++;
      },
      requeue(b: Buffer) {
        this.requeued.push(b.toString());
      },
    };
  }

  void test('proxy repoint - requests never written (gate closed) are handed back; a written one fails', async () => {
    const a = await new NamedUpstream('a').start();
    try {
      let gate = true;
      const mux = new MuxUpstream(
        a.addr,
        undefined,
        () => gate,
        () => undefined,
      );
      const sent = client();
      mux.send(sent, Buffer.from('*1\r\n$4\r\nPING\r\n'), 1);
      await waitFor(() => a.commands.length === 1, { name: 'first request written', timeoutMs: 2000 });
      a.silent = true;
      mux.send(sent, Buffer.from('*2\r\n$3\r\nGET\r\n$1\r\nk\r\n'), 1);
      await waitFor(() => a.commands.length === 2 && sent.got.length === 1, {
        name: 'second written, unanswered',
        timeoutMs: 2000,
      });
      gate = false;
      const held = client();
      mux.send(held, Buffer.from('*2\r\n$3\r\nGET\r\n$1\r\nx\r\n'), 1);
      mux.send(held, Buffer.from('*2\r\n$3\r\nGET\r\n$1\r\ny\r\n'), 1);
      mux.flush(); // the batch turn, with the gate closed: nothing is written
      mux.close();
      assert.deepEqual(held.requeued, ['*2\r\n$3\r\nGET\r\n$1\r\nx\r\n*2\r\n$3\r\nGET\r\n$1\r\ny\r\n']);
      assert.equal(held.failed, 0);
      assert.equal(sent.failed, 1, 'a request Redis may have run: the outcome is unknown');
      assert.deepEqual(sent.requeued, []);
      assert.equal(a.commands.length, 2, 'the held requests never reached the old master');
    } finally {
      await a.close();
    }
  });
});

const skip =
  !hasBinary('redis-server') || !hasBinary('redis-sentinel') ? 'redis-server/redis-sentinel not installed' : false;

void describe('proxy repoint - real SENTINEL FAILOVER', { skip }, () => {
  const h = new Harness();
  const closers: Array<() => Promise<void>> = [];
  after(async () => {
    for (const c of closers.reverse()) await c().catch(() => undefined);
    await h.cleanup();
  });

  for (const variant of [
    { label: 'JS', pumpThreads: 0, mux: false },
    { label: 'mux', pumpThreads: 2, mux: true },
  ]) {
    void test(`proxy repoint (${variant.label}) - pooled GET/SET clients keep their connections across SENTINEL FAILOVER; stateful ones are closed`, async () => {
      const f = await startFleet(h, { impl: 'redis' });
      const p: ProxyHandle = await startProxy({
        sentinels: f.sentinelList,
        masters: [{ name: f.masterName, listen: '127.0.0.1:0' }],
        pollIntervalMs: 500,
        maxHoldMs: 8000,
        pumpThreads: variant.pumpThreads,
        mux: variant.mux,
        log: () => undefined,
      });
      closers.push(() => p.close());
      await p.ready(10_000);
      const oldPort = f.redis[0]!.port;
      const route = (): number | null => p.stats().masters[0]?.router.route?.port ?? null;
      const pool = await Promise.all([0, 1, 2].map(() => RespClient.connect(p.address.port)));
      const closed = pool.map(() => false);
      pool.forEach((c, i) => void c.closed.then(() => (closed[i] = true)));
      for (const [i, c] of pool.entries()) assert.equal(await c.call('SET', `pool:${i}`, 'before'), 'OK');
      const selected = await RespClient.connect(p.address.port);
      assert.equal(await selected.call('SELECT', '1'), 'OK');
      const tx = await RespClient.connect(p.address.port);
      assert.equal(await tx.call('MULTI'), 'OK');
      const sub = await RespClient.connect(p.address.port);
      await sub.call('SUBSCRIBE', 'news');
      const local = pool.map((c) => c.socket.localPort);

      await waitReplicasSynced(f, oldPort);
      await failoverAccepted(h, f.sentinels[0]!.port, f.masterName);
      await h.waitFor(() => route() !== oldPort, { name: 'proxy switched', timeoutMs: 10_000 });
      const newPort = route()!;
      await Promise.all([selected.closed, tx.closed, sub.closed]);
      for (const [i, c] of pool.entries()) {
        assert.equal(await c.call('SET', `pool:${i}`, 'after'), 'OK', 'answered (a demoted master says READONLY)');
        assert.equal(await call(newPort, 'GET', `pool:${i}`), 'after', 'written on the new master');
      }
      assert.deepEqual(closed, [false, false, false], 'no pooled client saw a reconnect');
      assert.deepEqual(
        pool.map((c) => c.socket.localPort),
        local,
      );
      const st = p.stats().masters[0]!.plane;
      assert.equal(st.repointed, 3);
      assert.ok(st.fenced >= 3, `fenced ${st.fenced}`);
      for (const c of pool) c.close();
    });
  }
});
