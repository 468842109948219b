// The compiled entry point a user runs after `npm ci`: bin/vigil up --json (dist/), with the proxy when it is
// built, a write through the proxy, then bin/vigil down. Skipped when dist/ has not been built.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { RespClient } from '../harness/index.js';
import type { ClusterSummary } from '../../src/cluster/render.js';
import {
  REPO,
  VIGIL_BIN,
  startUp,
  cleanup,
  runVigil,
  recordedPids,
  waitAllGone,
  missingClusterBinaries,
  type UpProcess,
} from './cluster-helpers.js';

const built = existsSync(join(REPO, 'dist/cli/vigil.js'));
const withProxy = existsSync(join(REPO, 'dist/cli/proxy.js'));
const skip = built ? missingClusterBinaries() : 'dist/ not built: run `npm run build`';

void describe('cluster - compiled bin/vigil', { skip, timeout: 180_000 }, () => {
  let up: UpProcess | undefined;
  let s: ClusterSummary;

  before(async () => {
    up = startUp(['--json'], { cmd: VIGIL_BIN });
    s = await up.summary();
  });

  after(async () => {
    const forced = await cleanup(up);
    assert.deepEqual(forced, [], 'cleanup had to force-kill processes');
  });

  void test('cluster - bin/vigil help lists the subcommands', () => {
    const r = runVigil(['help'], VIGIL_BIN);
    assert.equal(r.code, 0);
    for (const c of ['up', 'down', 'status', 'failover', 'demo', 'sentinel', 'proxy'])
      assert.match(r.stdout, new RegExp(`vigil ${c}\\b`));
  });

  void test('cluster - bin/vigil up --json starts a cluster whose master answers', async () => {
    const c = await RespClient.connect(Number(s.master.split(':')[1]));
    try {
      assert.equal(await c.call('SET', 'k', 'v'), 'OK');
      const info = String(await c.call('INFO', 'replication'));
      assert.match(info, /role:master/);
      assert.match(info, /connected_slaves:2/);
    } finally {
      c.close();
    }
  });

  void test(
    'cluster - bin/vigil up starts the proxy, which forwards to the master',
    { skip: withProxy ? false : 'proxy not built' },
    async () => {
      assert.ok(s.proxy, `no proxy in ${JSON.stringify(s)}`);
      const c = await RespClient.connect(Number(s.proxy.split(':')[1]));
      try {
        assert.equal(await c.call('SET', 'via-proxy', '1'), 'OK');
      } finally {
        c.close();
      }
      const m = await RespClient.connect(Number(s.master.split(':')[1]));
      try {
        assert.equal(await m.call('GET', 'via-proxy'), '1');
      } finally {
        m.close();
      }
    },
  );

  void test('cluster - bin/vigil down stops everything', async () => {
    assert.ok(up);
    const pids = recordedPids(up.dir);
    const r = runVigil(['down', '--dir', up.dir], VIGIL_BIN);
    assert.equal(r.code, 0, r.stderr);
    await up.exited;
    await waitAllGone([up.child.pid as number, ...pids], 'after bin/vigil down');
  });
});
