// `vigil` command-line behaviour that needs no running cluster, and `vigil demo` end to end: user errors are one
// line with what to do; demo narrates a failover, reports the write gap and lost writes, and stops its cluster.
import { describe, test, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:net';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { freePort } from '../harness/index.js';
import { readState } from '../../src/cluster/state.js';
import {
  IMPL,
  REPO,
  TEST_DOWN_AFTER_MS,
  runVigil,
  tempDir as makeTempDir,
  recordedAlive,
  waitAllGone,
  removeDir,
  missingClusterBinaries,
} from './cluster-helpers.js';

function oneLine(stderr: string): string {
  const lines = stderr.trim().split('\n');
  assert.equal(lines.length, 1, `expected one line, got:\n${stderr}`);
  return lines[0] as string;
}

void describe('cluster - vigil CLI errors', { timeout: 60_000 }, () => {
  const dirs: string[] = [];
  const tempDir = (): string => {
    const d = makeTempDir();
    dirs.push(d);
    return d;
  };
  after(() => dirs.forEach(removeDir));

  void test('cluster - unknown command is one line and exit code 2', () => {
    const r = runVigil(['frobnicate']);
    assert.equal(r.code, 2);
    assert.match(oneLine(r.stderr), /^vigil: unknown command 'frobnicate': run `vigil help`/);
  });

  void test('cluster - bad flag values are one line and exit code 2', () => {
    const r = runVigil(['up', '--replicas', 'two', '--dir', tempDir()]);
    assert.equal(r.code, 2);
    assert.match(oneLine(r.stderr), /^vigil: --replicas must be a whole number, got 'two'/);
    const u = runVigil(['up', '--bogus']);
    assert.equal(u.code, 2);
    assert.match(oneLine(u.stderr), /^vigil: up: Unknown option '--bogus'/);
    const i = runVigil(['up', '--impl', 'valkey', '--dir', tempDir()]);
    assert.equal(i.code, 2);
    assert.match(oneLine(i.stderr), /--impl must be 'vigil' or 'redis'/);
  });

  void test('cluster - status, failover and down without a cluster say how to start one', () => {
    const dir = tempDir();
    for (const cmd of ['status', 'failover']) {
      const r = runVigil([cmd, '--dir', dir]);
      assert.equal(r.code, 1);
      assert.match(oneLine(r.stderr), /^vigil: no cluster in .*: start one with `vigil up --dir /);
    }
    const d = runVigil(['down', '--dir', dir]);
    assert.equal(d.code, 0);
    assert.match(d.stdout, /nothing to stop/);
  });

  void test('cluster - a missing redis-server is one line with the command that installs it', () => {
    const dir = tempDir();
    const r = spawnSync(
      process.execPath,
      ['--import', 'tsx', join(REPO, 'src/cli/vigil.ts'), 'up', '--dir', dir, '--impl', 'redis'],
      {
        cwd: REPO,
        encoding: 'utf8',
        timeout: 30_000,
        env: { ...process.env, PATH: '/nonexistent', VIGIL_NO_INSTALL: '1' },
      },
    );
    assert.equal(r.status, 1);
    assert.match(
      oneLine(r.stderr),
      /^vigil: redis-server and redis-sentinel not found on PATH: run `(sudo )?(apt-get install -y redis-server redis-sentinel|install Redis 7)/,
    );
    assert.equal(readState(dir), undefined, 'nothing was started');
  });

  void test('cluster - a busy --base-port is refused before anything starts', async () => {
    const port = await freePort();
    const srv: Server = createServer();
    await new Promise<void>((r) => srv.listen(port, '127.0.0.1', r));
    try {
      const dir = tempDir();
      const r = runVigil(['up', '--dir', dir, '--impl', 'redis', '--base-port', String(port)]);
      assert.equal(r.code, 1);
      assert.match(
        oneLine(r.stderr),
        new RegExp(`^vigil: port ${port} on 127.0.0.1 is in use: pick another --base-port`),
      );
      assert.equal(readState(dir), undefined, 'nothing was started');
    } finally {
      srv.close();
    }
  });
});

void describe('cluster - vigil demo', { skip: missingClusterBinaries(), timeout: 180_000 }, () => {
  const dir = makeTempDir();
  after(() => {
    // The demo stops its own cluster; make sure, then remove the directory.
    assert.deepEqual(recordedAlive(dir), []);
    removeDir(dir);
  });

  void test('cluster - demo kills the master under a writer and reports gap and lost writes', async () => {
    const r = runVigil(['demo', '--dir', dir, '--impl', IMPL, '--down-after', String(TEST_DOWN_AFTER_MS)]);
    try {
      assert.equal(r.code, 0);
      assert.match(r.stdout, /^\s+0 ms\s+kill -9 \d+$/m);
      assert.match(r.stdout, /^\s+\d+ ms\s+s\d \S+\s+\+sdown master mymaster /m);
      assert.match(r.stdout, /^\s+\d+ ms\s+s\d \S+\s+\+switch-master mymaster /m);
      assert.match(r.stdout, /writer: writes succeed again/);
      const gap = /write gap:\s+(\d+) ms/.exec(r.stdout);
      assert.ok(gap);
      // The gap cannot be shorter than the sentinels' detection time.
      assert.ok(Number(gap[1]) >= TEST_DOWN_AFTER_MS, `gap ${gap[1]} ms`);
      const lost = /writes lost:\s+(\d+) of (\d+) acknowledged/.exec(r.stdout);
      assert.ok(lost);
      assert.ok(Number(lost[2]) > 20);
    } catch (e) {
      // Show the whole narration: on a loaded machine the timeline explains most failures.
      throw new Error(`${(e as Error).message}\n--- stdout\n${r.stdout}\n--- stderr\n${r.stderr}`, { cause: e });
    }
    const st = readState(dir);
    assert.ok(st?.stoppedAt, 'the demo stopped its cluster');
    await waitAllGone(
      st.processes.map((p) => p.pid),
      'after vigil demo',
    );
  });
});
