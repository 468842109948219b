// Stopping `vigil up` on the awkward paths: Ctrl-C (SIGINT) while it is still starting, Ctrl-C in the middle of a
// failover, and `vigil down` after `vigil up` itself was killed with SIGKILL. In every case no process it started
// may be left running.
import { describe, test, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { waitFor, RespClient } from '../harness/index.js';
import { readState } from '../../src/cluster/state.js';
import { isAlive } from '../../src/cluster/proc.js';
import {
  IMPL,
  TEST_DOWN_AFTER_MS,
  startUp,
  cleanup,
  runVigil,
  recordedPids,
  waitAllGone,
  masterPid,
  missingClusterBinaries,
  type UpProcess,
} from './cluster-helpers.js';

const skip = missingClusterBinaries();

void describe('cluster - stopping vigil up', { skip, timeout: 300_000 }, () => {
  let up: UpProcess | undefined;

  afterEach(async () => {
    const forced = await cleanup(up);
    up = undefined;
    assert.deepEqual(forced, [], 'cleanup had to force-kill processes');
  });

  async function interruptWhen(cond: (procs: number) => boolean, what: string): Promise<void> {
    up = startUp(['--json', '--no-proxy', '--down-after', String(TEST_DOWN_AFTER_MS)]);
    const u = up;
    await waitFor(() => cond(readState(u.dir)?.processes.length ?? 0), {
      name: what,
      timeoutMs: 60_000,
      intervalMs: 10,
      context: () => u.stderr(),
    });
    u.child.kill('SIGINT');
    const exit = await u.exited;
    assert.equal(exit.code, 130, u.stderr());
    assert.match(u.stderr(), /interrupted by SIGINT during start-up/);
    assert.equal(u.stdout(), '', 'no JSON line for a cluster that never became ready');
    const st = readState(u.dir);
    assert.ok(st?.stoppedAt, 'state records the stop');
    assert.ok(st.processes.length > 0);
    await waitAllGone(
      st.processes.map((p) => p.pid),
      'after SIGINT during start-up',
    );
  }

  void test('cluster - SIGINT while redis-server is starting leaves no process behind', async () => {
    await interruptWhen((n) => n >= 1, 'the master to be spawned');
  });

  void test('cluster - SIGINT while the sentinels discover each other leaves no process behind', async () => {
    await interruptWhen((n) => n >= 4, 'the first sentinel to be spawned');
  });

  void test('cluster - SIGINT during a failover leaves no process behind', async () => {
    up = startUp(['--json', '--no-proxy', '--down-after', String(TEST_DOWN_AFTER_MS)]);
    const u = up;
    const s = await u.summary();
    const pids = recordedPids(u.dir);
    const sentinelPort = Number((s.sentinels[0] as string).split(':')[1]);
    const events: string[] = [];
    const sub = await RespClient.connect(sentinelPort);
    try {
      sub.onPush((m) => events.push(String(m[2])));
      await sub.call('PSUBSCRIBE', '*');
      process.kill(masterPid(u.dir, s.master), 'SIGKILL');
      await waitFor(
        () => events.includes('+odown') || events.includes('+try-failover') || events.includes('+switch-master'),
        {
          name: 'the failover to start',
          timeoutMs: 60_000,
          context: () => events.join(' '),
        },
      );
    } finally {
      sub.close();
    }
    u.child.kill('SIGINT');
    const exit = await u.exited;
    assert.equal(exit.code, 0, u.stderr());
    await waitAllGone([u.child.pid as number, ...pids], 'after SIGINT during a failover');
  });

  void test('cluster - down stops the leftovers when vigil up was killed with SIGKILL', async () => {
    up = startUp(['--json', '--no-proxy']);
    const u = up;
    await u.summary();
    const pids = recordedPids(u.dir);

    // While it runs, a second `vigil up` on the same DIR is refused with one line.
    const second = runVigil(['up', '--dir', u.dir, '--impl', IMPL, '--json']);
    assert.equal(second.code, 1);
    assert.match(second.stderr, /^vigil: a cluster is already running in .* `vigil down --dir/);
    assert.equal(second.stderr.trim().split('\n').length, 1, second.stderr);

    u.child.kill('SIGKILL');
    await u.exited;
    // Children run in their own process groups, so they survive their supervisor...
    assert.ok(pids.every(isAlive), 'children outlive a SIGKILLed vigil up');
    // ...and `vigil down` stops them by their recorded PIDs.
    const r = runVigil(['down', '--dir', u.dir]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /is not running; stopping the recorded processes directly/);
    assert.match(r.stdout, /6 leftover process\(es\) stopped directly/);
    await waitAllGone(pids, 'after vigil down');
  });
});
