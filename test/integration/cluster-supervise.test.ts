// `vigil up` supervises what it started: kill -9 of a replica and of a sentinel (by the PIDs it recorded) → both
// are restarted with new PIDs, reported on stderr and in `vigil status`, and the cluster is whole again (every
// sentinel sees every replica and every other sentinel). kill -9 of the master still gives a failover (the old
// master is restarted only once the sentinels have moved away from it, and comes back as a replica).
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { waitFor } from '../harness/index.js';
import { readState } from '../../src/cluster/state.js';
import { isSameProcess } from '../../src/cluster/proc.js';
import { masterAddrFrom, parseAddr, readinessGaps, sentinelView } from '../../src/cluster/inspect.js';
import type { ClusterSummary } from '../../src/cluster/render.js';
import {
  TEST_DOWN_AFTER_MS,
  cleanup,
  missingClusterBinaries,
  runVigil,
  startUp,
  type UpProcess,
} from './cluster-helpers.js';

const skip = missingClusterBinaries();

function rec(dir: string, address: string) {
  const r = readState(dir)?.processes.find((p) => `${p.host}:${p.port}` === address);
  assert.ok(r, `a record for ${address}`);
  return r;
}

/** Every sentinel sees `master`, every other node as a healthy replica and every other sentinel. */
async function healthy(s: ClusterSummary, master: string): Promise<boolean> {
  const nodes = [s.master, ...s.replicas];
  for (const a of s.sentinels) {
    try {
      const v = await sentinelView(parseAddr(a), s.masterName);
      const gaps = readinessGaps(v, {
        master,
        replicas: nodes.filter((n) => n !== master),
        otherSentinels: s.sentinels.filter((x) => x !== a),
      });
      if (gaps.length > 0) return false;
    } catch {
      return false;
    }
  }
  return true;
}

void describe('cluster - vigil up restarts what dies', { skip, timeout: 300_000 }, () => {
  let up: UpProcess | undefined;
  let s: ClusterSummary;

  before(async () => {
    up = startUp(['--json', '--down-after', String(TEST_DOWN_AFTER_MS), '--replicas', '2', '--sentinels', '3']);
    s = await up.summary();
  });

  after(async () => {
    const forced = await cleanup(up);
    assert.deepEqual(forced, [], 'cleanup had to force-kill processes');
  });

  void test('supervise - kill -9 of a replica and a sentinel: both back, reported, cluster healthy', async () => {
    const dir = up!.dir;
    const replica = s.replicas[0]!;
    const sentinel = s.sentinels[1]!;
    const before = [rec(dir, replica), rec(dir, sentinel)];
    for (const r of before) process.kill(r.pid, 'SIGKILL');
    await waitFor(
      () =>
        before.every((old) => {
          const now = rec(dir, `${old.host}:${old.port}`);
          return now.pid !== old.pid && now.restarts === 1 && isSameProcess(now.pid, now.startTime);
        }),
      { name: 'replica and sentinel restarted with new PIDs', timeoutMs: 20_000, context: () => up!.stderr() },
    );
    await waitFor(() => healthy(s, s.master), {
      name: 'cluster healthy again',
      timeoutMs: 60_000,
      intervalMs: 250,
      context: () => up!.stderr(),
    });
    for (const r of before) {
      assert.match(up!.stderr(), new RegExp(`${r.name} \\(.*pid ${r.pid}\\) killed by SIGKILL; restarting in \\d+ ms`));
      assert.match(up!.stderr(), new RegExp(`${r.name} restarted \\(.*restart 1\\)`));
    }
    const st = runVigil(['status', '--dir', dir]);
    assert.equal(st.code, 0, st.stderr);
    for (const r of before)
      assert.match(st.stdout, new RegExp(`restarted: ${r.name} .* 1 time\\(s\\), last killed by SIGKILL`));
  });

  void test('supervise - kill -9 of the master still fails over; the old master returns as a replica', async () => {
    const dir = up!.dir;
    const old = rec(dir, s.master);
    process.kill(old.pid, 'SIGKILL');
    let newMaster = '';
    await waitFor(
      async () => {
        const a = await masterAddrFrom(parseAddr(s.sentinels[0]!), s.masterName).catch(() => undefined);
        if (a !== undefined && a !== s.master) newMaster = a;
        return newMaster !== '';
      },
      { name: 'failover away from the killed master', timeoutMs: 60_000, intervalMs: 100, context: () => up!.stderr() },
    );
    await waitFor(
      () => {
        const now = rec(dir, s.master);
        return now.pid !== old.pid && isSameProcess(now.pid, now.startTime);
      },
      { name: 'old master restarted', timeoutMs: 30_000, context: () => up!.stderr() },
    );
    assert.match(up!.stderr(), /was the master: waiting for the failover before restarting it/);
    await waitFor(() => healthy(s, newMaster), {
      name: 'cluster healthy with the old master as a replica',
      timeoutMs: 60_000,
      intervalMs: 250,
      context: () => up!.stderr(),
    });
  });
});
