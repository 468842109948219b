// Client compatibility: real clients discover the master through a group of three sentinels, write and read.
// Topology per impl and per variant: 1 master + 2 replicas (real redis-server) and 3 sentinels, quorum 2.
// Variants: no passwords; requirepass on the sentinels and the data nodes (each client's sentinel-password option
// plus its data-node password). Clients: ioredis 5 (RESP2), ioredis 6 (RESP3 by default; also role 'slave'),
// node-redis v5 createSentinel (RESP2 and RESP3), redis-py 4.3.4 (Debian's /usr/bin/python3), redis-cli.
// VIGIL_COMPAT_IMPL=redis|vigil|both (default both): the same tests against real redis-sentinel prove the tests.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { Redis as Redis5 } from 'ioredis';
import { Redis as Redis6 } from 'ioredis6';
import { createSentinel } from 'redis';
import { Harness, missingBinaries, type SentinelImpl } from '../harness/index.js';
import { startFleet, implsFromEnv, once, type Fleet } from '../harness/fleet.js';
import { runPython, runTool, withDeadline, SYSTEM_PYTHON } from '../harness/tools.js';
import { text } from '../harness/wire.js';

const PW = 'compat-pw';
const CLIENT_DEADLINE_MS = 20000;

/** The value must really be on the fleet's master (not on some other node). */
async function assertOnMaster(fleet: Fleet, key: string, value: string): Promise<void> {
  const got = await once(fleet.master.port, ['GET', key], fleet.password);
  assert.equal(text(got), value, `key ${key} not found on the master 127.0.0.1:${fleet.master.port}`);
}

/** The port of the server a client is connected to, from its own INFO. */
function tcpPort(info: string): number {
  return Number(/^tcp_port:(\d+)/m.exec(info)?.[1] ?? NaN);
}

function sentinelNodes(fleet: Fleet): Array<{ host: string; port: number }> {
  return fleet.sentinels.map((s) => ({ host: '127.0.0.1', port: s.port }));
}

const PY_SCRIPT = `
import json, sys
from redis.sentinel import Sentinel
ports = json.loads(sys.argv[1]); pw = sys.argv[2] or None; key = sys.argv[3]; value = sys.argv[4]
kw = {'password': pw} if pw else {}
s = Sentinel([('127.0.0.1', p) for p in ports], socket_timeout=3, sentinel_kwargs=dict(kw), **kw)
addr = s.discover_master('mymaster')
slaves = s.discover_slaves('mymaster')
m = s.master_for('mymaster', socket_timeout=3)
m.set(key, value)
got = m.get(key).decode()
r = s.slave_for('mymaster', socket_timeout=3)
role = r.execute_command('ROLE')[0].decode()
print('RESULT ' + json.dumps({'addr': [addr[0], addr[1]], 'slaves': sorted([p for (_, p) in slaves]), 'get': got, 'replica_role': role}))
`;

for (const impl of implsFromEnv('VIGIL_COMPAT_IMPL')) {
  for (const variant of ['plain', 'auth'] as const) {
    const password = variant === 'auth' ? PW : undefined;
    void describe(
      `compat [${impl}, ${variant === 'auth' ? 'requirepass' : 'no auth'}] - real clients through 3 sentinels`,
      { skip: missingBinaries('redis-server', 'redis-sentinel', 'redis-cli') },
      () => {
        const h = new Harness();
        after(() => h.cleanup());
        let fleet: Fleet;
        before(async () => {
          const opts = { impls: [impl, impl, impl] as SentinelImpl[], downAfterMs: 5000, failoverTimeoutMs: 30000 };
          fleet = await startFleet(h, password === undefined ? opts : { ...opts, password });
        });

        void test(`compat - ioredis 5 discovers the master, writes and reads (${impl}, ${variant})`, async () => {
          const key = `ioredis5-${variant}`;
          const client = new Redis5({
            sentinels: sentinelNodes(fleet),
            name: fleet.masterName,
            ...(password === undefined ? {} : { sentinelPassword: password, password }),
            lazyConnect: true,
            maxRetriesPerRequest: 2,
            retryStrategy: (n: number) => (n > 10 ? null : 200),
            sentinelRetryStrategy: (n: number) => (n > 10 ? null : 200),
          });
          const errors: string[] = [];
          client.on('error', (e: Error) => errors.push(e.message));
          try {
            await withDeadline(client.connect(), CLIENT_DEADLINE_MS, 'ioredis 5 connect');
            assert.equal(await client.set(key, 'v5'), 'OK');
            assert.equal(await client.get(key), 'v5');
            assert.equal(
              tcpPort(await client.info('server')),
              fleet.master.port,
              `ioredis 5 connected elsewhere; errors: ${errors.join('; ')}`,
            );
            await assertOnMaster(fleet, key, 'v5');
          } finally {
            client.disconnect();
          }
        });

        void test(`compat - ioredis 6 (RESP3) discovers the master, writes and reads (${impl}, ${variant})`, async () => {
          const key = `ioredis6-${variant}`;
          const client = new Redis6({
            sentinels: sentinelNodes(fleet),
            name: fleet.masterName,
            ...(password === undefined ? {} : { sentinelPassword: password, password }),
            lazyConnect: true,
            maxRetriesPerRequest: 2,
            retryStrategy: (n: number) => (n > 10 ? null : 200),
            sentinelRetryStrategy: (n: number) => (n > 10 ? null : 200),
          });
          const errors: string[] = [];
          client.on('error', (e: Error) => errors.push(e.message));
          try {
            await withDeadline(client.connect(), CLIENT_DEADLINE_MS, 'ioredis 6 connect');
            assert.equal(await client.set(key, 'v6'), 'OK');
            assert.equal(await client.get(key), 'v6');
            assert.equal(
              tcpPort(await client.info('server')),
              fleet.master.port,
              `ioredis 6 connected elsewhere; errors: ${errors.join('; ')}`,
            );
            await assertOnMaster(fleet, key, 'v6');
          } finally {
            client.disconnect();
          }
        });

        void test(`compat - ioredis 6 role 'slave' reads from a replica found via SENTINEL SLAVES (${impl}, ${variant})`, async () => {
          const key = `ioredis6-slave-${variant}`;
          await once(fleet.master.port, ['SET', key, 'rv'], password);
          const client = new Redis6({
            sentinels: sentinelNodes(fleet),
            name: fleet.masterName,
            role: 'slave',
            ...(password === undefined ? {} : { sentinelPassword: password, password }),
            lazyConnect: true,
            maxRetriesPerRequest: 2,
            retryStrategy: (n: number) => (n > 10 ? null : 200),
            sentinelRetryStrategy: (n: number) => (n > 10 ? null : 200),
          });
          client.on('error', () => undefined);
          try {
            await withDeadline(client.connect(), CLIENT_DEADLINE_MS, 'ioredis 6 (slave) connect');
            const replicaPorts = fleet.replicas.map((r) => r.port);
            const port = tcpPort(await client.info('server'));
            assert.ok(replicaPorts.includes(port), `connected to ${port}, replicas are ${replicaPorts.join(',')}`);
            await h.waitFor(async () => (await client.get(key)) === 'rv', {
              name: 'replicated key readable on the replica',
              timeoutMs: 5000,
            });
          } finally {
            client.disconnect();
          }
        });

        /** Connect with extra ioredis 6 options, write and read, check the key is on the master. */
        const ioredis6Variant = async (key: string, extra: Record<string, unknown>): Promise<void> => {
          const client = new Redis6({
            sentinels: sentinelNodes(fleet),
            name: fleet.masterName,
            ...(password === undefined ? {} : { sentinelPassword: password, password }),
            lazyConnect: true,
            maxRetriesPerRequest: 2,
            retryStrategy: (n: number) => (n > 10 ? null : 200),
            sentinelRetryStrategy: (n: number) => (n > 10 ? null : 200),
            ...extra,
          });
          const errors: string[] = [];
          client.on('error', (e: Error) => errors.push(e.message));
          try {
            await withDeadline(client.connect(), CLIENT_DEADLINE_MS, `ioredis 6 ${JSON.stringify(extra)} connect`);
            assert.equal(await client.set(key, 'x'), 'OK');
            assert.equal(await client.get(key), 'x');
            assert.equal(tcpPort(await client.info('server')), fleet.master.port, `errors: ${errors.join('; ')}`);
            await assertOnMaster(fleet, key, 'x');
            if (extra.failoverDetector === true) {
              // The detector subscribes to +switch-master on the sentinels (RESP3 push confirmation).
              await h.waitFor(
                async () => {
                  for (const s of fleet.sentinels) {
                    const list = text(await once(s.port, ['CLIENT', 'LIST'], password)) ?? '';
                    if (/ sub=1 .*cmd=subscribe/.test(list)) return true;
                  }
                  return false;
                },
                { name: 'ioredis failoverDetector subscribed to +switch-master on a sentinel', timeoutMs: 5000 },
              );
            }
          } finally {
            client.disconnect();
          }
        };

        void test(`compat - ioredis 6 with protocol 2 (${impl}, ${variant})`, () =>
          ioredis6Variant(`ioredis6-p2-${variant}`, { protocol: 2 }));

        void test(`compat - ioredis 6 with failoverDetector (SUBSCRIBE +switch-master) (${impl}, ${variant})`, () =>
          ioredis6Variant(`ioredis6-fd-${variant}`, { failoverDetector: true }));

        if (password !== undefined) {
          void test(`compat - ioredis 6 with sentinelUsername 'default' (HELLO 3 AUTH default <pw>) (${impl}, ${variant})`, () =>
            ioredis6Variant(`ioredis6-user-${variant}`, { sentinelUsername: 'default' }));
        }

        for (const RESP of [2, 3] as const) {
          void test(`compat - node-redis v5 createSentinel (RESP${RESP}) writes and reads (${impl}, ${variant})`, async () => {
            const key = `node-redis-${RESP}-${variant}`;
            const auth = password === undefined ? {} : { password };
            const sentinel = createSentinel({
              name: fleet.masterName,
              sentinelRootNodes: sentinelNodes(fleet),
              sentinelClientOptions: { ...auth, RESP },
              nodeClientOptions: { ...auth, RESP },
              RESP,
            });
            const errors: string[] = [];
            sentinel.on('error', (e: Error) => errors.push(e.message));
            try {
              await withDeadline(sentinel.connect(), CLIENT_DEADLINE_MS, `node-redis RESP${RESP} connect`).catch(
                (err: Error) => {
                  throw new Error(`${err.message}; client errors: ${errors.join('; ')}`);
                },
              );
              assert.equal(await sentinel.set(key, 'nr'), 'OK');
              assert.equal(await sentinel.get(key), 'nr');
              await assertOnMaster(fleet, key, 'nr');
            } finally {
              await sentinel.destroy().catch(() => undefined);
            }
          });
        }

        void test(
          `compat - redis-py 4.3.4 (Debian python3) discover_master / discover_slaves / master_for / slave_for (${impl}, ${variant})`,
          { skip: missingBinaries(SYSTEM_PYTHON) },
          async () => {
            const key = `redis-py-${variant}`;
            const res = await runPython(h, `compat-${impl}-${variant}`, PY_SCRIPT, [
              JSON.stringify(fleet.sentinels.map((s) => s.port)),
              password ?? '',
              key,
              'py',
            ]);
            const line = res.out.find((l) => l.startsWith('RESULT '));
            assert.ok(line, `redis-py failed (exit ${res.code}):\n${res.out.join('\n')}`);
            const r = JSON.parse(line.slice(7)) as {
              addr: [string, number];
              slaves: number[];
              get: string;
              replica_role: string;
            };
            assert.deepEqual(r.addr, ['127.0.0.1', fleet.master.port]);
            assert.deepEqual(
              r.slaves,
              fleet.replicas.map((x) => x.port).sort((a, b) => a - b),
            );
            assert.equal(r.get, 'py');
            assert.equal(r.replica_role, 'slave');
            assert.equal(res.code, 0);
            await assertOnMaster(fleet, key, 'py');
          },
        );

        void test(`compat - redis-cli SENTINEL get-master-addr-by-name / MASTERS, then SET and GET on the master (${impl}, ${variant})`, async () => {
          const auth = password === undefined ? [] : ['-a', password, '--no-auth-warning'];
          const cli = (port: number, args: string[]) =>
            runTool(h, 'redis-cli', ['-h', '127.0.0.1', '-p', String(port), ...auth, ...args], {
              name: `redis-cli ${args[0] ?? ''}`,
            });
          const s = fleet.sentinels[1]!;
          const addr = await cli(s.port, ['SENTINEL', 'get-master-addr-by-name', fleet.masterName]);
          assert.deepEqual(addr.out, ['127.0.0.1', String(fleet.master.port)]);
          const masters = await cli(s.port, ['SENTINEL', 'MASTERS']);
          assert.equal(masters.code, 0);
          assert.ok(
            masters.out.includes(fleet.masterName) && masters.out.includes('num-other-sentinels'),
            masters.out.join('\n'),
          );
          const port = Number(addr.out[1]);
          assert.deepEqual((await cli(port, ['SET', `cli-${variant}`, 'c'])).out, ['OK']);
          assert.deepEqual((await cli(port, ['GET', `cli-${variant}`])).out, ['c']);
          const r3 = await runTool(
            h,
            'redis-cli',
            [
              '-3',
              '--no-raw',
              '-h',
              '127.0.0.1',
              '-p',
              String(s.port),
              ...auth,
              'SENTINEL',
              'MASTER',
              fleet.masterName,
            ],
            { name: 'redis-cli -3' },
          );
          assert.equal(r3.code, 0, r3.out.join('\n'));
          assert.ok(
            r3.out.some((l) => /^\s*1# "name" => "mymaster"$/.test(l)),
            `RESP3 map expected:\n${r3.out.join('\n')}`,
          );
          const bad = await cli(s.port, ['SENTINEL', 'get-master-addr-by-name', 'nosuch']);
          assert.deepEqual(bad.out, ['']); // redis-cli prints a null array as an empty line
        });
      },
    );
  }
}
