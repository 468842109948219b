// Real client libraries talking straight to the inbound server (fake host): their handshakes (HELLO 3, CLIENT
// SETINFO noise, AUTH) must succeed and Pub/Sub pushes must reach their subscribers, in RESP2 and RESP3.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { Redis as Redis5 } from 'ioredis';
import { Redis as Redis6 } from 'ioredis6';
import { createClient } from 'redis';
import { waitFor } from '../harness/index.js';
import { startServer, type RunningServer } from '../../src/server/index.js';
import { FakeHost } from '../unit/server-helpers.js';

void describe('server clients - real client libraries', () => {
  let srv: RunningServer;
  let host: FakeHost;
  before(async () => {
    host = new FakeHost();
    srv = await startServer({ port: 0, bind: ['127.0.0.1'], requirepass: 'pw' }, host);
  });
  after(async () => {
    await srv.close();
  });

  type Client = Redis5 | Redis6;
  const make = (v: 5 | 6, protocol: 2 | 3): Client => {
    const base = { port: srv.port, host: '127.0.0.1', password: 'pw', lazyConnect: true, maxRetriesPerRequest: 0 };
    return v === 6 ? new Redis6({ ...base, protocol }) : new Redis5(base);
  };
  for (const [label, v, protocol] of [
    ['ioredis 6 (RESP3)', 6, 3],
    ['ioredis 6 (RESP2)', 6, 2],
    ['ioredis 5 (RESP2)', 5, 2],
  ] as const) {
    void test(`server clients - ${label}: handshake, SENTINEL call, subscribe`, async () => {
      const c = make(v, protocol);
      const sub = make(v, protocol);
      c.on('error', () => {});
      sub.on('error', () => {});
      try {
        await c.connect();
        assert.equal(await c.ping(), 'PONG');
        assert.deepEqual(await c.call('SENTINEL', 'get-master-addr-by-name', 'mymaster'), ['127.0.0.1', '6379']);
        await sub.connect();
        const got: string[] = [];
        sub.on('message', (ch: string, msg: string) => got.push(`${ch} ${msg}`));
        await sub.subscribe('+switch-master');
        host.emit('+switch-master', 'mymaster 127.0.0.1 6379 127.0.0.1 6380');
        await waitFor(() => got.length > 0, { name: `${label} receives the event`, timeoutMs: 5000 });
        assert.deepEqual(got, ['+switch-master mymaster 127.0.0.1 6379 127.0.0.1 6380']);
      } finally {
        c.disconnect();
        sub.disconnect();
      }
    });
  }

  for (const RESP of [2, 3] as const) {
    void test(`server clients - node-redis v5 RESP${RESP}: handshake, SENTINEL call, subscribe`, async () => {
      const c = createClient({ url: `redis://127.0.0.1:${srv.port}`, password: 'pw', RESP });
      c.on('error', () => {});
      const sub = c.duplicate();
      sub.on('error', () => {});
      try {
        await c.connect();
        assert.equal(await c.ping(), 'PONG');
        const addr = await c.sendCommand(['SENTINEL', 'get-master-addr-by-name', 'mymaster']);
        assert.deepEqual(addr, ['127.0.0.1', '6379']);
        await sub.connect();
        const got: string[] = [];
        await sub.pSubscribe('*sdown', (msg: string, ch: string) => got.push(`${ch} ${msg}`));
        host.emit('+sdown', 'master mymaster 127.0.0.1 6379');
        await waitFor(() => got.length > 0, { name: 'node-redis receives the event', timeoutMs: 5000 });
        assert.deepEqual(got, ['+sdown master mymaster 127.0.0.1 6379']);
      } finally {
        await c.quit().catch(() => {});
        await sub.quit().catch(() => {});
      }
    });
  }
});
