// Glob patterns come from clients: SENTINEL RESET with a backtracking-bait pattern against a 60-character master
// name used to keep the event loop busy for seconds (no PING answered, no votes, no failovers). Both Vigil and
// redis-sentinel 7.0.15 (which has the CVE-2022-36021 guard) must answer PING promptly while it runs.
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Harness, RespClient, missingBinaries, type SentinelImpl } from '../harness/index.js';

const skip = missingBinaries('redis-server', 'redis-sentinel');
const NAME = 'a'.repeat(60);

for (const impl of ['vigil', 'redis'] as SentinelImpl[]) {
  void describe(`hostile glob - ${impl}`, { skip }, () => {
    const h = new Harness();
    after(() => h.cleanup());

    void test(
      `hostile glob - SENTINEL RESET with a pathological pattern does not stall PING (${impl})`,
      { timeout: 30_000 },
      async () => {
        const master = await h.redis();
        const s = await h.sentinel({
          impl,
          conf: `sentinel monitor ${NAME} ${master.host} ${master.port} 1\nsentinel down-after-milliseconds ${NAME} 5000`,
        });
        const admin = await RespClient.connect(s.port);
        const pinger = await RespClient.connect(s.port);
        try {
          const patterns = ['*a'.repeat(40) + 'b', `${'*a'.repeat(60)}*b`, `${'a*'.repeat(100)}[b]`];
          for (const p of patterns) {
            const t0 = Date.now();
            const reset = admin.call('SENTINEL', 'RESET', p);
            const pong = await pinger.call('PING');
            const pingMs = Date.now() - t0;
            assert.equal(pong, 'PONG');
            assert.equal(await reset, 0, 'nothing matches');
            const totalMs = Date.now() - t0;
            console.log(
              `${impl}: RESET ${p.length}-char pattern, PING answered in ${pingMs} ms, RESET in ${totalMs} ms`,
            );
            assert.ok(pingMs < 1000, `PING took ${pingMs} ms`);
            assert.ok(totalMs < 1000, `RESET took ${totalMs} ms`);
          }
          // A matching pattern still resets.
          assert.equal(await admin.call('SENTINEL', 'RESET', `*a${'?'.repeat(58)}a`), 1);
        } finally {
          admin.close();
          pinger.close();
        }
      },
    );
  });
}
