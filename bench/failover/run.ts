// Failover benchmark: an ioredis client writes INCR every few ms through the sentinels; the master is killed with
// SIGKILL; we measure the client-visible write gap, the time to the first +switch-master and acknowledged writes
// lost. Real redis-sentinel and vigil alternate in the same run with identical settings.
//   npx tsx bench/failover/run.ts [--runs 5] [--down-after 1000] [--interval 5] [--fault kill|stop]
//                                 [--out bench/failover/results.json]
//   --scrape: Vigil only, every sentinel with its HTTP endpoint on; runs alternate between no scraper and a scraper
//   fetching /metrics from every sentinel once a second (docs/benchmarks.md, "Scraping /metrics").
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { Redis } from 'ioredis';
import { Harness, RespClient } from '../../test/harness/index.js';
import { freePort } from '../../test/harness/ports.js';
import type { SentinelImpl, SentinelProc } from '../../test/harness/index.js';

const { values } = parseArgs({
  options: {
    runs: { type: 'string', default: '5' },
    'down-after': { type: 'string', default: '1000' },
    interval: { type: 'string', default: '5' },
    out: { type: 'string', default: 'bench/failover/results.json' },
    fault: { type: 'string', default: 'kill' },
    scrape: { type: 'boolean', default: false },
  },
});
const RUNS = Number(values.runs);
const DOWN_AFTER = Number(values['down-after']);
const INTERVAL = Number(values.interval);
const FAULT = values.fault === 'stop' ? 'stop' : 'kill';

interface RunResult {
  impl: SentinelImpl;
  /** `redis`, `vigil`, or with --scrape `vigil` (endpoint on, not scraped) / `vigil+scrape`. */
  variant: string;
  gapMs: number;
  switchMs: number;
  lostAcked: number;
  acked: number;
}

async function oneRun(impl: SentinelImpl, scrape?: boolean): Promise<RunResult> {
  const h = new Harness();
  let scraper: NodeJS.Timeout | undefined;
  let scrapes = 0;
  try {
    const httpPorts: number[] = [];
    const master = await h.redis();
    const replicas = [
      await h.redis({ args: ['--replicaof', master.host, String(master.port)] }),
      await h.redis({ args: ['--replicaof', master.host, String(master.port)] }),
    ];
    const sentinels: SentinelProc[] = [];
    for (let i = 0; i < 3; i++) {
      sentinels.push(
        await h.sentinel({
          impl,
          conf: [
            `sentinel monitor mymaster ${master.host} ${master.port} 2`,
            `sentinel down-after-milliseconds mymaster ${DOWN_AFTER}`,
            'sentinel failover-timeout mymaster 10000',
          ].join('\n'),
          ...(scrape !== undefined
            ? { args: ['--http', `127.0.0.1:${httpPorts[httpPorts.push(await freePort()) - 1]}`] }
            : {}),
        }),
      );
    }
    if (scrape) {
      scraper = setInterval(() => {
        for (const p of httpPorts) {
          fetch(`http://127.0.0.1:${p}/metrics`)
            .then((r) => r.text())
            .then(() => scrapes++)
            .catch(() => undefined);
        }
      }, 1000);
    }
    // Wait until every sentinel knows both replicas and both peers.
    await h.waitFor(
      async () => {
        for (const s of sentinels) {
          const c = await RespClient.connect(s.port);
          try {
            const reps = await c.call('SENTINEL', 'REPLICAS', 'mymaster');
            const peers = await c.call('SENTINEL', 'SENTINELS', 'mymaster');
            if (!Array.isArray(reps) || reps.length !== 2 || !Array.isArray(peers) || peers.length !== 2) return false;
          } finally {
            c.close();
          }
        }
        return true;
      },
      { name: 'discovery', timeoutMs: 30000, intervalMs: 200 },
    );
    // Wait for replicas to be in sync so they are promotable.
    await h.waitFor(
      async () => {
        for (const r of replicas) {
          const c = await RespClient.connect(r.port);
          try {
            const info = String(await c.call('INFO', 'replication'));
            if (!info.includes('master_link_status:up')) return false;
          } finally {
            c.close();
          }
        }
        return true;
      },
      { name: 'replicas in sync', timeoutMs: 20000, intervalMs: 100 },
    );

    let switchAt = 0;
    const subs: RespClient[] = [];
    for (const s of sentinels) {
      const c = await RespClient.connect(s.port);
      c.onPush((m) => {
        if (String(m[0]) === 'message' && String(m[1]) === '+switch-master' && switchAt === 0) switchAt = Date.now();
      });
      await c.call('SUBSCRIBE', '+switch-master');
      subs.push(c);
    }

    const client = new Redis({
      sentinels: sentinels.map((s) => ({ host: s.host, port: s.port })),
      name: 'mymaster',
      enableOfflineQueue: false,
      connectTimeout: 500,
      retryStrategy: () => 20,
      sentinelRetryStrategy: () => 20,
      maxRetriesPerRequest: 0,
      lazyConnect: false,
      // A stopped master never closes the connection: time commands out and follow +switch-master.
      ...(FAULT === 'stop' ? { commandTimeout: 250, failoverDetector: true } : {}),
    });
    client.on('error', () => {});
    await h.waitFor(() => client.status === 'ready', { name: 'client ready', timeoutMs: 10000 });

    const acks: Array<{ at: number; v: number }> = [];
    let stop = false;
    const writer = (async () => {
      while (!stop) {
        try {
          const v = await client.incr('counter');
          acks.push({ at: Date.now(), v });
        } catch {
          // not acknowledged
        }
        await new Promise((r) => setTimeout(r, INTERVAL));
      }
    })();
    await new Promise((r) => setTimeout(r, 300));
    const killAt = Date.now();
    if (FAULT === 'stop') master.pause();
    else await master.kill('SIGKILL');
    await h.waitFor(() => acks.some((a) => a.at > killAt + 50), {
      name: 'writes resume',
      timeoutMs: 60000,
      intervalMs: 20,
    });
    await new Promise((r) => setTimeout(r, 200));
    stop = true;
    await writer;
    client.disconnect();
    for (const c of subs) c.close();

    // Replies already in flight when the signal was sent arrive a few ms later but come from the old master.
    const IN_FLIGHT_MS = 20;
    const before = acks.filter((a) => a.at <= killAt + IN_FLIGHT_MS);
    const afterKill = acks.filter((a) => a.at > killAt + IN_FLIGHT_MS);
    const lastBefore = before[before.length - 1];
    const firstAfter = afterKill[0];
    if (!lastBefore || !firstAfter) throw new Error('no writes around the kill');
    // Values handed out after the failover restart from the promoted replica's copy: every acknowledged value at
    // or above the first post-failover value was lost.
    const lostAcked = before.filter((a) => a.v >= firstAfter.v).length;
    if (scrape) console.log(`  (${scrapes} scrapes of /metrics during the run)`);
    return {
      impl,
      variant: scrape === undefined ? impl : scrape ? 'vigil+scrape' : 'vigil',
      gapMs: firstAfter.at - lastBefore.at,
      switchMs: switchAt > 0 ? switchAt - killAt : -1,
      lostAcked,
      acked: acks.length,
    };
  } finally {
    if (scraper) clearInterval(scraper);
    await h.cleanup();
  }
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? (s[m] ?? 0) : ((s[m - 1] ?? 0) + (s[m] ?? 0)) / 2;
};

const results: RunResult[] = [];
const variants: Array<[SentinelImpl, boolean | undefined]> = values.scrape
  ? [
      ['vigil', false],
      ['vigil', true],
    ]
  : [
      ['redis', undefined],
      ['vigil', undefined],
    ];
for (let i = 0; i < RUNS; i++) {
  for (const [impl, scrape] of variants) {
    const r = await oneRun(impl, scrape);
    results.push(r);
    console.log(
      `run ${i + 1} ${r.variant.padEnd(12)} gap=${r.gapMs} ms switch=${r.switchMs} ms lostAcked=${r.lostAcked} acked=${r.acked}`,
    );
  }
}
const summary: Record<string, { gapMs: number; switchMs: number; lostAcked: number }> = {};
for (const variant of [...new Set(results.map((r) => r.variant))]) {
  const rs = results.filter((r) => r.variant === variant);
  summary[variant] = {
    gapMs: median(rs.map((r) => r.gapMs)),
    switchMs: median(rs.map((r) => r.switchMs)),
    lostAcked: median(rs.map((r) => r.lostAcked)),
  };
}
const ratio = values.scrape
  ? (summary['vigil+scrape']?.gapMs ?? 0) / (summary.vigil?.gapMs ?? 1)
  : (summary.vigil?.gapMs ?? 0) / (summary.redis?.gapMs ?? 1);
console.log(`\nmedians (fault ${FAULT}, down-after ${DOWN_AFTER} ms, ${RUNS} runs each):`);
for (const [impl, s] of Object.entries(summary)) {
  console.log(
    `  ${impl.padEnd(5)} gap ${s.gapMs} ms, +switch-master ${s.switchMs} ms, acked writes lost ${s.lostAcked}`,
  );
}
console.log(`  ${values.scrape ? 'scraped/unscraped' : 'vigil/redis'} write-gap ratio: ${ratio.toFixed(2)}`);
writeFileSync(
  values.out,
  JSON.stringify(
    { fault: FAULT, downAfterMs: DOWN_AFTER, intervalMs: INTERVAL, runs: RUNS, results, summary, ratio },
    null,
    2,
  ) + '\n',
);
process.exit(0);
