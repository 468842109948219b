import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Harness, vigilSentinelCommand } from '../harness/index.js';
import { addrOf, call, collectEvents, failoverAccepted, masterAddr, record, startCluster } from './sentinel-helpers.js';

void describe('sentinel - process behaviour', () => {
  const h = new Harness();
  after(() => h.cleanup());

  void test('sentinel - missing or unwritable config exits 1 with the Redis message', () => {
    const { cmd, args } = vigilSentinelCommand();
    const dir = h.tempDir();
    const missing = spawnSync(cmd, [...args, join(dir, 'nope.conf')], { encoding: 'utf8', timeout: 20000 });
    assert.equal(missing.status, 1);
    assert.match(
      missing.stdout + missing.stderr,
      /Fatal error, can't open config file '.*nope\.conf': No such file or directory/,
    );
    const none = spawnSync(cmd, args, { encoding: 'utf8', timeout: 20000 });
    assert.equal(none.status, 1);
    assert.match(none.stdout + none.stderr, /Sentinel needs config file on disk to save state\. Exiting\.\.\./);
    if (process.getuid?.() !== 0) {
      const ro = join(dir, 'ro.conf');
      writeFileSync(ro, 'sentinel monitor m 127.0.0.1 6379 1\n');
      chmodSync(ro, 0o444);
      const r = spawnSync(cmd, [...args, ro], { encoding: 'utf8', timeout: 20000 });
      assert.equal(r.status, 1);
      assert.match(r.stdout + r.stderr, /is not writable: Permission denied\. Exiting\.\.\./);
    }
  });

  void test('sentinel - scripts run on failover, config is persisted, SIGTERM exits 0', async () => {
    const dir = h.tempDir();
    const outFile = join(dir, 'calls.txt');
    const script = join(dir, 'script.sh');
    writeFileSync(script, `#!/bin/sh\necho "$0 $*" >> ${outFile}\n`);
    chmodSync(script, 0o755);
    const cl = await startCluster(h, {
      impls: ['vigil'],
      quorum: 1,
      replicas: 1,
      extraConf: [
        `sentinel notification-script mymaster ${script}`,
        `sentinel client-reconfig-script mymaster ${script}`,
      ].join('\n'),
    });
    const s = cl.sentinels[0]!;
    await h.waitFor(
      async () =>
        (await call(s.port, 'SENTINEL', 'REPLICAS', 'mymaster')) instanceof Array &&
        ((await call(s.port, 'SENTINEL', 'REPLICAS', 'mymaster')) as unknown[]).length === 1,
      {
        name: 'replica discovered',
        timeoutMs: 15000,
        intervalMs: 100,
      },
    );
    await h.waitFor(
      async () => {
        const info = String(await call(cl.replicas[0]!.port, 'INFO', 'replication'));
        return info.includes('master_link_status:up');
      },
      { name: 'replica in sync', timeoutMs: 15000, intervalMs: 100 },
    );
    // The sentinel may have seen the replica's link down at its first INFO; wait for a fresh one (1 s when down).
    await failoverAccepted(h, s.port);
    const target = addrOf(cl.replicas[0]!);
    await h.waitFor(async () => (await masterAddr(s)) === target, {
      name: 'switched',
      timeoutMs: 15000,
      intervalMs: 50,
    });
    const calls = await h.waitFor(
      () => {
        if (!existsSync(outFile)) return null;
        const text = readFileSync(outFile, 'utf8');
        return text.includes(' leader start ') && text.includes('+switch-master') ? text : null;
      },
      { name: 'scripts ran', timeoutMs: 15000, intervalMs: 100 },
    );
    assert.ok(
      calls.includes(
        `${script} mymaster leader start ${addrOf(cl.master).replace(':', ' ')} ${target.replace(':', ' ')}`,
      ),
      calls,
    );
    assert.ok(
      calls.includes(
        `${script} +switch-master mymaster ${addrOf(cl.master).replace(':', ' ')} ${target.replace(':', ' ')}`,
      ),
      calls,
    );
    // The flush is asynchronous (fsync off the event loop): wait for the promoted address to be on disk.
    const conf = await h.waitFor(
      () => {
        const text = readFileSync(s.confPath, 'utf8');
        return text.includes(`sentinel monitor mymaster 127.0.0.1 ${cl.replicas[0]!.port} 1`) ? text : null;
      },
      { name: 'new master address persisted', timeoutMs: 10000, intervalMs: 50 },
    );
    assert.match(conf, /sentinel config-epoch mymaster 1/);
    assert.match(conf, /sentinel current-epoch 1/);
    assert.match(conf, new RegExp(`sentinel known-replica mymaster 127\\.0\\.0\\.1 ${cl.master.port}`));
  });

  void test('sentinel - a stalled sentinel enters TILT and reports it', async () => {
    const cl = await startCluster(h, { impls: ['vigil'], quorum: 1, replicas: 0 });
    const s = cl.sentinels[0]!;
    const ev = await collectEvents(s);
    // The server answers PING before the sentinel has finished starting (first flush); a stall during start-up
    // is deliberately not a TILT. Links are opened by the first tick, so a connected master means it is running.
    await h.waitFor(async () => record(await call(s.port, 'SENTINEL', 'MASTER', 'mymaster')).flags === 'master', {
      name: 'sentinel running (master link up)',
      timeoutMs: 10000,
      intervalMs: 50,
    });
    s.pause();
    const resumeAt = Date.now() + 2600;
    await h.waitFor(() => Date.now() > resumeAt, {
      name: 'stall longer than TILT-TRIGGER',
      timeoutMs: 5000,
      intervalMs: 100,
    });
    s.resume();
    await h.waitFor(() => ev.events.some(([c, p]) => c === '+tilt' && p === '#tilt mode entered'), {
      name: '+tilt',
      timeoutMs: 10000,
    });
    const info = String(await call(s.port, 'INFO', 'sentinel'));
    assert.match(info, /sentinel_tilt:1/);
    ev.close();
  });

  // Open by default (issue 12): like Redis, no bind + no password listens for anyone; Vigil says so at start-up.
  void test('sentinel - warns at start-up when open to every interface without a password, not otherwise', async () => {
    const warning =
      /^\d+:X \d\d \w{3} \d{4} [\d:.]+ # WARNING: this sentinel accepts commands from anyone .*Fix: add 'bind 127\.0\.0\.1 <private-ip>' or 'requirepass <password>'/;
    const started = async (conf: string): Promise<string[]> => {
      const s = await h.sentinel({ impl: 'vigil', conf });
      const ready = await h.waitFor(() => s.proc.output().some((l) => l.includes('Ready to accept connections')), {
        name: 'ready logged',
        timeoutMs: 10000,
        intervalMs: 50,
      });
      assert.ok(ready);
      const out = s.proc.output();
      await s.kill();
      return out;
    };
    const open = await started('sentinel monitor m 127.0.0.1 1 1');
    assert.equal(open.filter((l) => warning.test(l)).length, 1, open.join('\n'));
    for (const conf of [
      'bind 127.0.0.1\nsentinel monitor m 127.0.0.1 1 1',
      'requirepass s3cret\nsentinel monitor m 127.0.0.1 1 1',
      'user default on >pw ~* &* +@all\nsentinel monitor m 127.0.0.1 1 1',
      'protected-mode yes\nsentinel monitor m 127.0.0.1 1 1',
    ]) {
      const out = await started(conf);
      assert.ok(!out.some((l) => l.includes('WARNING: this sentinel accepts')), `${conf}\n${out.join('\n')}`);
    }
  });
});
