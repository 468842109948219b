// `vigil up --json` end to end: one JSON line, a topology every sentinel agrees on, an ioredis client configured
// from that line surviving kill -9 of the master, `vigil status` and `vigil failover` on the live cluster, and
// `vigil down` leaving no process behind.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { Redis } from 'ioredis';
import { waitFor, RespClient } from '../harness/index.js';
import { readState } from '../../src/cluster/state.js';
import { isAlive } from '../../src/cluster/proc.js';
import {
  TEST_DOWN_AFTER_MS,
  startUp,
  IMPL,
  cleanup,
  runVigil,
  recordedPids,
  waitAllGone,
  masterPid,
  missingClusterBinaries,
  type UpProcess,
} from './cluster-helpers.js';
import type { ClusterSummary } from '../../src/cluster/render.js';
import { parseAddr } from '../../src/cluster/inspect.js';

const skip = missingClusterBinaries();

async function sentinelCall(addr: string, ...args: string[]): Promise<unknown> {
  const c = await RespClient.connect(parseAddr(addr).port);
  try {
    return await c.call(...args);
  } finally {
    c.close();
  }
}

async function masterFrom(addr: string, name: string): Promise<string> {
  const r = (await sentinelCall(addr, 'SENTINEL', 'GET-MASTER-ADDR-BY-NAME', name)) as string[];
  return `${r[0]}:${r[1]}`;
}

void describe('cluster - vigil up --json', { skip, timeout: 240_000 }, () => {
  let up: UpProcess | undefined;
  let s: ClusterSummary;
  let client: Redis | undefined;

  before(async () => {
    up = startUp([
      '--json',
      '--down-after',
      String(TEST_DOWN_AFTER_MS),
      '--no-proxy',
      '--replicas',
      '2',
      '--sentinels',
      '3',
    ]);
    s = await up.summary();
  });

  after(async () => {
    client?.disconnect();
    const forced = await cleanup(up);
    assert.deepEqual(forced, [], 'cleanup had to force-kill processes');
  });

  void test('cluster - prints exactly one JSON line with the topology', () => {
    assert.ok(up);
    const lines = up.stdout().split('\n').filter(Boolean);
    assert.equal(lines.length, 1, `stdout: ${up.stdout()}`);
    // `dashboard` only with Vigil's sentinels (it reads their HTTP endpoints).
    const keys = ['dir', 'master', 'masterName', 'replicas', 'sentinels'];
    assert.deepEqual(Object.keys(s).sort(), IMPL === 'vigil' ? ['dashboard', ...keys] : keys);
    assert.equal(s.masterName, 'mymaster');
    assert.equal(s.replicas.length, 2);
    assert.equal(s.sentinels.length, 3);
    assert.equal(s.dir, up.dir);
    for (const a of [s.master, ...s.replicas, ...s.sentinels]) assert.match(a, /^127\.0\.0\.1:\d+$/);
    assert.match(up.stderr(), /ready in/);
  });

  void test('cluster - every sentinel sees the master, both replicas and the other sentinels', async () => {
    for (const a of s.sentinels) {
      assert.equal(await masterFrom(a, s.masterName), s.master);
      const replicas = (await sentinelCall(a, 'SENTINEL', 'REPLICAS', s.masterName)) as string[][];
      const rAddrs = replicas.map((r) => `${r[r.indexOf('ip') + 1]}:${r[r.indexOf('port') + 1]}`).sort();
      assert.deepEqual(rAddrs, [...s.replicas].sort());
      const peers = (await sentinelCall(a, 'SENTINEL', 'SENTINELS', s.masterName)) as string[][];
      assert.equal(peers.length, 2);
      const q = (await sentinelCall(a, 'SENTINEL', 'MASTER', s.masterName)) as string[];
      assert.equal(q[q.indexOf('quorum') + 1], '2');
    }
  });

  void test('cluster - the state file records a live PID for every process', () => {
    assert.ok(up);
    const st = readState(up.dir);
    assert.ok(st);
    assert.equal(st.upPid, up.child.pid);
    assert.equal(st.ready, true);
    assert.equal(st.processes.length, 1 + 2 + 3);
    for (const p of st.processes) assert.ok(isAlive(p.pid), `${p.name} pid ${p.pid} alive`);
  });

  void test('cluster - status lists the live topology', () => {
    assert.ok(up);
    const r = runVigil(['status', '--dir', up.dir, '--json']);
    assert.equal(r.code, 0, r.stderr);
    const st = JSON.parse(r.stdout) as { master: string; rows: Array<{ role: string; address: string }> };
    assert.equal(st.master, s.master);
    assert.equal(st.rows.filter((x) => x.role === 'sentinel').length, 3);
    assert.equal(st.rows.filter((x) => x.role === 'replica').length, 2);
  });

  void test('cluster - an ioredis write goes to the new master after kill -9 of the master', async () => {
    assert.ok(up);
    client = new Redis({ sentinels: s.sentinels.map(parseAddr), name: s.masterName, commandTimeout: 1000 });
    client.on('error', () => {});
    assert.equal(await client.set('before', '1'), 'OK');
    const oldMaster = s.master;
    const pid = masterPid(up.dir, oldMaster);
    process.kill(pid, 'SIGKILL');
    // The write succeeds once the sentinels promoted a replica and ioredis re-resolved the master.
    await waitFor(
      async () => {
        try {
          return (await client?.set('after', '2')) === 'OK';
        } catch {
          return false;
        }
      },
      {
        name: 'a write to succeed after the failover',
        timeoutMs: 60_000,
        intervalMs: 200,
        context: () => up?.stderr() ?? '',
      },
    );
    const newMaster = await masterFrom(s.sentinels[0] as string, s.masterName);
    assert.notEqual(newMaster, oldMaster);
    assert.ok(s.replicas.includes(newMaster));
    const direct = await RespClient.connect(parseAddr(newMaster).port);
    try {
      assert.equal(await direct.call('GET', 'after'), '2');
      assert.equal(await direct.call('GET', 'before'), '1');
    } finally {
      direct.close();
    }
    // The supervisor reported the death (on stderr: stdout carries only the JSON line).
    await waitFor(() => up?.stderr().includes(`pid ${pid}) killed by SIGKILL`), {
      name: 'death reported',
      timeoutMs: 10_000,
    });
    assert.equal(up.stdout().split('\n').filter(Boolean).length, 1);
  });

  void test('cluster - failover prints a timeline and switches to another replica', async () => {
    assert.ok(up);
    // `vigil failover` asks the first sentinel: wait until it finished the previous failover and sees a healthy
    // replica of the new master (otherwise it answers -INPROG or -NOGOODSLAVE, correctly).
    const first = s.sentinels[0] as string;
    await waitFor(
      async () => {
        const m = (await sentinelCall(first, 'SENTINEL', 'MASTER', s.masterName)) as string[];
        if (m[m.indexOf('flags') + 1] !== 'master') return false;
        const reps = (await sentinelCall(first, 'SENTINEL', 'REPLICAS', s.masterName)) as string[][];
        return reps.some(
          (r) => r[r.indexOf('flags') + 1] === 'slave' && r[r.indexOf('master-link-status') + 1] === 'ok',
        );
      },
      { name: 'sentinel 1 to see a healthy replica of the new master', timeoutMs: 30_000, intervalMs: 200 },
    );
    const before = await masterFrom(first, s.masterName);
    const r = runVigil(['failover', '--dir', up.dir]);
    assert.equal(r.code, 0, `${r.stdout}\n${r.stderr}`);
    assert.match(r.stdout, /SENTINEL FAILOVER -> OK/);
    assert.match(r.stdout, /^\s+\d+ ms\s+s\d .*\+switch-master mymaster /m);
    const m = /new master (\S+) \(was (\S+)\)/.exec(r.stdout);
    assert.ok(m, r.stdout);
    assert.equal(m[2], before);
    assert.notEqual(m[1], before);
    assert.equal(await masterFrom(s.sentinels[1] as string, s.masterName), m[1]);
  });

  void test('cluster - down stops everything vigil up started', async () => {
    assert.ok(up);
    const pids = recordedPids(up.dir);
    assert.equal(pids.length, 6);
    const r = runVigil(['down', '--dir', up.dir]);
    assert.equal(r.code, 0, r.stderr);
    const exit = await up.exited;
    assert.equal(exit.code, 0, up.stderr());
    await waitAllGone([up.child.pid as number, ...pids], 'after vigil down');
    assert.ok(readState(up.dir)?.stoppedAt, 'state records the stop');
    // A second down is a no-op.
    const again = runVigil(['down', '--dir', up.dir]);
    assert.equal(again.code, 0);
    assert.match(again.stdout, /nothing is running/);
  });
});
