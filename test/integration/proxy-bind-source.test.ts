// `--bind-source-addr`: every connection the proxy opens leaves from that address: the sentinel links (commands
// and pub/sub), client sessions to Redis (native pump and JS forwarding), the `--mux` shared connection, and the
// ROLE checks. Loopback only: 127.0.0.x are all local, so the upstreams see the chosen source.
import { test, describe, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, connect, type Server, type Socket, type AddressInfo } from 'node:net';
import { startProxy, type ProxyHandle } from '../../src/proxy/index.js';
import { checkRole } from '../../src/proxy/control.js';
import { parseProxyArgs } from '../../src/cli/proxy.js';
import { FakeSentinel } from '../../bench/proxy-failover/fake-sentinel.js';
import { waitFor } from '../harness/index.js';

const SOURCE = '127.0.0.9';

/** Answers PING and ROLE (as a master) line by line; records each connection's source address. */
class FakeRedis {
  readonly server: Server;
  readonly remotes: string[] = [];
  readonly sockets: Socket[] = [];
  port = 0;
  constructor() {
    this.server = createServer((s) => {
      this.sockets.push(s);
      this.remotes.push(s.remoteAddress ?? '');
      s.on('error', () => undefined);
      let buf = '';
      s.on('data', (b: Buffer) => {
        buf += b.toString('latin1');
        for (let k = buf.indexOf('\n'); k !== -1; k = buf.indexOf('\n')) {
          const line = buf.slice(0, k).trim().toUpperCase();
          buf = buf.slice(k + 1);
          if (line === 'PING') s.write('+PONG\r\n');
          else if (line === 'ROLE') s.write('*3\r\n$6\r\nmaster\r\n:0\r\n*0\r\n');
        }
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

async function ping(port: number): Promise<string> {
  const c = connect({ host: '127.0.0.1', port });
  c.on('error', () => undefined);
  try {
    return await new Promise<string>((resolve, reject) => {
      let got = '';
      c.on('data', (b: Buffer) => {
        got += b.toString();
        if (got.endsWith('\r\n')) resolve(got);
      });
      c.once('error', reject);
      c.write('PING\r\n');
    });
  } finally {
    c.destroy();
  }
}

void describe('proxy --bind-source-addr', () => {
  const closers: Array<() => Promise<void>> = [];
  after(async () => {
    for (const c of closers.reverse()) await c();
  });

  for (const [what, extra] of [
    ['native pump', { pumpThreads: 2 }],
    ['JS forwarding', { pumpThreads: 0 }],
    ['--mux', { mux: true }],
  ] as const) {
    void test(`proxy bind-source - sentinel links and client sessions leave from ${SOURCE} (${what})`, async () => {
      const redis = await new FakeRedis().start();
      closers.push(() => redis.close());
      const fake = await new FakeSentinel({
        masterName: 'm',
        master: { host: '127.0.0.1', port: redis.port },
        configEpoch: 1,
        replicas: [],
        flags: 'master',
      }).start();
      closers.push(() => fake.close());
      const proxy: ProxyHandle = await startProxy({
        sentinels: [{ host: '127.0.0.1', port: fake.port }],
        masters: [{ name: 'm', listen: '127.0.0.1:0', quorum: 1 }],
        bindSourceAddr: SOURCE,
        log: () => undefined,
        ...extra,
      });
      closers.push(() => proxy.close());
      await proxy.ready(5000);
      assert.equal(await ping(proxy.address.port), '+PONG\r\n');
      await waitFor(() => fake.remotes.length >= 2, { name: 'both sentinel links', timeoutMs: 3000 });
      assert.deepEqual([...new Set(fake.remotes)], [SOURCE], 'sentinel links');
      assert.ok(redis.remotes.length >= 1);
      assert.deepEqual([...new Set(redis.remotes)], [SOURCE], 'connections to Redis');
    });
  }

  void test('proxy bind-source - ROLE checks leave from the address too; the CLI checks it is an IP', async () => {
    const redis = await new FakeRedis().start();
    closers.push(() => redis.close());
    assert.equal(
      await checkRole({ host: '127.0.0.1', port: redis.port }, { timeoutMs: 1000, localAddress: SOURCE }),
      'master',
    );
    assert.deepEqual(redis.remotes, [SOURCE]);
    const base = ['--sentinels', '127.0.0.1:1', '--master-name', 'm', '--listen', '127.0.0.1:0'];
    assert.equal(parseProxyArgs([...base, '--bind-source-addr', '127.0.0.9']).bindSourceAddr, '127.0.0.9');
    assert.equal(parseProxyArgs([...base, '--bind-source-addr', '::1']).bindSourceAddr, '::1');
    assert.throws(() => parseProxyArgs([...base, '--bind-source-addr', 'localhost']), /expects an IP address/);
    assert.equal(parseProxyArgs(base).bindSourceAddr, undefined);
  });
});
