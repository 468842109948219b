// The multiplexing data plane (`--mux`) against a real redis-server: shared upstream correctness, pinning of
// stateful clients, large values split across reads, bad clients isolated.
import { test, describe, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { connect, createServer, type Server, type Socket, type AddressInfo } from 'node:net';
import { Harness, RespClient, missingBinaries, waitFor, type RedisProc } from '../harness/index.js';
import { DataPlane } from '../../src/proxy/dataplane.js';
import { scanReply, scanRequest, INCOMPLETE, INVALID, EMPTY, scan, PartialFrame } from '../../src/proxy/frames.js';

void describe('proxy frames', () => {
  void test('proxy frames - requests: complete, split, empty, invalid', () => {
    const req = Buffer.from('*2\r\n$3\r\nGET\r\n$3\r\nkey\r\n');
    assert.equal(scanRequest(req, 0), req.length);
    assert.equal(scan.cmd, 'get');
    for (let cut = 1; cut < req.length; cut++) {
      assert.equal(scanRequest(req.subarray(0, cut), 0), INCOMPLETE, `cut ${cut}`);
      assert.ok(scan.need > cut && scan.need <= req.length, `need after cut ${cut} is ${scan.need}`);
    }
    assert.equal(scanRequest(Buffer.from('PING\r\n'), 0), 6);
    assert.equal(scan.cmd, 'ping');
    assert.equal(scanRequest(Buffer.from('\r\n'), 0), EMPTY);
    assert.equal(scanRequest(Buffer.from('*0\r\n'), 0), EMPTY);
    assert.equal(scanRequest(Buffer.from('*1\r\n$abc\r\n'), 0), INVALID);
    assert.equal(scanRequest(Buffer.from('*1\r\n:1\r\n'), 0), INVALID);
    assert.equal(scanRequest(Buffer.from('*1\r\n$3\r\nGETX\r\n'), 0), INVALID);
    assert.equal(scanRequest(Buffer.from('SET "a b" c\r\n'), 0), INVALID);
  });

  void test('proxy frames - PartialFrame keeps a request cut at every byte until it is whole', () => {
    const req = Buffer.from('*2\r\n$3\r\nGET\r\n$3\r\nkey\r\n*1\r\n$4\r\nPING\r\n');
    const pf = new PartialFrame();
    const frames: string[] = [];
    let scans = 0;
    for (let i = 0; i < req.length; i++) {
      const b = pf.take(req.subarray(i, i + 1));
      if (b === null) continue;
      scans++;
      let at = 0;
      for (;;) {
        const e = scanRequest(b, at);
        if (e === INCOMPLETE) {
          pf.keep(b, at);
          break;
        }
        assert.ok(e > at, `frame at ${at}`);
        frames.push(b.subarray(at, e).toString());
        at = e;
        if (at === b.length) break;
      }
    }
    assert.deepEqual(frames, ['*2\r\n$3\r\nGET\r\n$3\r\nkey\r\n', '*1\r\n$4\r\nPING\r\n']);
    assert.ok(scans < req.length, `rescans skipped while fewer bytes than needed arrived (${scans} scans)`);
  });

  void test('proxy frames - replies: nested arrays, nulls, split at every byte', () => {
    const parts = [
      '+OK\r\n',
      '-ERR x\r\n',
      ':42\r\n',
      '$-1\r\n',
      '$5\r\nhello\r\n',
      '*-1\r\n',
      '*2\r\n*1\r\n$1\r\na\r\n:1\r\n',
      '*0\r\n',
    ];
    const all = Buffer.from(parts.join(''));
    let at = 0;
    for (const p of parts) {
      const e = scanReply(all, at);
      assert.equal(e, at + Buffer.byteLength(p), p);
      at = e;
    }
    const nested = Buffer.from('*2\r\n*1\r\n$1\r\na\r\n:1\r\n');
    for (let cut = 1; cut < nested.length; cut++) assert.equal(scanReply(nested.subarray(0, cut), 0), INCOMPLETE);
    assert.equal(scanReply(Buffer.from('%1\r\n'), 0), INVALID);
  });
});

void describe('proxy mux - real redis-server', { skip: missingBinaries('redis-server') }, () => {
  const h = new Harness();
  let redis: RedisProc;
  let dp: DataPlane;
  let port = 0;
  before(async () => {
    redis = await h.redis();
    dp = new DataPlane({
      masterName: 'm',
      listen: { host: '127.0.0.1', port: 0 },
      maxHoldMs: 5000,
      connectTimeoutMs: 1000,
      redialDelayMs: 50,
      idleTimeoutMs: 0,
      keepAliveMs: 0,
      mux: true,
      pumpThreads: 2,
      onLog: () => undefined,
    });
    port = (await dp.listen()).port;
    dp.setRoute({ host: redis.host, port: redis.port });
    dp.setGate(true, 'test');
  });
  after(async () => {
    await dp.close();
    await h.cleanup();
  });

  void test('proxy mux - many clients pipelining on one upstream each get their own replies in order', async () => {
    const clients = await Promise.all(Array.from({ length: 20 }, () => RespClient.connect(port)));
    await Promise.all(
      clients.map(async (c, i) => {
        const calls = [];
        for (let k = 1; k <= 100; k++) calls.push(c.call('INCR', `mux:${i}`));
        calls.push(c.call('SET', `mux:s:${i}`, `v${i}`), c.call('GET', `mux:s:${i}`));
        const r = await Promise.all(calls);
        assert.deepEqual(
          r.slice(0, 100),
          Array.from({ length: 100 }, (_, k) => k + 1),
        );
        assert.deepEqual(r.slice(100), ['OK', `v${i}`]);
      }),
    );
    assert.ok(dp.stats().muxed >= 20);
    for (const c of clients) c.close();
  });

  void test('proxy mux - SELECT pins the client to its own connection; others stay on db 0', async () => {
    const a = await RespClient.connect(port);
    const b = await RespClient.connect(port);
    assert.equal(await a.call('SET', 'pin:k', 'db0'), 'OK');
    const pinnedBefore = dp.stats().pinned;
    assert.equal(await a.call('SELECT', '1'), 'OK');
    assert.equal(await a.call('SET', 'pin:k', 'db1'), 'OK');
    assert.equal(await b.call('GET', 'pin:k'), 'db0');
    assert.equal(await a.call('GET', 'pin:k'), 'db1');
    assert.equal(dp.stats().pinned, pinnedBefore + 1);
    const direct = await redis.client();
    assert.equal(await direct.call('GET', 'pin:k'), 'db0');
    a.close();
    b.close();
  });

  void test('proxy mux - a subscriber is pinned and receives messages', async () => {
    const sub = await RespClient.connect(port);
    const got: string[] = [];
    sub.onPush((m) => got.push(String(m[2])));
    await sub.call('SUBSCRIBE', 'mux-news');
    const pub = await RespClient.connect(port);
    await h.waitFor(
      async () => {
        await pub.call('PUBLISH', 'mux-news', 'hi');
        return got.includes('hi');
      },
      { name: 'message via pinned subscriber', timeoutMs: 3000 },
    );
    sub.close();
    pub.close();
  });

  void test('proxy mux - 2 MB values split across many reads', async () => {
    const c = await RespClient.connect(port);
    const big = 'x'.repeat(2 * 1024 * 1024);
    const r = await Promise.all([c.call('SET', 'big', big), c.call('GET', 'big'), c.call('STRLEN', 'big')]);
    assert.equal(r[0], 'OK');
    assert.equal(r[1], big);
    assert.equal(r[2], big.length);
    c.close();
  });

  void test('proxy mux - replies not yet flushed to a slow client survive its move to a pinned connection', async () => {
    // A client that does not read gets many large replies on the shared upstream (most of them wait in the
    // proxy's socket buffer), then sends a command that pins it. The pinned connection (handed to the native
    // pump) must not start before those replies are out, or they are lost and the client reads wrong answers.
    const setter = await RespClient.connect(port);
    const value = 'v'.repeat(1024 * 1024);
    assert.equal(await setter.call('SET', 'slow:big', value), 'OK');
    setter.close();
    const n = 24;
    const bulk = `$${value.length}\r\n${value}\r\n`;
    const want = bulk.repeat(n) + '+OK\r\n+PONG\r\n';
    const c = connect({ host: '127.0.0.1', port });
    const chunks: Buffer[] = [];
    let got = 0;
    let closed = false;
    c.on('data', (b: Buffer) => {
      chunks.push(b);
      got += b.length;
    });
    c.on('close', () => (closed = true));
    c.on('error', () => undefined);
    await new Promise<void>((resolve) => c.once('connect', () => resolve()));
    c.pause();
    const pinnedBefore = dp.stats().pinned;
    c.write('*2\r\n$3\r\nGET\r\n$8\r\nslow:big\r\n'.repeat(n) + '*2\r\n$6\r\nSELECT\r\n$1\r\n0\r\nPING\r\n');
    // Replies pile up (the shared upstream stops reading at the client's high-water mark); then the client
    // reads slowly, so the pin comes while replies are still waiting in the proxy's socket buffer.
    let last = -1;
    let same = 0;
    await h.waitFor(
      () => {
        const v = dp.stats().bytesToClients;
        same = v > 0 && v === last ? same + 1 : 0;
        last = v;
        return same >= 3;
      },
      { name: 'replies stall on the paused client', timeoutMs: 4000, intervalMs: 40 },
    );
    let since = 0;
    c.on('data', (b: Buffer) => {
      since += b.length;
      if (since < 256 * 1024) return;
      since = 0;
      c.pause();
      setTimeout(() => c.resume(), 2);
    });
    c.resume();
    await h.waitFor(() => dp.stats().pinned === pinnedBefore + 1, { name: 'the client was pinned', timeoutMs: 10_000 });
    await h.waitFor(() => got >= want.length || closed, { name: 'every reply read', timeoutMs: 15_000 });
    const text = Buffer.concat(chunks).toString('latin1');
    assert.equal(text.length, want.length, 'exactly the replies asked for');
    assert.ok(text === want, 'every reply complete and in order');
    c.destroy();
  });

  void test('proxy mux - a 16 MB SET arriving in 1 KB pieces pins the client instead of being buffered whole', async () => {
    const value = Buffer.alloc(16 * 1024 * 1024, 'q');
    const head = Buffer.from(`*3\r\n$3\r\nSET\r\n$6\r\nmux:16\r\n$${value.length}\r\n`);
    const req = Buffer.concat([head, value, Buffer.from('\r\n*2\r\n$6\r\nSTRLEN\r\n$6\r\nmux:16\r\n')]);
    const pinnedBefore = dp.stats().pinned;
    const c = connect({ host: '127.0.0.1', port });
    let text = '';
    c.on('data', (b: Buffer) => (text += b.toString('latin1')));
    c.on('error', () => undefined);
    await new Promise<void>((resolve) => c.once('connect', () => resolve()));
    for (let off = 0; off < req.length; off += 1024) {
      if (!c.write(req.subarray(off, off + 1024))) await new Promise<void>((r) => c.once('drain', () => r()));
    }
    await h.waitFor(() => text.length >= 5 + 11, { name: 'both replies', timeoutMs: 15_000 });
    assert.equal(text, `+OK\r\n:${value.length}\r\n`);
    assert.equal(dp.stats().pinned, pinnedBefore + 1, 'the big request moved the client to its own connection');
    c.destroy();
  });

  void test('proxy mux - inline commands and empty lines keep the reply count exact', async () => {
    const c = await RespClient.connect(port);
    const r = await c.raw('\r\nPING\r\n\r\n*0\r\nECHO abc\r\n', 2);
    assert.deepEqual(r, ['PONG', 'abc']);
    assert.equal(await c.call('PING'), 'PONG');
    c.close();
  });

  void test('proxy mux - malformed bytes only affect the client that sent them', async () => {
    const good = await RespClient.connect(port);
    assert.equal(await good.call('INCR', 'bad:n'), 1);
    const bad = connect({ host: '127.0.0.1', port });
    const text = await new Promise<string>((resolve, reject) => {
      let t = '';
      bad.on('data', (b) => (t += b.toString()));
      bad.on('close', () => resolve(t));
      bad.on('error', reject);
      bad.write('*1\r\n$3\r\nGET\r\n*2\r\n$3\r\nGET\r\n$abc\r\n');
    });
    assert.match(text, /-ERR Protocol error/);
    assert.equal(await good.call('INCR', 'bad:n'), 2);
    good.close();
  });
});

/** A RESP upstream for one request shape (PING, 14 bytes): replies with `reply` per request, or never. */
class FakeUpstream {
  readonly server: Server;
  received = 0;
  readonly sockets: Socket[] = [];
  port = 0;
  constructor(private readonly reply: Buffer | null) {
    this.server = createServer((s) => {
      this.sockets.push(s);
      s.on('error', () => undefined);
      let partial = 0;
      s.on('data', (b: Buffer) => {
        this.received += b.length;
        partial += b.length;
        for (; partial >= PING.length; partial -= PING.length) if (this.reply) s.write(this.reply);
      });
    });
  }
  async start(): Promise<this> {
    await new Promise<void>((r) => this.server.listen(0, '127.0.0.1', () => r()));
    this.port = (this.server.address() as AddressInfo).port;
    return this;
  }
  async close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((r) => this.server.close(() => r()));
  }
}
const PING = Buffer.from('*1\r\n$4\r\nPING\r\n');

/** Resolves once `value()` has not changed for `polls` polls in a row. */
async function untilSteady(value: () => number, name: string, polls = 4): Promise<number> {
  let last = -1;
  let same = 0;
  await waitFor(
    () => {
      const v = value();
      same = v === last ? same + 1 : 0;
      last = v;
      return same >= polls;
    },
    { name, timeoutMs: 4000, intervalMs: 40 },
  );
  return last;
}

void describe('proxy mux - bounded memory per client (fake upstream)', () => {
  const cleanups: Array<() => Promise<void> | void> = [];
  after(async () => {
    for (const c of cleanups.reverse()) await c();
  });
  async function plane(up: FakeUpstream): Promise<{ dp: DataPlane; port: number }> {
    const dp = new DataPlane({
      masterName: 'm',
      listen: { host: '127.0.0.1', port: 0 },
      maxHoldMs: 5000,
      connectTimeoutMs: 1000,
      redialDelayMs: 50,
      idleTimeoutMs: 0,
      keepAliveMs: 0,
      mux: true,
      pumpThreads: 2,
      onLog: () => undefined,
    });
    const { port } = await dp.listen();
    cleanups.push(() => dp.close());
    dp.setRoute({ host: '127.0.0.1', port: up.port });
    dp.setGate(true, 'test');
    return { dp, port };
  }

  void test('proxy mux - replies for a client that does not read stay in the upstream, not in the proxy', async () => {
    const reply = Buffer.concat([
      Buffer.from(`$${1024 * 1024}\r\n`),
      Buffer.alloc(1024 * 1024, 'r'),
      Buffer.from('\r\n'),
    ]);
    const up = await new FakeUpstream(reply).start();
    cleanups.push(() => up.close());
    const { port } = await plane(up);
    const n = 64;
    const c = connect({ host: '127.0.0.1', port });
    let got = 0;
    c.on('data', (b: Buffer) => (got += b.length));
    c.on('error', () => undefined);
    await new Promise<void>((resolve) => c.once('connect', () => resolve()));
    c.pause();
    c.write(Buffer.concat(Array.from({ length: n }, () => PING)));
    await waitFor(() => up.sockets.length === 1 && up.received === n * PING.length, {
      name: 'the upstream got every request',
      timeoutMs: 4000,
    });
    const upSock = up.sockets[0]!;
    const waiting = await untilSteady(() => upSock.writableLength, 'the upstream stops draining');
    // 64 MB of replies; the kernel buffers on the way hold some, the proxy at most ~1 MB more: the rest must still
    // wait at the upstream, i.e. the proxy stopped reading the shared connection.
    assert.ok(waiting > 24 * 1024 * 1024, `replies still waiting at the upstream: ${waiting} bytes`);
    c.resume();
    await waitFor(() => got === n * reply.length, { name: 'every reply after the client reads', timeoutMs: 15_000 });
    c.destroy();
  });

  void test('proxy mux - a client with 1 MB of unanswered requests is not read further', async () => {
    const up = await new FakeUpstream(null).start();
    cleanups.push(() => up.close());
    const { dp, port } = await plane(up);
    const c = connect({ host: '127.0.0.1', port });
    c.on('error', () => undefined);
    await new Promise<void>((resolve) => c.once('connect', () => resolve()));
    const many = Buffer.concat(Array.from({ length: 600_000 }, () => PING)); // 8.4 MB
    c.write(many);
    const took = await untilSteady(() => up.received, 'the upstream stops receiving requests');
    assert.ok(took > 0, 'requests were forwarded');
    assert.ok(took <= 1024 * 1024 + 128 * 1024, `request bytes forwarded without replies: ${took}`);
    assert.ok(
      dp.stats().bytesFromClients < 2 * 1024 * 1024,
      `bytes read from the client: ${dp.stats().bytesFromClients}`,
    );
    c.destroy();
  });
});
