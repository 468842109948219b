// Integration tests of the inbound RESP server over real loopback sockets, in-process, with a fake SentinelHost.
// Raw bytes in, raw bytes out. Expected bytes marked "measured" were recorded from redis-sentinel 7.0.15 with the
// command named next to them.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { connect, type Socket } from 'node:net';
import { waitFor } from '../harness/index.js';
import { startServer, type RunningServer, type ServerOptions } from '../../src/server/index.js';
import { FakeHost } from '../unit/server-helpers.js';

class Raw {
  buf = Buffer.alloc(0);
  closed = false;
  private constructor(readonly sock: Socket) {
    sock.on('data', (d: Buffer) => {
      this.buf = Buffer.concat([this.buf, d]);
    });
    sock.on('close', () => {
      this.closed = true;
    });
    sock.on('error', () => {});
  }
  static async open(port: number): Promise<Raw> {
    const sock = connect(port, '127.0.0.1');
    const r = new Raw(sock);
    await new Promise<void>((resolve, reject) => {
      sock.once('connect', resolve);
      sock.once('error', reject);
    });
    return r;
  }
  send(data: string | Buffer): void {
    this.sock.write(data);
  }
  /** Wait until at least `n` bytes arrived (or the peer closed), return them as latin1 and consume them. */
  async read(n: number, name = 'reply'): Promise<string> {
    await waitFor(() => this.buf.length >= n || this.closed, { name, timeoutMs: 5000, intervalMs: 5 });
    const out = this.buf.subarray(0, n).toString('latin1');
    this.buf = this.buf.subarray(Math.min(n, this.buf.length));
    return out;
  }
  /** Send and expect exactly `expected` back. */
  async roundtrip(data: string | Buffer, expected: string): Promise<void> {
    this.send(data);
    assert.equal(await this.read(Buffer.byteLength(expected, 'latin1'), JSON.stringify(expected)), expected);
  }
  async waitClosed(): Promise<void> {
    await waitFor(() => this.closed, { name: 'server closes the connection', timeoutMs: 5000, intervalMs: 5 });
  }
  close(): void {
    this.sock.destroy();
  }
}

const cmd = (...args: string[]): string =>
  `*${args.length}\r\n` + args.map((a) => `$${Buffer.byteLength(a)}\r\n${a}\r\n`).join('');

async function start(o: Partial<ServerOptions> = {}): Promise<{ srv: RunningServer; host: FakeHost }> {
  const host = new FakeHost();
  const srv = await startServer({ port: 0, bind: ['127.0.0.1'], ...o }, host);
  return { srv, host };
}

const HELLO3 = (id: number): string =>
  `%6\r\n$6\r\nserver\r\n$5\r\nredis\r\n$7\r\nversion\r\n$6\r\n7.0.15\r\n$5\r\nproto\r\n:3\r\n$2\r\nid\r\n:${id}\r\n$4\r\nmode\r\n$8\r\nsentinel\r\n$7\r\nmodules\r\n*0\r\n`;

void describe('server wire - protocol', () => {
  let srv: RunningServer;
  let host: FakeHost;
  const conns: Raw[] = [];
  before(async () => {
    ({ srv, host } = await start());
  });
  after(async () => {
    for (const c of conns) c.close();
    await srv.close();
  });
  const open = async (): Promise<Raw> => {
    const c = await Raw.open(srv.port);
    conns.push(c);
    return c;
  };

  void test('server wire - binds the requested address and reports the port', () => {
    assert.equal(srv.ports.length, 1);
    assert.equal(srv.ports[0]?.address, '127.0.0.1');
    assert.ok(srv.port > 0);
  });

  void test('server wire - HELLO 3 then RESP3 replies (measured: raw-resp3-sentinel.txt, ioredis6.txt)', async () => {
    const c = await open();
    c.send(cmd('HELLO', '3'));
    const reply = await c.read(HELLO3(1).length - 1);
    assert.match(
      reply + (await c.read(c.buf.length)),
      /^%6\r\n\$6\r\nserver\r\n\$5\r\nredis\r\n\$7\r\nversion\r\n\$6\r\n7\.0\.15\r\n\$5\r\nproto\r\n:3\r\n\$2\r\nid\r\n:\d+\r\n\$4\r\nmode\r\n\$8\r\nsentinel\r\n\$7\r\nmodules\r\n\*0\r\n$/,
    );
    // ioredis 6 handshake noise: both SETINFO rejected as 7.0 does, in order.
    await c.roundtrip(
      cmd('client', 'SETINFO', 'LIB-VER', '6.0.0') + cmd('client', 'SETINFO', 'LIB-NAME', 'ioredis'),
      "-ERR unknown subcommand 'SETINFO'. Try CLIENT HELP.\r\n-ERR unknown subcommand 'SETINFO'. Try CLIENT HELP.\r\n",
    );
    await c.roundtrip(cmd('sentinel', 'get-master-addr-by-name', 'nosuch'), '_\r\n');
    await c.roundtrip(
      cmd('sentinel', 'get-master-addr-by-name', 'mymaster'),
      '*2\r\n$9\r\n127.0.0.1\r\n$4\r\n6379\r\n',
    );
    await c.roundtrip(
      cmd('SENTINEL', 'MASTERS'),
      '*1\r\n%2\r\n$4\r\nname\r\n$8\r\nmymaster\r\n$4\r\nport\r\n$4\r\n6379\r\n',
    );
    c.send(cmd('INFO', 'sentinel'));
    assert.match(await c.read(5), /^\$\d+\r/, 'INFO is a bulk string in RESP3');
  });

  void test('server wire - RESP2 null array and flat maps', async () => {
    const c = await open();
    await c.roundtrip(cmd('sentinel', 'get-master-addr-by-name', 'nosuch'), '*-1\r\n');
    await c.roundtrip(
      cmd('SENTINEL', 'MASTERS'),
      '*1\r\n*4\r\n$4\r\nname\r\n$8\r\nmymaster\r\n$4\r\nport\r\n$4\r\n6379\r\n',
    );
  });

  void test('server wire - pipelined multibulk and inline commands answer in order (measured)', async () => {
    const c = await open();
    // measured: "\r\n\r\nPING\r\n" -> +PONG; "PING\nPING\r\nPING\n" -> 3x +PONG; "*0\r\nPING" -> +PONG
    await c.roundtrip(
      '\r\n\r\nPING\r\nPING\nPING\r\n*0\r\n*-1\r\nPING\n' + cmd('PING', 'x') + 'ping hello\r\n',
      '+PONG\r\n+PONG\r\n+PONG\r\n+PONG\r\n$1\r\nx\r\n$5\r\nhello\r\n',
    );
    // measured: inline quoting
    await c.roundtrip('ping  "a b"\r\n', '$3\r\na b\r\n');
    await c.roundtrip('COMMAND COUNT\r\n', ':15\r\n');
  });

  void test('server wire - a byte-by-byte command is decoded', async () => {
    const c = await open();
    const bytes = Buffer.from(cmd('PING', 'slow'));
    for (const b of bytes) c.send(Buffer.from([b]));
    assert.equal(await c.read(10), '$4\r\nslow\r\n');
  });

  void test('server wire - protocol error replies, closes that connection only (measured)', async () => {
    const bad = await open();
    const good = await open();
    // measured: *1 PING, *1 PING, *abc -> +PONG +PONG -ERR Protocol error: invalid multibulk length, then close
    await bad.roundtrip(
      '*1\r\n$4\r\nPING\r\n*1\r\n$4\r\nPING\r\n*abc\r\n',
      '+PONG\r\n+PONG\r\n-ERR Protocol error: invalid multibulk length\r\n',
    );
    await bad.waitClosed();
    await good.roundtrip('PING\r\n', '+PONG\r\n');
    for (const [input, expected] of [
      ['*2\r\n$x\r\n', '-ERR Protocol error: invalid bulk length\r\n'],
      ['*2\r\nfoo\r\n', "-ERR Protocol error: expected '$', got 'f'\r\n"],
      ['*1\r\n$600000000\r\n', '-ERR Protocol error: invalid bulk length\r\n'],
      ['*1\r\n$-5\r\n', '-ERR Protocol error: invalid bulk length\r\n'],
      ['"foo\r\n', '-ERR Protocol error: unbalanced quotes in request\r\n'],
    ] as const) {
      const c = await open();
      c.send(input);
      assert.equal(await c.read(expected.length), expected, JSON.stringify(input));
      await c.waitClosed();
    }
    await good.roundtrip('PING\r\n', '+PONG\r\n');
    assert.ok(srv.stats.protocolErrors >= 6);
  });

  void test('server wire - random garbage never takes the server down', async () => {
    let seed = 12345;
    const rnd = (): number => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed;
    };
    for (let i = 0; i < 40; i++) {
      const c = await open();
      const len = 1 + (rnd() % 300);
      const b = Buffer.alloc(len);
      for (let j = 0; j < len; j++) b[j] = rnd() & 0xff;
      if (i % 3 === 0) b[0] = 0x2a; // '*'
      c.send(b);
      c.close();
    }
    const probe = await open();
    await probe.roundtrip('PING\r\n', '+PONG\r\n');
  });

  void test('server wire - pub/sub delivery in RESP2 and RESP3 (measured confirmations: node-redis.txt, raw-resp2-subscribed.txt)', async () => {
    const r2 = await open();
    const r3 = await open();
    await r2.roundtrip(cmd('SUBSCRIBE', '+switch-master'), '*3\r\n$9\r\nsubscribe\r\n$14\r\n+switch-master\r\n:1\r\n');
    r3.send(cmd('HELLO', '3'));
    await waitFor(() => r3.buf.length > 0 && r3.buf.toString('latin1').endsWith('*0\r\n'), {
      name: 'hello',
      timeoutMs: 5000,
    });
    r3.buf = Buffer.alloc(0);
    await r3.roundtrip(
      cmd('psubscribe', 'switch-master', '[-+]sdown'),
      '>3\r\n$10\r\npsubscribe\r\n$13\r\nswitch-master\r\n:1\r\n>3\r\n$10\r\npsubscribe\r\n$9\r\n[-+]sdown\r\n:2\r\n',
    );
    host.emit('+switch-master', 'mymaster 127.0.0.1 6379 127.0.0.1 6380');
    host.emit('-sdown', 'slave 127.0.0.1:6380 127.0.0.1 6380 @ mymaster 127.0.0.1 6379');
    const m = '*3\r\n$7\r\nmessage\r\n$14\r\n+switch-master\r\n$38\r\nmymaster 127.0.0.1 6379 127.0.0.1 6380\r\n';
    assert.equal(await r2.read(m.length), m);
    const p =
      '>4\r\n$8\r\npmessage\r\n$9\r\n[-+]sdown\r\n$6\r\n-sdown\r\n$61\r\nslave 127.0.0.1:6380 127.0.0.1 6380 @ mymaster 127.0.0.1 6379\r\n';
    assert.equal(await r3.read(p.length), p, 'switch-master does not match the pattern without +');
    await r2.roundtrip(cmd('PING'), '*2\r\n$4\r\npong\r\n$0\r\n\r\n');
    await r3.roundtrip(cmd('PING'), '+PONG\r\n');
  });
});

void describe('server wire - auth', () => {
  let srv: RunningServer;
  const conns: Raw[] = [];
  before(async () => {
    ({ srv } = await start({
      requirepass: 'sentpw',
      users: [
        'lim on >limpw -@all +auth +client|getname +client|id +client|setname +command +hello +ping +role +sentinel|get-master-addr-by-name +sentinel|master +sentinel|myid +sentinel|replicas +sentinel|sentinels +subscribe &+switch-master',
      ],
    }));
  });
  after(async () => {
    for (const c of conns) c.close();
    await srv.close();
  });
  const open = async (): Promise<Raw> => {
    const c = await Raw.open(srv.port);
    conns.push(c);
    return c;
  };

  void test('server wire - NOAUTH, WRONGPASS, AUTH, HELLO AUTH (measured: auth.txt, authpy.txt)', async () => {
    const c = await open();
    await c.roundtrip(cmd('SENTINEL', 'masters'), '-NOAUTH Authentication required.\r\n');
    await c.roundtrip(cmd('AUTH', 'bad'), '-WRONGPASS invalid username-password pair or user is disabled.\r\n');
    await c.roundtrip(cmd('AUTH', 'sentpw'), '+OK\r\n');
    await c.roundtrip(cmd('PING'), '+PONG\r\n');
    const h = await open();
    h.send(cmd('HELLO', '3', 'AUTH', 'default', 'sentpw', 'SETNAME', 'app') + cmd('CLIENT', 'GETNAME'));
    await waitFor(() => h.buf.toString('latin1').endsWith('$3\r\napp\r\n'), {
      name: 'hello auth + getname',
      timeoutMs: 5000,
    });
    assert.match(h.buf.toString('latin1'), /^%6\r\n.*\$3\r\napp\r\n$/s);
  });

  void test('server wire - unauthenticated clients get the small limits (measured: *20 / $20000 before AUTH)', async () => {
    const a = await open();
    await a.roundtrip('*20\r\n', '-ERR Protocol error: unauthenticated multibulk length\r\n');
    await a.waitClosed();
    const b = await open();
    await b.roundtrip('*2\r\n$20000\r\n', '-ERR Protocol error: unauthenticated bulk length\r\n');
    await b.waitClosed();
    // AUTH takes effect before the next command in the same read is parsed, as in Redis.
    const c = await open();
    const big = 'x'.repeat(20000);
    await c.roundtrip(cmd('AUTH', 'sentpw') + cmd('PING', big), `+OK\r\n$20000\r\n${big}\r\n`);
    await c.roundtrip(cmd('PING', ...Array.from({ length: 1 }, () => 'y')), '$1\r\ny\r\n');
  });

  void test('server wire - limited ACL user (sentinel-7.0.md §7)', async () => {
    const c = await open();
    await c.roundtrip(
      cmd('AUTH', 'lim', 'limpw') +
        cmd('SENTINEL', 'get-master-addr-by-name', 'mymaster') +
        cmd('SENTINEL', 'masters') +
        cmd('SUBSCRIBE', 'foo') +
        cmd('SUBSCRIBE', '+switch-master'),
      '+OK\r\n*2\r\n$9\r\n127.0.0.1\r\n$4\r\n6379\r\n' +
        "-NOPERM this user has no permissions to run the 'sentinel|masters' command\r\n" +
        '-NOPERM this user has no permissions to access one of the channels used as arguments\r\n' +
        '*3\r\n$9\r\nsubscribe\r\n$14\r\n+switch-master\r\n:1\r\n',
    );
  });
});

void describe('server wire - limits and robustness', () => {
  void test('server wire - maxclients rejects with the Redis error (text from redis-server 7.0.15 binary)', async () => {
    const { srv } = await start({ maxclients: 2 });
    const a = await Raw.open(srv.port);
    const b = await Raw.open(srv.port);
    await a.roundtrip('PING\r\n', '+PONG\r\n');
    await b.roundtrip('PING\r\n', '+PONG\r\n');
    const c = await Raw.open(srv.port);
    assert.equal(await c.read(36), '-ERR max number of clients reached\r\n');
    await c.waitClosed();
    assert.equal(srv.stats.rejectedConnections, 1);
    await a.roundtrip('PING\r\n', '+PONG\r\n');
    a.close();
    b.close();
    await srv.close();
  });

  void test('server wire - query buffer limit closes the connection', async () => {
    const { srv } = await start({ clientQueryBufferLimitBytes: 64 * 1024 });
    const big = await Raw.open(srv.port);
    const other = await Raw.open(srv.port);
    big.send('*2\r\n$4\r\nPING\r\n$1000000\r\n');
    big.send(Buffer.alloc(200 * 1024, 0x61));
    await big.waitClosed();
    assert.equal(big.buf.length, 0, 'no reply, just closed (as Redis)');
    await other.roundtrip('PING\r\n', '+PONG\r\n');
    other.close();
    await srv.close();
  });

  void test('server wire - a slow pub/sub consumer over the hard output limit is disconnected', async () => {
    const { srv, host } = await start({ pubsubOutputLimit: { hardBytes: 256 * 1024, softBytes: 0, softMs: 0 } });
    const slow = await Raw.open(srv.port);
    const other = await Raw.open(srv.port);
    await slow.roundtrip(cmd('SUBSCRIBE', 'big'), '*3\r\n$9\r\nsubscribe\r\n$3\r\nbig\r\n:1\r\n');
    slow.sock.pause(); // stop reading: the kernel buffers fill, then the server's output queue grows
    const payload = 'x'.repeat(512 * 1024);
    await waitFor(
      () => {
        host.emit('big', payload);
        return srv.clientCount === 1;
      },
      { name: 'slow subscriber dropped', timeoutMs: 10_000, intervalMs: 10 },
    );
    assert.ok(srv.stats.clientsClosedForLimits >= 1);
    await other.roundtrip('PING\r\n', '+PONG\r\n');
    slow.close();
    other.close();
    await srv.close();
  });

  void test('server wire - idle timeout closes idle normal clients, not subscribers', async () => {
    const { srv } = await start({ idleTimeoutMs: 300 });
    const idle = await Raw.open(srv.port);
    const sub = await Raw.open(srv.port);
    await sub.roundtrip(cmd('SUBSCRIBE', 'x'), '*3\r\n$9\r\nsubscribe\r\n$1\r\nx\r\n:1\r\n');
    await idle.waitClosed();
    assert.equal(sub.closed, false);
    await sub.roundtrip(cmd('PING'), '*2\r\n$4\r\npong\r\n$0\r\n\r\n');
    sub.close();
    await srv.close();
  });

  void test('server wire - 1,000 idle connections do not hurt another client', async () => {
    const { srv } = await start();
    const idle: Socket[] = [];
    try {
      for (let i = 0; i < 1000; i++) {
        const s = connect(srv.port, '127.0.0.1');
        s.on('error', () => {});
        idle.push(s);
        // A few half-open frames too: partial commands that never complete.
        if (i % 10 === 0) s.write('*3\r\n$4\r\nPING');
      }
      await waitFor(() => srv.clientCount >= 1000, { name: '1000 clients connected', timeoutMs: 20_000 });
      const c = await Raw.open(srv.port);
      const t0 = Date.now();
      for (let i = 0; i < 200; i++) await c.roundtrip('PING\r\n', '+PONG\r\n');
      const perPingMs = (Date.now() - t0) / 200;
      assert.ok(perPingMs < 20, `PING round trip ${perPingMs} ms with 1000 idle clients`);
      c.send(cmd('INFO', 'clients'));
      const info = await c.read(40);
      assert.match(info + (await c.read(c.buf.length)), /connected_clients:1001\r\n/);
      c.close();
    } finally {
      for (const s of idle) s.destroy();
      await srv.close();
    }
  });

  void test('server wire - close() drops clients and frees the port', async () => {
    const { srv, host } = await start();
    const c = await Raw.open(srv.port);
    await c.roundtrip('PING\r\n', '+PONG\r\n');
    await srv.close();
    await c.waitClosed();
    assert.equal(host.listenerCount, 0);
    const again = await startServer({ port: srv.port, bind: ['127.0.0.1'] }, new FakeHost());
    assert.equal(again.port, srv.port);
    await again.close();
  });
});
