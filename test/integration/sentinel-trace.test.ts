// VIGIL_TRACE_FILE and `vigil replay-trace` on real processes: three Vigil sentinels watching real redis-servers
// record their cores' inputs through discovery, SENTINEL SET, a manual failover and the re-pointing of the
// replicas; each recording, replayed by the CLI through a fresh core, must give the recorded effects step for
// step. This is what catches a core that reads the wall clock or a random source behind its injected ones.
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Harness, missingBinaries } from '../harness/index.js';
import type { RedisProc, SentinelProc } from '../harness/index.js';
import { runVigil } from './cluster-helpers.js';
import { addrOf, call, failoverAccepted, masterAddr, replicasOf } from './sentinel-helpers.js';

void describe('sentinel - record and replay of the core', { skip: missingBinaries('redis-server') }, () => {
  const h = new Harness();
  after(() => h.cleanup());

  void test('trace - real sentinels through a failover replay identically with vigil replay-trace', async () => {
    const master = await h.redis();
    const replicas: RedisProc[] = [];
    for (let i = 0; i < 2; i++)
      replicas.push(await h.redis({ args: ['--replicaof', master.host, String(master.port)] }));
    const sentinels: SentinelProc[] = [];
    const traces: string[] = [];
    for (let i = 0; i < 3; i++) {
      const trace = join(h.tempDir('vigil-trace-'), 'core.trace');
      traces.push(trace);
      const conf = [
        `sentinel monitor mymaster ${master.host} ${master.port} 2`,
        'sentinel down-after-milliseconds mymaster 1000',
        'sentinel failover-timeout mymaster 6000',
      ].join('\n');
      sentinels.push(await h.sentinel({ conf, impl: 'vigil', env: { VIGIL_TRACE_FILE: trace } }));
    }
    const s = sentinels[0]!;
    assert.match(s.logTail(), /Recording the core's inputs to .*VIGIL_TRACE_FILE/);
    assert.equal(statSync(traces[0]!).mode & 0o777, 0o600, 'the trace holds secrets: owner-only');

    await h.waitFor(async () => (await replicasOf(s)).filter((r) => r['master-link-status'] === 'ok').length === 2, {
      name: 'both replicas known and linked',
      timeoutMs: 15000,
      intervalMs: 200,
    });
    assert.equal(await call(s.port, 'SENTINEL', 'SET', 'mymaster', 'down-after-milliseconds', '1500'), 'OK');
    await failoverAccepted(h, s.port);
    const after = await h.waitFor(
      async () => {
        const a = await masterAddr(sentinels[2]!);
        return a !== addrOf(master) && a !== '' ? a : null;
      },
      { name: 'every sentinel follows the new master', timeoutMs: 20000, intervalMs: 100 },
    );
    await h.waitFor(
      async () =>
        (await replicasOf(s)).filter((r) => r.flags === 'slave' && `${r['master-host']}:${r['master-port']}` === after)
          .length === 2,
      { name: 'the old master and the other replica re-pointed', timeoutMs: 20000, intervalMs: 200 },
    );
    for (const p of sentinels) await p.kill('SIGTERM');

    for (const [i, trace] of traces.entries()) {
      const text = readFileSync(trace, 'utf8');
      const lines = text.split('\n').filter(Boolean);
      assert.ok(lines.length > 100, `sentinel ${i}: ${lines.length} lines recorded`);
      assert.ok(text.includes('"+switch-master"'), `sentinel ${i} recorded the switch`);
      const r = runVigil(['replay-trace', trace]);
      assert.equal(r.code, 0, `sentinel ${i}: ${r.stdout}${r.stderr}`);
      assert.match(r.stdout, new RegExp(`^replayed ${lines.length - 1} steps: identical to the recording$`, 'm'));
    }

    // The CLI reports a difference (exit 1) with its line, and refuses a file that is not a trace (exit 1, the
    // divergence names line 1) or is missing (exit 2).
    const lines = readFileSync(traces[0]!, 'utf8').split('\n').filter(Boolean);
    const at = lines.findIndex((l, i) => i > 0 && l.includes('"t":"tick"') && !l.includes('"clock":[]'));
    const doc = JSON.parse(lines[at]!) as { clock: number[] };
    doc.clock = [];
    lines[at] = JSON.stringify(doc);
    const bad = join(h.tempDir('vigil-trace-bad-'), 'bad.trace');
    writeFileSync(bad, lines.join('\n'));
    const r = runVigil(['replay-trace', bad]);
    assert.equal(r.code, 1, r.stdout + r.stderr);
    assert.match(r.stdout, new RegExp(`step ${at} \\(line ${at + 1}\\) differs: the clock was read more often`));
    assert.equal(runVigil(['replay-trace', join(bad, 'nope')]).code, 2);
  });
});
