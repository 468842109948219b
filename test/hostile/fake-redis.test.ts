// A fake redis-server (test/hostile/fake-redis.ts) monitored by a sentinel answers INFO with poison: a 512 MB
// bulk header followed by a stream of bytes, a 2^31-1 element array, malformed RESP, a huge INFO listing
// thousands of replicas. The sentinel must close that link (Vigil logs why), stay responsive, keep its memory,
// and keep monitoring a real master next to it. The same script runs against redis-sentinel 7.0.15 and what it
// does is printed and asserted where stable (docs/security.md, "Peer and client input").
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Harness, missingBinaries, type SentinelImpl, type SentinelProc } from '../harness/index.js';
import { call, record } from '../integration/sentinel-helpers.js';
import { FakeRedis, bulk, masterInfo, rssMb } from './fake-redis.js';

const skip = missingBinaries('redis-server', 'redis-sentinel');
const STREAM_MB = 64;

for (const impl of ['vigil', 'redis'] as SentinelImpl[]) {
  void describe(`hostile instance - ${impl}`, { skip }, () => {
    const h = new Harness();
    const fakes: FakeRedis[] = [];
    after(async () => {
      await Promise.all(fakes.map((f) => f.close()));
      await h.cleanup();
    });

    async function watch(fake: FakeRedis): Promise<SentinelProc> {
      const real = await h.redis();
      return h.sentinel({
        impl,
        conf: [
          `sentinel monitor evil 127.0.0.1 ${fake.port} 1`,
          `sentinel monitor good ${real.host} ${real.port} 1`,
          'sentinel down-after-milliseconds good 2000',
          'logfile sentinel.log',
        ].join('\n'),
      });
    }
    const log = (s: SentinelProc): string => readFileSync(join(s.dir, 'sentinel.log'), 'utf8');
    const goodIsUp = async (s: SentinelProc): Promise<void> => {
      assert.equal(await call(s.port, 'PING'), 'PONG');
      const flags = record(await call(s.port, 'SENTINEL', 'MASTER', 'good')).flags;
      assert.equal(flags, 'master', `good master flags: ${flags}`);
    };

    void test(`hostile instance - 512 MB bulk header then a byte stream (${impl})`, { timeout: 60_000 }, async () => {
      let streamed = 0;
      const fake = await FakeRedis.start({
        info: (sock) => {
          sock.write('$536870912\r\n');
          const chunk = Buffer.alloc(1024 * 1024, 'x');
          const pump = (): void => {
            while (streamed < STREAM_MB && !sock.destroyed) {
              streamed++;
              if (!sock.write(chunk)) return void sock.once('drain', pump);
            }
          };
          pump();
        },
      });
      fakes.push(fake);
      const s = await watch(fake);
      const rss0 = rssMb(s.pid);
      await h.waitFor(() => fake.infoRequests > 0, { name: 'INFO asked', timeoutMs: 15000, intervalMs: 50 });
      if (impl === 'vigil') {
        await h.waitFor(() => fake.closedAfterPoison > 0, { name: 'link closed', timeoutMs: 10000, intervalMs: 50 });
        assert.match(
          log(s),
          /Closed the link to 127\.0\.0\.1:\d+: protocol error: Protocol error: invalid bulk length/,
        );
      } else {
        await h.waitFor(() => streamed >= STREAM_MB || fake.closedAfterPoison > 0, {
          name: 'stream sent or link closed',
          timeoutMs: 20000,
          intervalMs: 50,
        });
      }
      await goodIsUp(s);
      const grew = rssMb(s.pid) - rss0;
      console.log(
        `${impl}: 512 MB bulk header + ${streamed} MB stream: RSS +${grew.toFixed(1)} MB, links closed ${fake.closedAfterPoison}`,
      );
      if (impl === 'vigil') assert.ok(grew < STREAM_MB / 2, `RSS grew ${grew} MB`);
    });

    void test(`hostile instance - *2147483647 and malformed RESP (${impl})`, { timeout: 60_000 }, async () => {
      const huge = await FakeRedis.start({ info: (sock) => sock.write('*2147483647\r\n') });
      const junk = await FakeRedis.start({ info: (sock) => sock.write('?what\r\n') });
      fakes.push(huge, junk);
      const s1 = await watch(huge);
      const s2 = await watch(junk);
      await h.waitFor(() => huge.infoRequests > 0 && junk.infoRequests > 0, {
        name: 'INFO asked',
        timeoutMs: 15000,
        intervalMs: 50,
      });
      if (impl === 'vigil') {
        await h.waitFor(() => huge.closedAfterPoison > 0 && junk.closedAfterPoison > 0, {
          name: 'links closed',
          timeoutMs: 10000,
          intervalMs: 50,
        });
        assert.match(
          log(s1),
          /Closed the link to 127\.0\.0\.1:\d+: protocol error: Protocol error: invalid multibulk length/,
        );
        assert.match(
          log(s2),
          /Closed the link to 127\.0\.0\.1:\d+: protocol error: Protocol error: unknown reply type/,
        );
      } else {
        // redis-sentinel (hiredis) closes on a bad type byte; the huge array header it accepts and waits on.
        await h.waitFor(() => junk.closedAfterPoison > 0, {
          name: 'junk link closed',
          timeoutMs: 10000,
          intervalMs: 50,
        });
      }
      await goodIsUp(s1);
      await goodIsUp(s2);
      console.log(
        `${impl}: *2147483647 -> links closed ${huge.closedAfterPoison}; '?what' -> links closed ${junk.closedAfterPoison}`,
      );
    });

    // Not run against redis-sentinel: it keeps every replica and connects to each (did not settle within 60 s).
    void test(
      `hostile instance - an 8 MB INFO listing 5000 replicas (${impl})`,
      { timeout: 60_000, skip: impl === 'redis' },
      async () => {
        const reps: Array<[string, number]> = [];
        for (let i = 0; i < 5000; i++) reps.push([`127.0.${1 + (i >> 8)}.${i & 255}`, 1 + i]);
        const text = masterInfo(reps, `# Padding\r\n${`pad:${'y'.repeat(1000)}\r\n`.repeat(7500)}`);
        const fake = await FakeRedis.start({ info: (sock) => sock.write(bulk(text)) });
        fakes.push(fake);
        const s = await watch(fake);
        const count = async (): Promise<number> => {
          const r = await call(s.port, 'SENTINEL', 'REPLICAS', 'evil');
          return Array.isArray(r) ? r.length : -1;
        };
        await h.waitFor(async () => (await count()) > 0, {
          name: 'replicas discovered',
          timeoutMs: 20000,
          intervalMs: 100,
        });
        await goodIsUp(s);
        const n = await count();
        console.log(`${impl}: INFO of ${(text.length / 1e6).toFixed(1)} MB with 5000 replicas -> ${n} replicas kept`);
        assert.equal(n, 256);
        assert.match(log(s), /already 256 replicas known/);
      },
    );
  });
}
