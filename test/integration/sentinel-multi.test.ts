// Two monitored masters watched by the same three vigil sentinels: peer links are shared between the masters
// (link-refcount 2), and killing one master fails over that master only. Also: a master configured by hostname
// is shown by its resolved IP with `announce-hostnames no`, by name with `yes`.
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { Harness } from '../harness/index.js';
import type { RedisProc, SentinelProc } from '../harness/index.js';
import { addrOf, call, collectEvents, record } from './sentinel-helpers.js';

async function addrOfMaster(s: SentinelProc, name: string): Promise<string> {
  const r = await call(s.port, 'SENTINEL', 'GET-MASTER-ADDR-BY-NAME', name);
  return Array.isArray(r) ? `${String(r[0])}:${String(r[1])}` : '';
}

async function records(
  s: SentinelProc,
  what: 'SENTINELS' | 'REPLICAS',
  name: string,
): Promise<Array<Record<string, string>>> {
  const r = await call(s.port, 'SENTINEL', what, name);
  return Array.isArray(r) ? r.map(record) : [];
}

void describe('sentinel - two masters', () => {
  const h = new Harness();
  after(() => h.cleanup());

  void test('sentinel - peers are shared between masters and only the killed master fails over', async () => {
    const pairs: Array<{ name: string; master: RedisProc; replica: RedisProc }> = [];
    for (const name of ['m1', 'm2']) {
      const master = await h.redis();
      const replica = await h.redis({ args: ['--replicaof', master.host, String(master.port)] });
      pairs.push({ name, master, replica });
    }
    const conf = pairs
      .flatMap(({ name, master }) => [
        `sentinel monitor ${name} ${master.host} ${master.port} 2`,
        `sentinel down-after-milliseconds ${name} 1000`,
        `sentinel failover-timeout ${name} 6000`,
      ])
      .join('\n');
    const sentinels: SentinelProc[] = [];
    for (let i = 0; i < 3; i++) sentinels.push(await h.sentinel({ conf, impl: 'vigil' }));

    await h.waitFor(
      async () => {
        for (const s of sentinels) {
          for (const { name } of pairs) {
            const peers = await records(s, 'SENTINELS', name);
            if (peers.length !== 2 || peers.some((p) => p['link-refcount'] !== '2')) return false;
            if ((await records(s, 'REPLICAS', name)).length !== 1) return false;
          }
        }
        return true;
      },
      {
        name: 'every sentinel knows both peers for both masters over shared links, and the replicas',
        timeoutMs: 20000,
        intervalMs: 200,
      },
    );
    // One cmd connection per peer sentinel, not one per (master, peer): each sentinel is connected to by its 2
    // peers once each. Wait for both, give a per-master connection the time to show up, then count exactly.
    const peerLinks = async (s: SentinelProc): Promise<string[]> =>
      String(await call(s.port, 'CLIENT', 'LIST'))
        .split('\n')
        .filter((l) => /name=sentinel-[0-9a-f]{8}-cmd/.test(l));
    await h.waitFor(
      async () => {
        for (const s of sentinels) if ((await peerLinks(s)).length < 2) return false;
        return true;
      },
      { name: 'both peers connected to every sentinel', timeoutMs: 10000, intervalMs: 100 },
    );
    const countAt = Date.now() + 1500;
    await h.waitFor(() => Date.now() > countAt, { name: 'reconnect period', timeoutMs: 5000, intervalMs: 100 });
    for (const s of sentinels) {
      const links = await peerLinks(s);
      assert.equal(links.length, 2, links.join('\n'));
    }

    const [p1, p2] = pairs as [(typeof pairs)[0], (typeof pairs)[0]];
    await h.waitFor(
      async () => String(await call(p1.replica.port, 'INFO', 'replication')).includes('master_link_status:up'),
      { name: 'm1 replica in sync', timeoutMs: 15000, intervalMs: 100 },
    );
    const ev = await collectEvents(sentinels[0]!);
    await p1.master.kill('SIGKILL');
    const target = addrOf(p1.replica);
    await h.waitFor(
      async () => {
        for (const s of sentinels) if ((await addrOfMaster(s, 'm1')) !== target) return false;
        return true;
      },
      { name: 'every sentinel reports the m1 replica as master', timeoutMs: 20000, intervalMs: 100 },
    );
    // Give a needless failover of m2 the time it would need (down-after + election) before checking it did not happen.
    const checkAt = Date.now() + 3000;
    await h.waitFor(() => Date.now() > checkAt, { name: 'settle', timeoutMs: 5000, intervalMs: 200 });
    for (const s of sentinels) {
      assert.equal(await addrOfMaster(s, 'm2'), addrOf(p2.master));
      const m2 = record(await call(s.port, 'SENTINEL', 'MASTER', 'm2'));
      assert.equal(m2['config-epoch'], '0');
      assert.equal(m2.flags, 'master');
    }
    assert.ok(ev.events.some(([c, p]) => c === '+switch-master' && p.startsWith('m1 ')));
    assert.ok(
      !ev.events.some(
        ([c, p]) => p.includes('m2') && (c === '+switch-master' || c === '+odown' || c === '+try-failover'),
      ),
      JSON.stringify(ev.events),
    );
    assert.equal(await call(p2.master.port, 'ROLE').then((r) => (Array.isArray(r) ? String(r[0]) : '')), 'master');
    ev.close();
  });

  void test('sentinel - announce-hostnames no shows the resolved IP of a master configured by hostname', async () => {
    const master = await h.redis();
    const s = await h.sentinel({
      impl: 'vigil',
      conf: [
        'sentinel resolve-hostnames yes',
        `sentinel monitor mh localhost ${master.port} 1`,
        'sentinel down-after-milliseconds mh 1000',
      ].join('\n'),
    });
    await h.waitFor(async () => record(await call(s.port, 'SENTINEL', 'MASTER', 'mh')).ip === '127.0.0.1', {
      name: 'master shown by its resolved IP',
      timeoutMs: 10000,
      intervalMs: 100,
    });
    assert.equal(await addrOfMaster(s, 'mh'), `127.0.0.1:${master.port}`);
    assert.equal(await call(s.port, 'SENTINEL', 'CONFIG', 'SET', 'announce-hostnames', 'yes'), 'OK');
    assert.equal(record(await call(s.port, 'SENTINEL', 'MASTER', 'mh')).ip, 'localhost');
    assert.equal(await addrOfMaster(s, 'mh'), `localhost:${master.port}`);
    // The file keeps the name the master is reached by.
    assert.match(readFileSync(s.confPath, 'utf8'), new RegExp(`^sentinel monitor mh localhost ${master.port} 1$`, 'm'));
  });
});
