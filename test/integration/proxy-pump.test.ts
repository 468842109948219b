// The native byte pump (native/pump.c) through its wrapper src/proxy/pump.ts, against plain loopback TCP servers
// (no Redis): forwarding and back-pressure, half-close, freeze, fence, abort, resets, counters, many sessions, and
// the VIGIL_PUMP=js switch. A "session" here is: a far client -> our front listener (paused accept) and our dial
// to a far upstream, both handed to the pump, whose two far ends the test then drives.
import { test, describe, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, connect, type Server, type Socket, type AddressInfo } from 'node:net';
import { createHash, randomBytes } from 'node:crypto';
import { spawn, type ChildProcess } from 'node:child_process';
import { pathToFileURL } from 'node:url';
import { join } from 'node:path';
import { createRequire } from 'node:module';
import { readdirSync } from 'node:fs';
import { Pump, pumpUnavailableReason, PUMP_PATH, type DialHandlers } from '../../src/proxy/pump.js';
import { constants } from 'node:os';
import { waitFor, REPO_ROOT, blackHole } from '../harness/index.js';

const HOST = '127.0.0.1';
const noop = (): void => undefined;

/** One far end of a session: records what it receives (hash always, bytes when `keep`), 'end' and 'close'. */
class Peer {
  readonly chunks: Buffer[] = [];
  bytes = 0;
  ended = false;
  closed = false;
  error: Error | null = null;
  private readonly hash = createHash('sha256');
  private readonly watchers = new Set<() => void>();

  constructor(
    readonly sock: Socket,
    private readonly keep = true,
  ) {
    sock.on('data', (b: Buffer) => {
      this.bytes += b.length;
      this.hash.update(b);
      if (this.keep) this.chunks.push(b);
      this.changed();
    });
    sock.on('end', () => {
      this.ended = true;
      this.changed();
    });
    sock.on('close', () => {
      this.closed = true;
      this.changed();
    });
    sock.on('error', (e) => {
      this.error = e;
      this.changed();
    });
  }

  private changed(): void {
    for (const w of [...this.watchers]) w();
  }

  buf(): Buffer {
    return Buffer.concat(this.chunks);
  }

  text(): string {
    return this.buf().toString('latin1');
  }

  digest(): string {
    return this.hash.copy().digest('hex');
  }

  /** Resolves once `cond` holds (checked now and on every event of this peer); rejects at the deadline. */
  until(cond: () => boolean, name: string, timeoutMs = 5000): Promise<void> {
    if (cond()) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      const w = (): void => {
        if (!cond()) return;
        this.watchers.delete(w);
        clearTimeout(timer);
        resolve();
      };
      const timer = setTimeout(() => {
        this.watchers.delete(w);
        reject(
          new Error(
            `timed out after ${timeoutMs} ms waiting for: ${name} (got ${this.bytes} bytes, ended=${this.ended}, closed=${this.closed})`,
          ),
        );
      }, timeoutMs);
      this.watchers.add(w);
    });
  }
}

/** Hands values over by key between an event handler and an awaiting opener, with a deadline. */
class Meet<T> {
  private readonly got = new Map<number, T>();
  private readonly waiting = new Map<number, (v: T) => void>();

  put(key: number, v: T): void {
    const w = this.waiting.get(key);
    if (w) {
      this.waiting.delete(key);
      w(v);
    } else {
      this.got.set(key, v);
    }
  }

  take(key: number, name: string, timeoutMs = 5000): Promise<T> {
    const v = this.got.get(key);
    if (v !== undefined) {
      this.got.delete(key);
      return Promise.resolve(v);
    }
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiting.delete(key);
        reject(new Error(`timed out after ${timeoutMs} ms waiting for: ${name}`));
      }, timeoutMs);
      this.waiting.set(key, (x) => {
        clearTimeout(timer);
        resolve(x);
      });
    });
  }
}

interface OpenOptions {
  /** Bytes "already read in JS", given to add(). */
  pre?: Buffer | null;
  frozen?: boolean;
  /** Bytes the far client writes (and the kernel accepts) before the handover. */
  early?: Buffer;
  /** The far client's allowHalfOpen (default true). */
  clientHalfOpen?: boolean;
  /** Keep received bytes (default true; the big transfer only hashes). */
  keep?: boolean;
}

class Session {
  id = 0;
  closedCalls = 0;
  /** Set once the upstream server accepted our dial (before open() returns). */
  upstream!: Peer;
  constructor(readonly client: Peer) {}
}

/** A front listener, an upstream server and a counter group; opens sessions handed to the pump. */
class Rig {
  readonly group: number;
  readonly sessions: Session[] = [];
  private readonly sockets: Socket[] = [];
  private readonly front: Server;
  private readonly up: Server;
  private frontPort = 0;
  private upPort = 0;
  private readonly accepted = new Meet<Socket>();
  private readonly upPeers = new Meet<Socket>();

  constructor(
    readonly pump: Pump,
    private readonly onUpstream: (s: Socket) => void = noop,
  ) {
    this.group = pump.newGroup();
    this.front = createServer({ pauseOnConnect: true, allowHalfOpen: true }, (s) => {
      this.sockets.push(s);
      s.on('error', noop);
      this.accepted.put(s.remotePort ?? -1, s);
    });
    this.up = createServer({ allowHalfOpen: true }, (s) => {
      this.sockets.push(s);
      s.on('error', noop);
      this.onUpstream(s);
      this.upPeers.put(s.remotePort ?? -1, s);
    });
  }

  async start(): Promise<this> {
    const listen = (srv: Server): Promise<number> =>
      new Promise((resolve, reject) => {
        srv.once('error', reject);
        srv.listen(0, HOST, () => resolve((srv.address() as AddressInfo).port));
      });
    this.frontPort = await listen(this.front);
    this.upPort = await listen(this.up);
    return this;
  }

  async open(opts: OpenOptions = {}): Promise<Session> {
    const keep = opts.keep ?? true;
    const client = connect({ host: HOST, port: this.frontPort, allowHalfOpen: opts.clientHalfOpen ?? true });
    this.sockets.push(client);
    const cp = new Peer(client, keep);
    await new Promise<void>((resolve, reject) => {
      client.once('connect', resolve);
      client.once('error', reject);
    });
    const early = opts.early;
    if (early) await new Promise<void>((resolve, reject) => client.write(early, (e) => (e ? reject(e) : resolve())));
    const acc = await this.accepted.take(client.localPort ?? -1, 'the front listener accepted the far client');
    const dial = connect({ host: HOST, port: this.upPort, allowHalfOpen: true });
    this.sockets.push(dial);
    dial.on('error', noop);
    const sess = new Session(cp);
    const { id, dialPort } = await new Promise<{ id: number; dialPort: number }>((resolve, reject) => {
      dial.once('error', reject);
      dial.once('connect', () => {
        const id = this.pump.add(this.group, acc, dial, opts.pre ?? null, opts.frozen ?? false, () => {
          sess.closedCalls++;
        });
        const dialPort = dial.localPort ?? -1;
        acc.destroy();
        dial.destroy();
        resolve({ id, dialPort });
      });
    });
    assert.ok(id > 0, 'pump.add handed the pair over');
    const upSock = await this.upPeers.take(dialPort, 'the upstream accepted our dial');
    sess.id = id;
    this.sessions.push(sess);
    sess.upstream = new Peer(upSock, keep);
    return sess;
  }

  /** Ends every session (abort), destroys every socket, closes both servers, and checks onClosed ran once each. */
  async close(): Promise<void> {
    for (const s of this.sessions) if (s.closedCalls === 0) this.pump.abort(s.id);
    for (const s of this.sockets) s.destroy();
    await Promise.all(
      [this.front, this.up].map(
        (srv) => new Promise<void>((resolve) => (srv.listening ? srv.close(() => resolve()) : resolve())),
      ),
    );
    await waitFor(() => this.sessions.every((s) => s.closedCalls > 0) && this.pump.stats(this.group).live === 0, {
      name: 'every pump session of the rig ended',
      timeoutMs: 3000,
    });
    for (const s of this.sessions) assert.equal(s.closedCalls, 1, `onClosed of session ${s.id} ran once`);
  }
}

/** Write `data` in chunks, honouring back-pressure; resolves when the last chunk was handed to the kernel. */
async function writeAll(sock: Socket, data: Buffer, chunk = 1 << 20): Promise<void> {
  for (let off = 0; off < data.length; off += chunk) {
    const part = data.subarray(off, Math.min(off + chunk, data.length));
    const last = off + chunk >= data.length;
    if (last) {
      await new Promise<void>((resolve, reject) => sock.write(part, (e) => (e ? reject(e) : resolve())));
    } else if (!sock.write(part)) {
      await new Promise<void>((resolve, reject) => {
        const onErr = (e: Error): void => {
          sock.off('drain', onDrain);
          reject(e);
        };
        const onDrain = (): void => {
          sock.off('error', onErr);
          resolve();
        };
        sock.once('drain', onDrain);
        sock.once('error', onErr);
      });
    }
  }
}

function written(sock: Socket, data: string | Buffer): Promise<void> {
  return new Promise<void>((resolve, reject) => sock.write(data, (e) => (e ? reject(e) : resolve())));
}

/** A reader that takes a short break after every `every` bytes (pause, then resume a few ms later). */
function slowReader(sock: Socket, every = 2 << 20): void {
  let since = 0;
  sock.on('data', (b: Buffer) => {
    since += b.length;
    if (since < every) return;
    since = 0;
    sock.pause();
    setTimeout(() => sock.resume(), 3);
  });
  sock.resume();
}

/** Waits until the group's byte counters stop moving (the pump is blocked on full buffers). */
async function untilStalled(pump: Pump, group: number, name: string): Promise<void> {
  let last = -1;
  let same = 0;
  await waitFor(
    () => {
      const st = pump.stats(group);
      const v = st.bytesFromClients + st.bytesToClients;
      if (v > 0 && v === last) same++;
      else same = 0;
      last = v;
      return same >= 4;
    },
    { name, timeoutMs: 8000, intervalMs: 40 },
  );
}

/**
 * A fence message (2 MB) bigger than the free space a stalled socket can have (the kernel reports a TCP socket
 * writable once a third of its 4 MB send buffer is free), so the pump has to keep part of it pending and flush
 * it as the client reads.
 */
const bigMsg = `-ERR ${randomBytes(1 << 20).toString('hex')}\r\n`;

const osErrno = constants.errno;

const sha = (b: Buffer): string => createHash('sha256').update(b).digest('hex');

const pump = Pump.get(2);
// Outside CI a missing addon skips (the proxy then forwards in JS, tested in proxy-dataplane); CI must test it.
const skip = pump ? false : `native pump unavailable: ${pumpUnavailableReason()}`;
if (skip && (process.env.CI === 'true' || process.env.VIGIL_REQUIRE_PUMP === '1')) throw new Error(skip);

void describe('proxy native pump', { skip }, () => {
  const rigs: Rig[] = [];
  const rig = async (onUpstream?: (s: Socket) => void): Promise<Rig> => {
    assert.ok(pump);
    const r = await new Rig(pump, onUpstream).start();
    rigs.push(r);
    return r;
  };
  afterEach(async () => {
    const all = rigs.splice(0);
    for (const r of all) await r.close();
  });

  void test(
    'proxy pump - bytes flow both ways; 32 MB each way with slow far readers arrive intact',
    { timeout: 25_000 },
    async () => {
      assert.ok(pump);
      const r = await rig();
      const s = await r.open({ keep: false });
      s.client.sock.write('ping');
      await s.upstream.until(() => s.upstream.bytes === 4, 'upstream got ping');
      s.upstream.sock.write('pong!');
      await s.client.until(() => s.client.bytes === 5, 'client got pong!');

      const total = 32 * 1024 * 1024;
      const toUp = randomBytes(total);
      const toClient = randomBytes(total);
      const base = pump.stats(r.group);
      // Both far readers start paused: the pump must stop reading once buffers are full, not queue 32 MB.
      s.client.sock.pause();
      s.upstream.sock.pause();
      const w1 = writeAll(s.client.sock, toUp);
      const w2 = writeAll(s.upstream.sock, toClient);
      await untilStalled(pump, r.group, 'the pump stalls while both far readers are paused');
      const stalled = pump.stats(r.group);
      assert.ok(
        stalled.bytesFromClients - base.bytesFromClients < total / 2,
        `the pump read only what fits in buffers from the client (${stalled.bytesFromClients - base.bytesFromClients})`,
      );
      assert.ok(
        stalled.bytesToClients - base.bytesToClients < total / 2,
        `the pump read only what fits in buffers from the upstream (${stalled.bytesToClients - base.bytesToClients})`,
      );
      slowReader(s.client.sock);
      slowReader(s.upstream.sock);
      await Promise.all([w1, w2]);
      await s.upstream.until(() => s.upstream.bytes === 4 + total, 'upstream got all 32 MB', 20_000);
      await s.client.until(() => s.client.bytes === 5 + total, 'client got all 32 MB', 20_000);
      assert.equal(s.upstream.digest(), sha(Buffer.concat([Buffer.from('ping'), toUp])));
      assert.equal(s.client.digest(), sha(Buffer.concat([Buffer.from('pong!'), toClient])));
      const st = pump.stats(r.group);
      assert.equal(st.bytesFromClients - base.bytesFromClients, total);
      assert.equal(st.bytesToClients - base.bytesToClients, total);
      s.client.sock.end();
      s.upstream.sock.end();
      await waitFor(() => s.closedCalls === 1, { name: 'onClosed after both ends', timeoutMs: 3000 });
    },
  );

  void test(
    'proxy pump - half-close passes on each direction separately; onClosed once',
    { timeout: 10_000 },
    async () => {
      const r = await rig();
      const s = await r.open();
      s.client.sock.write('req');
      s.client.sock.end();
      await s.upstream.until(() => s.upstream.ended, 'upstream sees end after the client end()');
      assert.equal(s.upstream.text(), 'req');
      assert.equal(s.client.ended, false);
      s.upstream.sock.write('late reply');
      await s.client.until(() => s.client.text() === 'late reply', 'the half-closed client still gets replies');
      assert.equal(s.client.ended, false);
      assert.equal(s.closedCalls, 0, 'session lives while one direction is open');
      s.upstream.sock.end('bye');
      await s.client.until(() => s.client.ended, 'client sees end after the upstream end()');
      assert.equal(s.client.text(), 'late replybye');
      await waitFor(() => s.closedCalls === 1, { name: 'onClosed after both directions ended', timeoutMs: 3000 });
      await s.client.until(() => s.client.closed, 'client socket closed');
      await s.upstream.until(() => s.upstream.closed, 'upstream socket closed');
    },
  );

  void test(
    'proxy pump - freeze holds client bytes (upstream bytes still flow); unfreeze delivers them in order',
    { timeout: 10_000 },
    async () => {
      assert.ok(pump);
      const r = await rig();
      const s = await r.open();
      s.client.sock.write('a');
      await s.upstream.until(() => s.upstream.text() === 'a', 'upstream got a');
      pump.freeze(s.id, true);
      // A reply written after freeze() reaching the client means the pump thread has taken the freeze command.
      s.upstream.sock.write('u1');
      await s.client.until(() => s.client.text() === 'u1', 'client got u1 while frozen');
      const fromClients = pump.stats(r.group).bytesFromClients;
      const blob = randomBytes(512 * 1024);
      await written(s.client.sock, 'b1');
      await written(s.client.sock, 'b2');
      const w = writeAll(s.client.sock, blob, 64 * 1024);
      for (const k of [2, 3, 4]) {
        s.upstream.sock.write(`u${k}`);
        await s.client.until(() => s.client.text().endsWith(`u${k}`), `client got u${k} while frozen`);
      }
      assert.equal(s.upstream.text(), 'a', 'nothing the client sent while frozen reached the upstream');
      assert.equal(pump.stats(r.group).bytesFromClients, fromClients, 'the frozen client is not read');
      pump.freeze(s.id, false);
      await w;
      const want = Buffer.concat([Buffer.from('ab1b2'), blob]);
      await s.upstream.until(() => s.upstream.bytes === want.length, 'held bytes delivered after unfreeze');
      assert.ok(s.upstream.buf().equals(want), 'held bytes arrive complete and in order');
      s.client.sock.write('c');
      await s.upstream.until(() => s.upstream.bytes === want.length + 1, 'forwarding resumed');
      assert.equal(s.upstream.buf().subarray(-1).toString(), 'c');
      assert.equal(s.client.text(), 'u1u2u3u4');
    },
  );

  void test(
    'proxy pump - add(frozen) keeps pre (and early client bytes) back until unfreeze, pre first',
    { timeout: 10_000 },
    async () => {
      assert.ok(pump);
      const r = await rig();
      const s = await r.open({ pre: Buffer.from('PRE|'), frozen: true, early: Buffer.from('EARLY|') });
      await written(s.client.sock, 'x');
      for (const k of [1, 2, 3]) {
        s.upstream.sock.write(`hello${k}`);
        await s.client.until(() => s.client.text().endsWith(`hello${k}`), `client got hello${k} while frozen`);
      }
      assert.equal(s.upstream.text(), '', 'neither pre nor client bytes reach the upstream while frozen');
      pump.freeze(s.id, false);
      await s.upstream.until(() => s.upstream.text() === 'PRE|EARLY|x', 'pre, then the early bytes, then later bytes');

      // Not frozen: pre goes out at once.
      const t = await r.open({ pre: Buffer.from('PRE2'), frozen: false });
      await t.upstream.until(() => t.upstream.text() === 'PRE2', 'pre delivered immediately when not frozen');
    },
  );

  void test(
    'proxy pump - fence closes the upstream at once; client gets bytes in flight, msg, then EOF',
    { timeout: 10_000 },
    async () => {
      assert.ok(pump);
      const r = await rig();
      const s = await r.open();
      s.upstream.sock.write('partial');
      await s.client.until(() => s.client.text() === 'partial', 'client got partial');
      pump.fence(s.id, '-ERR fenced\r\n');
      await s.upstream.until(() => s.upstream.ended || s.upstream.closed, 'the upstream socket is closed at once');
      await s.client.until(() => s.client.ended, 'client sees EOF after the fence');
      assert.equal(s.client.text(), 'partial-ERR fenced\r\n');
      s.client.sock.end();
      await waitFor(() => s.closedCalls === 1, { name: 'onClosed after the fence', timeoutMs: 3000 });

      // Many bytes in flight: the client is not reading, the pump holds part of the upstream's data.
      const data = randomBytes(8 * 1024 * 1024);
      const t = await r.open();
      t.client.sock.pause();
      const base = pump.stats(r.group).bytesToClients;
      void writeAll(t.upstream.sock, data).catch(noop);
      await untilStalled(pump, r.group, 'the pump stalls on the paused client');
      const inFlight = pump.stats(r.group).bytesToClients - base;
      assert.ok(inFlight > 0 && inFlight < data.length, `part of the data is in flight (${inFlight})`);
      pump.fence(t.id, bigMsg);
      await t.upstream.until(() => t.upstream.closed, 'the upstream socket is closed at once');
      t.client.sock.resume();
      await t.client.until(() => t.client.ended, 'client sees EOF after the fence');
      const want = Buffer.concat([data.subarray(0, inFlight), Buffer.from(bigMsg)]);
      assert.equal(t.client.bytes, want.length, 'client got exactly what the pump had read, plus msg');
      assert.ok(t.client.buf().equals(want), 'in-flight bytes arrive intact, then msg');
      t.client.sock.end();
      await waitFor(() => t.closedCalls === 1, { name: 'onClosed after the second fence', timeoutMs: 3000 });

      // fence with msg null: only EOF.
      const u = await r.open();
      u.client.sock.write('q');
      await u.upstream.until(() => u.upstream.text() === 'q', 'upstream got q');
      pump.fence(u.id, null);
      await u.client.until(() => u.client.ended, 'client sees EOF after a fence without msg');
      assert.equal(u.client.text(), '');
      u.client.sock.end();
      await waitFor(() => u.closedCalls === 1, { name: 'onClosed after the third fence', timeoutMs: 3000 });
    },
  );

  void test(
    'proxy pump - fence on a half-closed slow client still delivers the bytes in flight and msg',
    { timeout: 10_000 },
    async () => {
      assert.ok(pump);
      const r = await rig();
      const data = randomBytes(8 * 1024 * 1024);
      const t = await r.open();
      t.client.sock.pause();
      t.client.sock.end('last command'); // the client is done sending, still reading its replies
      await t.upstream.until(() => t.upstream.ended, 'upstream sees the client half-close');
      const base = pump.stats(r.group).bytesToClients;
      void writeAll(t.upstream.sock, data).catch(noop);
      await untilStalled(pump, r.group, 'the pump stalls on the paused client');
      const inFlight = pump.stats(r.group).bytesToClients - base;
      pump.fence(t.id, bigMsg);
      // The upstream already saw the client's EOF and is not reading: it learns of the close only by writing, and
      // the fence runs on the pump's thread a moment later, so probe with a write per poll until the close shows.
      await waitFor(
        () => {
          if (!t.upstream.closed && !t.upstream.sock.destroyed) t.upstream.sock.write('after the fence');
          return t.upstream.closed;
        },
        { name: 'the upstream socket was closed by the fence', timeoutMs: 5000, intervalMs: 20 },
      );
      t.client.sock.resume();
      await t.client.until(() => t.client.ended || t.client.closed, 'client sees EOF after the fence');
      const want = Buffer.concat([data.subarray(0, inFlight), Buffer.from(bigMsg)]);
      assert.equal(t.client.error, null, 'no reset');
      assert.equal(t.client.bytes, want.length, 'client got exactly what the pump had read, plus msg');
      assert.ok(t.client.buf().equals(want));
      await waitFor(() => t.closedCalls === 1, { name: 'onClosed after the fence', timeoutMs: 3000 });
    },
  );

  void test(
    'proxy pump - an upstream that hangs up while the pump is back-pressured is drained to EOF, nothing dropped',
    { timeout: 15_000 },
    async () => {
      assert.ok(pump);
      const r = await rig();
      // The client sends its request and half-closes (the pump then shuts the upstream's write side), and stops
      // reading. The upstream answers with more than the client's socket buffers take, then closes: its FIN
      // reaches the pump while the pump is not reading it (back-pressure), so the pump sees EPOLLHUP with bytes
      // still pending and in the kernel queue. All of them must reach the client, then EOF.
      // 8 MB: more than the client's socket buffers and the pump's take, less than that plus the pump's kernel
      // receive queue, so the upstream's FIN does arrive while the pump is stalled (loopback, default buffer sizes).
      const data = randomBytes(8 * 1024 * 1024);
      const t = await r.open();
      t.client.sock.pause();
      t.client.sock.end('GET big');
      await t.upstream.until(() => t.upstream.ended, 'upstream sees the client half-close');
      // On a host with smaller socket buffers the FIN cannot get through before the client reads; the test then
      // still checks delivery, without the hang-up in the middle.
      const w = writeAll(t.upstream.sock, data).then(() => t.upstream.sock.end());
      await untilStalled(pump, r.group, 'the pump stalls on the paused client');
      const inFlight = pump.stats(r.group).bytesToClients;
      t.client.sock.resume();
      await w;
      await t.client.until(() => t.client.ended || t.client.closed, 'client sees EOF', 10_000);
      assert.equal(t.client.error, null, 'no reset');
      assert.equal(t.client.bytes, data.length, `client got every byte (the pump had read ${inFlight} when stalled)`);
      assert.ok(t.client.buf().equals(data), 'bytes intact');
      assert.equal(t.upstream.text(), 'GET big');
      await waitFor(() => t.closedCalls === 1, { name: 'onClosed after both directions ended', timeoutMs: 3000 });
    },
  );

  void test('proxy pump - abort closes both sides; onClosed once', { timeout: 10_000 }, async () => {
    assert.ok(pump);
    const r = await rig();
    const s = await r.open();
    s.client.sock.write('x');
    await s.upstream.until(() => s.upstream.text() === 'x', 'upstream got x');
    s.upstream.sock.write('y');
    await s.client.until(() => s.client.text() === 'y', 'client got y');
    pump.abort(s.id);
    await s.upstream.until(() => s.upstream.closed || s.upstream.ended, 'upstream side closed by abort');
    await s.client.until(() => s.client.closed || s.client.ended, 'client side closed by abort');
    await waitFor(() => s.closedCalls === 1, { name: 'onClosed after abort', timeoutMs: 3000 });
    assert.equal(pump.stats(r.group).live, 0);
  });

  void test(
    'proxy pump - a client reset closes the upstream side; an upstream close closes the client',
    { timeout: 10_000 },
    async () => {
      const r = await rig();
      const s = await r.open({ clientHalfOpen: false });
      s.client.sock.write('hi');
      await s.upstream.until(() => s.upstream.text() === 'hi', 'upstream got hi');
      s.client.sock.resetAndDestroy();
      await s.upstream.until(
        () => s.upstream.closed || s.upstream.ended,
        'upstream side closed after the client reset',
      );
      await waitFor(() => s.closedCalls === 1, { name: 'onClosed after the client reset', timeoutMs: 3000 });

      const t = await r.open({ clientHalfOpen: false });
      t.upstream.sock.write('hello');
      await t.client.until(() => t.client.text() === 'hello', 'client got hello');
      t.upstream.sock.destroy();
      await t.client.until(() => t.client.closed, 'client closed after the upstream was destroyed');
      await waitFor(() => t.closedCalls === 1, { name: 'onClosed after the upstream close', timeoutMs: 3000 });

      const u = await r.open({ clientHalfOpen: false });
      u.client.sock.write('z');
      await u.upstream.until(() => u.upstream.text() === 'z', 'upstream got z');
      u.upstream.sock.resetAndDestroy();
      await u.client.until(() => u.client.closed, 'client closed after the upstream reset');
      await waitFor(() => u.closedCalls === 1, { name: 'onClosed after the upstream reset', timeoutMs: 3000 });
    },
  );

  void test(
    'proxy pump - a frozen session whose client resets ends without waiting for unfreeze',
    { timeout: 10_000 },
    async () => {
      assert.ok(pump);
      const r = await rig();
      const s = await r.open({ frozen: true });
      s.upstream.sock.write('held reply');
      await s.client.until(() => s.client.text() === 'held reply', 'client got a reply while frozen');
      s.client.sock.resetAndDestroy();
      await waitFor(() => s.closedCalls === 1, {
        name: 'onClosed after the frozen client reset',
        timeoutMs: 3000,
        context: () => `live=${pump.stats(r.group).live} upstream closed=${s.upstream.closed}`,
      });
      await s.upstream.until(() => s.upstream.closed || s.upstream.ended, 'upstream side closed');
    },
  );

  void test(
    'proxy pump - stats count exactly the bytes of a group; live goes up and back to 0',
    { timeout: 10_000 },
    async () => {
      assert.ok(pump);
      const r = await rig();
      const other = pump.newGroup();
      assert.deepEqual(pump.stats(r.group), { bytesFromClients: 0, bytesToClients: 0, live: 0 });
      const a = await r.open();
      const b = await r.open();
      await waitFor(() => pump.stats(r.group).live === 2, { name: 'live = 2', timeoutMs: 3000 });
      const up = [randomBytes(12_345), randomBytes(777), randomBytes(100_000)];
      const down = [randomBytes(54_321), randomBytes(1), randomBytes(300_000)];
      for (const c of up) a.client.sock.write(c);
      b.client.sock.write(up[0]!);
      for (const c of down) a.upstream.sock.write(c);
      b.upstream.sock.write(down[2]!);
      const sum = (xs: Buffer[]): number => xs.reduce((n, x) => n + x.length, 0);
      await a.upstream.until(() => a.upstream.bytes === sum(up), 'a upstream got all');
      await a.client.until(() => a.client.bytes === sum(down), 'a client got all');
      await b.upstream.until(() => b.upstream.bytes === up[0]!.length, 'b upstream got all');
      await b.client.until(() => b.client.bytes === down[2]!.length, 'b client got all');
      const st = pump.stats(r.group);
      assert.equal(st.bytesFromClients, sum(up) + up[0]!.length);
      assert.equal(st.bytesToClients, sum(down) + down[2]!.length);
      assert.equal(st.live, 2);
      assert.deepEqual(pump.stats(other), { bytesFromClients: 0, bytesToClients: 0, live: 0 }, 'groups are apart');
      a.client.sock.end();
      a.upstream.sock.end();
      await waitFor(() => pump.stats(r.group).live === 1, { name: 'live = 1', timeoutMs: 3000 });
      b.client.sock.destroy();
      b.upstream.sock.destroy();
      await waitFor(() => pump.stats(r.group).live === 0, { name: 'live = 0', timeoutMs: 3000 });
      await waitFor(() => a.closedCalls === 1 && b.closedCalls === 1, { name: 'both onClosed', timeoutMs: 3000 });
      const end = pump.stats(r.group);
      assert.equal(end.bytesFromClients, sum(up) + up[0]!.length, 'counters keep their totals');
      assert.equal(end.bytesToClients, sum(down) + down[2]!.length);
    },
  );

  void test(
    'proxy pump - 200 concurrent echo sessions all complete; live returns to 0',
    { timeout: 20_000 },
    async () => {
      assert.ok(pump);
      const r = await rig((s) => {
        s.on('data', (b: Buffer) => s.write(b));
        s.on('end', () => s.end());
      });
      const n = 200;
      const sessions = await Promise.all(Array.from({ length: n }, () => r.open({ clientHalfOpen: false })));
      await waitFor(() => pump.stats(r.group).live === n, { name: `live = ${n}`, timeoutMs: 5000 });
      let sent = 0;
      await Promise.all(
        sessions.map(async (s) => {
          const parts = Array.from({ length: 1 + Math.floor(Math.random() * 4) }, () =>
            randomBytes(1 + Math.floor(Math.random() * 3000)),
          );
          let want = Buffer.alloc(0);
          for (const p of parts) {
            want = Buffer.concat([want, p]);
            sent += p.length;
            s.client.sock.write(p);
            const len = want.length;
            await s.client.until(() => s.client.bytes >= len, 'echo of one part', 10_000);
          }
          assert.ok(s.client.buf().equals(want), 'echo intact');
          s.client.sock.end();
          await s.client.until(() => s.client.closed, 'client closed after end', 10_000);
        }),
      );
      await waitFor(() => pump.stats(r.group).live === 0 && sessions.every((s) => s.closedCalls === 1), {
        name: 'every session ended',
        timeoutMs: 5000,
      });
      const st = pump.stats(r.group);
      assert.equal(st.bytesFromClients, sent);
      assert.equal(st.bytesToClients, sent);
    },
  );

  void test('proxy pump - freeze/fence/abort on a closed id are harmless no-ops', { timeout: 10_000 }, async () => {
    assert.ok(pump);
    const r = await rig();
    const live = await r.open();
    const gone = await r.open();
    pump.abort(gone.id);
    await waitFor(() => gone.closedCalls === 1, { name: 'onClosed of the aborted session', timeoutMs: 3000 });
    pump.freeze(gone.id, true);
    pump.freeze(gone.id, false);
    pump.fence(gone.id, 'late');
    pump.fence(gone.id, null);
    pump.abort(gone.id);
    for (const id of [0, 0xfffffff0, live.id + 1_000_000]) {
      pump.freeze(id, true);
      pump.fence(id, 'x');
      pump.abort(id);
    }
    // Commands racing the end of a session (closed by the client, onClosed not yet delivered).
    const racing = await r.open({ clientHalfOpen: false });
    racing.client.sock.resetAndDestroy();
    pump.freeze(racing.id, true);
    pump.fence(racing.id, 'x');
    pump.abort(racing.id);
    await waitFor(() => racing.closedCalls === 1, { name: 'onClosed of the racing session', timeoutMs: 3000 });
    // The live session is untouched.
    live.client.sock.write('still');
    await live.upstream.until(() => live.upstream.text() === 'still', 'live session forwards to upstream');
    live.upstream.sock.write('here');
    await live.client.until(() => live.client.text() === 'here', 'live session forwards to client');
    assert.equal(live.closedCalls, 0);
    assert.equal(gone.closedCalls, 1);
    assert.equal(pump.stats(r.group).live, 1);
  });
});

void describe('proxy native pump - thread exit and destroy', { skip }, () => {
  const openFds = (): number => readdirSync('/proc/self/fd').length;

  void test(
    'proxy pump - a thread that exits ends its sessions (onClosed once each) and takes no new ones',
    { timeout: 10_000 },
    async () => {
      const own = Pump.create(2);
      assert.ok(own);
      const r = await new Rig(own).start();
      try {
        const a = await r.open();
        const b = await r.open(); // the other thread
        a.client.sock.write('x');
        await a.upstream.until(() => a.upstream.text() === 'x', 'a forwards');
        own.failThreadForTest(0);
        await waitFor(() => own.runningThreads === 1, { name: 'the exit is reported', timeoutMs: 3000 });
        const [dead, alive] = a.closedCalls === 1 ? [a, b] : [b, a];
        await waitFor(() => dead.closedCalls === 1, { name: 'onClosed for the dead thread', timeoutMs: 3000 });
        await dead.client.until(() => dead.client.closed || dead.client.ended, 'its client side closed');
        await dead.upstream.until(() => dead.upstream.closed || dead.upstream.ended, 'its upstream side closed');
        assert.equal(alive.closedCalls, 0, 'the other thread is untouched');
        alive.client.sock.write('still');
        await alive.upstream.until(() => alive.upstream.text().endsWith('still'), 'the other thread forwards');
        const c = await r.open(); // goes to the running thread
        c.client.sock.write('new');
        await c.upstream.until(() => c.upstream.text() === 'new', 'a new session on the running thread');
      } finally {
        await r.close();
        own.destroy();
      }
    },
  );

  void test(
    'proxy pump - the addon refuses adds after its thread exited, without leaking descriptors',
    { timeout: 10_000 },
    async () => {
      const b = createRequire(import.meta.url)(PUMP_PATH) as {
        create(cb: (id: number) => void): unknown;
        add(h: unknown, id: number, a: number, b: number, pre: null, f: boolean, g: number, i: number): void;
        failForTest(h: unknown): void;
        destroy(h: unknown): void;
      };
      const ids: number[] = [];
      const h = b.create((id) => ids.push(id));
      b.failForTest(h);
      await waitFor(() => ids.includes(0), { name: 'onClosed(0): the thread exited', timeoutMs: 3000 });
      const before = openFds();
      assert.throws(() => b.add(h, 7, 0, 1, null, false, 0, 0), /not running/);
      assert.equal(openFds(), before, 'the duplicated descriptors were closed');
      b.destroy(h);
      assert.throws(() => b.add(h, 8, 0, 1, null, false, 0, 0), /not running/);
    },
  );

  void test(
    'proxy pump - destroy ends live sessions and calls onClosed once for each',
    { timeout: 10_000 },
    async () => {
      const own = Pump.create(2);
      assert.ok(own);
      const r = await new Rig(own).start();
      const ss = [await r.open(), await r.open(), await r.open()];
      own.destroy();
      for (const s of ss) assert.equal(s.closedCalls, 1, 'onClosed ran during destroy');
      for (const s of ss) await s.client.until(() => s.client.closed || s.client.ended, 'client side closed');
      await r.close();
      for (const s of ss) assert.equal(s.closedCalls, 1, 'and not again');
    },
  );
});

/** A loopback port nothing listens on (bound, then closed). */
async function closedPort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, HOST, () => r()));
  const port = (srv.address() as AddressInfo).port;
  await new Promise<void>((r) => srv.close(() => r()));
  return port;
}

void describe('proxy native pump - dial (the pump connects the upstream itself)', { skip }, () => {
  const openFds = (): number => readdirSync('/proc/self/fd').length;
  const children: ChildProcess[] = [];
  const servers: Server[] = [];
  const sockets: Socket[] = [];
  afterEach(async () => {
    for (const c of children.splice(0)) if (c.exitCode === null && c.signalCode === null && c.pid) c.kill('SIGKILL');
    for (const s of sockets.splice(0)) s.destroy();
    for (const srv of servers.splice(0)) await new Promise<void>((r) => srv.close(() => r()));
  });

  /** A listening server on loopback (closed after the test). */
  async function listen(srv: Server): Promise<number> {
    servers.push(srv);
    await new Promise<void>((r) => srv.listen(0, HOST, () => r()));
    return (srv.address() as AddressInfo).port;
  }

  /** A far client connected to a paused front listener, and the accepted socket (the proxy's client side). */
  async function pair(): Promise<{ far: Peer; acc: Socket }> {
    const accepted = new Meet<Socket>();
    const front = createServer({ pauseOnConnect: true, allowHalfOpen: true }, (s) => {
      sockets.push(s);
      s.on('error', noop);
      accepted.put(s.remotePort ?? -1, s);
    });
    const port = await listen(front);
    const far = connect({ host: HOST, port, allowHalfOpen: true });
    sockets.push(far);
    const peer = new Peer(far);
    await new Promise<void>((resolve, reject) => {
      far.once('connect', resolve);
      far.once('error', reject);
    });
    return { far: peer, acc: await accepted.take(far.localPort ?? -1, 'front accepted the far client') };
  }

  /** Records what a dial reports. */
  function recorder(): { connected: number; failed: number[]; closed: number; handlers: DialHandlers } {
    const r = {
      connected: 0,
      failed: [] as number[],
      closed: 0,
      handlers: {
        onConnected: () => void r.connected++,
        onFailed: (e: number) => void r.failed.push(e),
        onClosed: () => void r.closed++,
      },
    };
    return r;
  }

  void test('proxy pump - dial: connects, forwards both ways, then onClosed once', { timeout: 10_000 }, async () => {
    assert.ok(pump);
    const ups = new Meet<Peer>();
    const upPort = await listen(
      createServer({ allowHalfOpen: true }, (s) => {
        sockets.push(s);
        s.on('error', noop);
        ups.put(0, new Peer(s));
      }),
    );
    const group = pump.newGroup();
    const { far, acc } = await pair();
    far.sock.write('early'); // before the dial: waits in the kernel until the pump reads the client
    const r = recorder();
    const id = pump.dial(group, acc, HOST, upPort, null, false, 2000, 30_000, 0, r.handlers);
    assert.ok(id > 0, 'the pump took the dial');
    await waitFor(() => r.connected === 1, { name: 'onConnected', timeoutMs: 3000 });
    acc.destroy(); // as the data plane does: the pump owns its own copy
    const up = await ups.take(0, 'the upstream accepted the pump');
    await up.until(() => up.text() === 'early', 'client bytes reach the upstream');
    up.sock.write('reply');
    await far.until(() => far.text() === 'reply', 'upstream bytes reach the client');
    far.sock.end();
    await up.until(() => up.ended, 'the half-close is passed on');
    up.sock.end();
    await waitFor(() => r.closed === 1, { name: 'onClosed', timeoutMs: 3000 });
    assert.deepEqual(r.failed, []);
    assert.equal(r.connected, 1);
    assert.equal(pump.stats(group).bytesFromClients, 5);
    assert.equal(pump.stats(group).bytesToClients, 5);
  });

  void test('proxy pump - dial: a cancel that comes after the connect is a fence', { timeout: 10_000 }, async () => {
    assert.ok(pump);
    const ups = new Meet<Peer>();
    const upPort = await listen(
      createServer({ allowHalfOpen: true }, (s) => {
        sockets.push(s);
        s.on('error', noop);
        ups.put(0, new Peer(s));
      }),
    );
    const { far, acc } = await pair();
    const r = recorder();
    const id = pump.dial(pump.newGroup(), acc, HOST, upPort, null, false, 2000, 0, 0, r.handlers);
    await waitFor(() => r.connected === 1, { name: 'onConnected', timeoutMs: 3000 });
    acc.destroy();
    const up = await ups.take(0, 'the upstream accepted the pump');
    up.sock.write('owed');
    await far.until(() => far.text() === 'owed', 'the reply reaches the client');
    pump.cancel(id, '-ERR moved\r\n');
    await far.until(() => far.ended, 'the client gets FIN');
    assert.equal(far.text(), 'owed-ERR moved\r\n');
    await up.until(() => up.ended || up.closed, 'the upstream is closed');
    far.sock.end();
    await waitFor(() => r.closed === 1, { name: 'onClosed', timeoutMs: 3000 });
    assert.deepEqual(r.failed, [], 'no failure after a connect');
  });

  void test(
    'proxy pump - dial: refused reports ECONNREFUSED once, leaves the client alone, leaks nothing',
    { timeout: 10_000 },
    async () => {
      assert.ok(pump);
      const port = await closedPort();
      const group = pump.newGroup();
      const { far, acc } = await pair();
      const before = openFds();
      const r = recorder();
      const id = pump.dial(group, acc, HOST, port, null, false, 2000, 0, 0, r.handlers);
      assert.ok(id > 0);
      await waitFor(() => r.failed.length === 1, { name: 'onFailed', timeoutMs: 3000 });
      assert.deepEqual(r.failed, [osErrno.ECONNREFUSED]);
      assert.equal(r.connected, 0);
      await waitFor(() => openFds() === before, { name: 'the pump closed its descriptors', timeoutMs: 2000 });
      assert.equal(pump.stats(group).live, 0);
      // The client is the caller's again, open both ways (the pump's copy went without a FIN).
      acc.write('from-js');
      await far.until(() => far.text() === 'from-js', 'the caller still writes to its client');
      assert.equal(far.ended || far.closed, false);
      // Aborting an id that already failed is a no-op, and no other notification follows.
      pump.abort(id);
      await closedPort(); // one more event-loop round trip
      assert.equal(r.closed, 0);
      assert.equal(r.failed.length, 1);
    },
  );

  void test(
    'proxy pump - dial: a black-holed connect times out (ETIMEDOUT); cancel fails a pending one (ECANCELED)',
    { timeout: 15_000 },
    async () => {
      assert.ok(pump);
      const { port: hole, child } = await blackHole();
      children.push(child);
      const group = pump.newGroup();
      const a = await pair();
      const b = await pair();
      const before = openFds();
      const ra = recorder();
      const rb = recorder();
      const started = Date.now();
      assert.ok(pump.dial(group, a.acc, HOST, hole, null, false, 300, 0, 0, ra.handlers) > 0);
      const idB = pump.dial(group, b.acc, HOST, hole, null, false, 10_000, 0, 0, rb.handlers);
      assert.ok(idB > 0);
      await waitFor(() => ra.failed.length === 1, { name: 'the 300 ms dial timed out', timeoutMs: 3000 });
      const took = Date.now() - started;
      assert.deepEqual(ra.failed, [osErrno.ETIMEDOUT]);
      assert.ok(took >= 280 && took < 2000, `timed out after ${took} ms`);
      assert.equal(rb.failed.length, 0, 'the 10 s dial is still pending');
      assert.equal(pump.stats(group).live, 1);
      pump.cancel(idB, null);
      await waitFor(() => rb.failed.length === 1, { name: 'the cancelled dial failed', timeoutMs: 3000 });
      assert.deepEqual(rb.failed, [osErrno.ECANCELED]);
      for (const r of [ra, rb]) assert.equal(r.connected + r.closed, 0, 'nothing but the failure was reported');
      await waitFor(() => openFds() === before, { name: 'the pump closed its descriptors', timeoutMs: 2000 });
      // Both clients are untouched.
      for (const { far, acc } of [a, b]) {
        acc.write('ok');
        await far.until(() => far.text() === 'ok', 'client still usable');
      }
    },
  );

  void test(
    'proxy pump - dial: a name instead of an address is refused at once, without leaking descriptors',
    { timeout: 10_000 },
    async () => {
      assert.ok(pump);
      const { acc } = await pair();
      const before = openFds();
      const r = recorder();
      assert.equal(pump.dial(pump.newGroup(), acc, 'localhost', 6379, null, false, 1000, 0, 0, r.handlers), 0);
      assert.equal(pump.dial(pump.newGroup(), acc, HOST, 6379, '::1', false, 1000, 0, 0, r.handlers), 0);
      assert.equal(openFds(), before);
    },
  );
});

void describe('proxy native pump - switch', () => {
  const children: ChildProcess[] = [];
  afterEach(() => {
    for (const c of children.splice(0)) if (c.exitCode === null && c.signalCode === null && c.pid) c.kill('SIGKILL');
  });

  void test(
    'proxy pump - VIGIL_PUMP=js: Pump.get returns null and the reason names VIGIL_PUMP',
    { timeout: 20_000 },
    async () => {
      const mod = pathToFileURL(join(REPO_ROOT, 'src', 'proxy', 'pump.ts')).href;
      const script = [
        `const m = await import(${JSON.stringify(mod)});`,
        `const p = m.Pump.get(2);`,
        `console.log(JSON.stringify({ isNull: p === null, reason: m.pumpUnavailableReason() }));`,
      ].join('\n');
      const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
        cwd: REPO_ROOT,
        env: { ...process.env, VIGIL_PUMP: 'js' },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      children.push(child);
      let out = '';
      let err = '';
      child.stdout.on('data', (b: Buffer) => (out += b.toString()));
      child.stderr.on('data', (b: Buffer) => (err += b.toString()));
      let code: number | null = null;
      child.on('exit', (c) => (code = c ?? -1));
      await waitFor(() => code !== null, { name: 'child exits', timeoutMs: 15_000, context: () => err });
      assert.equal(code, 0, err);
      const res = JSON.parse(out.trim()) as { isNull: boolean; reason: string };
      assert.equal(res.isNull, true);
      assert.match(res.reason, /VIGIL_PUMP/);
    },
  );
});
