// Bad configuration: each malformed sentinel.conf line makes the process exit non-zero at start-up with a message
// that names the line (its text or its line number), like redis-sentinel's "*** FATAL CONFIG FILE ERROR ***
// Reading the configuration file, at line N / >>> '<line>'". A healthy sentinel running alongside is unaffected.
// Runs against ours by default; VIGIL_BADINPUT_IMPL=redis proves the table against the real one.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  Harness,
  missingBinaries,
  freePort,
  vigilSentinelCommand,
  type SentinelImpl,
  type SentinelProc,
} from '../harness/index.js';
import { startDataNodes, sentinelConf } from '../harness/fleet.js';
import { WireClient, items, record } from '../harness/wire.js';

const IMPL: SentinelImpl = process.env.VIGIL_BADINPUT_IMPL === 'redis' ? 'redis' : 'vigil';

/** Bad line -> Redis 7.0.15's message (for the reader; the assertion is on exit code and naming the line). */
const BAD_LINES: Array<[string, string]> = [
  ['sentinel monitor other 127.0.0.1 6379 0', 'Quorum must be 1 or greater.'],
  ['sentinel monitor other 127.0.0.1 99999 2', 'Invalid port number.'],
  ['sentinel monitor other not_a_host 6379 2', "Can't resolve instance hostname."],
  ['sentinel monitor other 127.0.0.1', 'Unrecognized sentinel configuration statement.'],
  ['sentinel monitor mymaster 127.0.0.1 6380 1', 'Duplicate master name.'],
  ['sentinel monitor "unterminated 127.0.0.1 6379 2', 'Unbalanced quotes in configuration line'],
  ['sentinel down-after-milliseconds nosuch 1000', 'No such master with specified name.'],
  ['sentinel down-after-milliseconds mymaster 0', 'negative or zero time parameter.'],
  ['sentinel down-after-milliseconds mymaster abc', 'negative or zero time parameter.'],
  ['sentinel failover-timeout mymaster -5', 'negative or zero time parameter.'],
  ['sentinel known-replica nosuch 127.0.0.1 1234', 'No such master with specified name.'],
  ['sentinel bogus-directive 1', 'Unrecognized sentinel configuration statement.'],
  ['sentinel quorum mymaster 2', 'Unrecognized sentinel configuration statement.'],
  ['sentinel myid tooshort', 'Malformed Sentinel id in myid option.'],
  ['port notanumber', "argument couldn't be parsed into an integer"],
  ['nosuchdirective yes', 'Bad directive or wrong number of arguments'],
];

void describe(
  `badinput - malformed config lines make ${IMPL}-sentinel exit non-zero naming the line`,
  { skip: missingBinaries('redis-server', 'redis-sentinel') },
  () => {
    const h = new Harness();
    after(() => h.cleanup());
    let healthy: SentinelProc;

    before(async () => {
      const { master } = await startDataNodes(h, 0);
      healthy = await h.sentinel({ conf: sentinelConf('mymaster', master.port, { impls: [], quorum: 1 }), impl: IMPL });
    });

    async function assertHealthy(): Promise<void> {
      assert.ok(healthy.proc.running, 'the healthy sentinel exited');
      const c = await WireClient.connect(healthy.port);
      try {
        assert.deepEqual(await c.call('PING'), { t: 'simple', v: 'PONG' });
        assert.deepEqual(
          items(await c.call('SENTINEL', 'MASTERS')).map((m) => record(m).name),
          ['mymaster'],
        );
      } finally {
        c.close();
      }
    }

    for (const [line, redisMessage] of BAD_LINES) {
      void test(`badinput - config line \`${line}\` (redis: ${redisMessage})`, async () => {
        const dir = h.tempDir('vigil-badconf-');
        const confPath = join(dir, 'sentinel.conf');
        // The bad line is line 3, after a comment and a valid monitor line. That master points at port 1 (nothing
        // listens there), so a process that wrongly starts cannot join the healthy sentinel through hellos.
        writeFileSync(
          confPath,
          `# bad config test\nsentinel monitor mymaster 127.0.0.1 1 1\n${line}\nsentinel failover-timeout mymaster 10000\n`,
        );
        const port = await freePort();
        const { cmd, args } =
          IMPL === 'redis' ? { cmd: 'redis-sentinel', args: [] as string[] } : vigilSentinelCommand();
        const p = await h.spawn(cmd, [...args, confPath, '--port', String(port)], {
          name: `${IMPL}-sentinel (bad config)`,
          cwd: dir,
        });
        // Done when it exits, or as soon as it answers PING (it started despite the bad line: no need to wait).
        const outcome = await h
          .waitFor(
            async () => {
              if (!p.running) return 'exited';
              const c = await WireClient.connect(port, { connectTimeoutMs: 300 });
              c.close();
              return 'listening';
            },
            { name: 'bad-config sentinel exits or starts listening', timeoutMs: 15000, intervalMs: 100 },
          )
          .catch(() => 'neither');
        if (outcome !== 'exited') await p.kill('SIGKILL');
        const exited = outcome === 'exited';
        const out = p.output().join('\n');
        assert.ok(
          exited,
          `did not exit with a bad config line (${outcome === 'listening' ? 'it accepted connections' : 'still running after 15 s'}); output:\n${out}`,
        );
        assert.equal(p.exitSignal, null, `killed by ${p.exitSignal}`);
        assert.notEqual(p.exitCode, 0, `exit code 0 for a bad config line; output:\n${out}`);
        const namesLine = out.includes(line) || /line\D{0,3}3\b/i.test(out);
        assert.ok(namesLine, `the error output does not name line 3 or quote it:\n${out}`);
        await assertHealthy();
      });
    }
  },
);
