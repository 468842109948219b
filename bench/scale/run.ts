// Steady-state cost at scale: 3 sentinels monitoring N masters (default 200), real redis-sentinel and Vigil
// side by side in the same run and the same measurement window, each with its own redis-servers. Reports, per
// implementation: CPU of each sentinel, CPU of the monitored servers (sum), RSS of each sentinel, commands per
// second each monitored master receives, TILT entries, and (with --failover) the time from kill -9 of one extra
// master (with one replica) to the first +switch-master while all the others are monitored.
//
//   npx tsx bench/scale/run.ts [--masters 200] [--replicas 0] [--warmup 15] [--window 40] [--impl both|vigil|redis]
//                              [--down-after 5000] [--failover] [--profile DIR] ['--node-args=--flag ...']
//                              ['--node-args-b=--flag ...'] [--out bench/scale/results.json]
//
// --node-args (Vigil only; the `=` form, since the value starts with a dash) come after SENTINEL_NODE_FLAGS, so
// they override them: e.g. '--node-args=--optimize-for-size' to compare V8 flag sets. --node-args-b adds a second
// Vigil fleet ("vigil-b", its own servers) with those flags instead, in the same window: an A/B of two flag sets
// that the machine's load moves together.
//
// Both fleets run at once so that whatever else loads this shared machine loads both. CPU comes from
// /proc/PID/stat (utime+stime) deltas over the window, RSS (/proc/PID/status) and private memory as means of
// samples taken every second of the window (and RSS at its end), commands from each
// server's INFO stats total_commands_processed (minus our own two INFO calls). Vigil runs compiled (dist/), as
// bin/vigil-sentinel does: `npm run build` first.
import { readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { Redis } from 'ioredis';
import { Harness, RespClient } from '../../test/harness/index.js';
import type { RedisProc, SentinelImpl, SentinelProc } from '../../test/harness/index.js';

const { values } = parseArgs({
  options: {
    masters: { type: 'string', default: '200' },
    replicas: { type: 'string', default: '0' },
    warmup: { type: 'string', default: '15' },
    window: { type: 'string', default: '40' },
    impl: { type: 'string', default: 'both' },
    'down-after': { type: 'string', default: '5000' },
    failover: { type: 'boolean', default: false },
    profile: { type: 'string' },
    'node-args': { type: 'string' },
    'node-args-b': { type: 'string' },
    out: { type: 'string', default: 'bench/scale/results.json' },
  },
});
const MASTERS = Number(values.masters);
const REPLICAS = Number(values.replicas);
const WARMUP_S = Number(values.warmup);
const WINDOW_S = Number(values.window);
const DOWN_AFTER = Number(values['down-after']);
interface Variant {
  impl: SentinelImpl;
  label: string;
  nodeArgs: string[];
}
const split = (a: string | undefined): string[] => (a ? a.split(' ').filter((x) => x !== '') : []);
const VARIANTS: Variant[] = (
  values.impl === 'both' ? (['redis', 'vigil'] as SentinelImpl[]) : [values.impl as SentinelImpl]
).map((impl) => ({ impl, label: impl, nodeArgs: impl === 'vigil' ? split(values['node-args']) : [] }));
if (values['node-args-b'] !== undefined)
  VARIANTS.push({ impl: 'vigil', label: 'vigil-b', nodeArgs: split(values['node-args-b']) });
process.env.VIGIL_USE_DIST = '1';
const TICKS = 100; // USER_HZ on Linux

function cpuTicks(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return Number(fields[11]) + Number(fields[12]); // utime, stime (fields 14, 15 of stat)
}

function rssMb(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : NaN;
}

/**
 * Private memory (USS: Private_Clean + Private_Dirty of smaps_rollup): what this process alone costs. RSS also
 * counts the executable's pages shared by every process running it (~34 MB of a bare `node`'s 40 MB), so three
 * sentinels on one machine cost far less than three RSS figures.
 */
function ussMb(pid: number): number {
  const t = readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8');
  const kb = (k: string): number => Number(new RegExp(`^${k}:\\s+(\\d+) kB`, 'm').exec(t)?.[1] ?? NaN);
  return (kb('Private_Clean') + kb('Private_Dirty')) / 1024;
}

async function commandsProcessed(port: number): Promise<number> {
  const c = await RespClient.connect(port);
  try {
    const info = String(await c.call('INFO', 'stats'));
    return Number(/total_commands_processed:(\d+)/.exec(info)?.[1] ?? NaN);
  } finally {
    c.close();
  }
}

async function inBatches<T, R>(items: T[], size: number, fn: (t: T) => Promise<R>): Promise<R[]> {
  const out: R[] = [];
  for (let i = 0; i < items.length; i += size) out.push(...(await Promise.all(items.slice(i, i + size).map(fn))));
  return out;
}

interface Fleet {
  impl: SentinelImpl;
  label: string;
  masters: RedisProc[];
  replicas: RedisProc[];
  foMaster?: RedisProc;
  foReplica?: RedisProc;
  sentinels: SentinelProc[];
  tilts: number;
  subs: Redis[];
}

async function startFleet(h: Harness, v: Variant): Promise<Fleet> {
  const impl = v.impl;
  const idx = Array.from({ length: MASTERS }, (_, i) => i);
  const masters = await inBatches(idx, 16, () => h.redis());
  const replicas = (
    await inBatches(idx, 8, async (i) => {
      const m = masters[i]!;
      const reps: RedisProc[] = [];
      for (let r = 0; r < REPLICAS; r++) reps.push(await h.redis({ args: ['--replicaof', m.host, String(m.port)] }));
      return reps;
    })
  ).flat();
  const fleet: Fleet = { impl, label: v.label, masters, replicas, sentinels: [], tilts: 0, subs: [] };
  const lines: string[] = [];
  masters.forEach((m, i) => {
    lines.push(
      `sentinel monitor m${i} ${m.host} ${m.port} 2`,
      `sentinel down-after-milliseconds m${i} ${DOWN_AFTER}`,
      `sentinel failover-timeout m${i} 10000`,
    );
  });
  if (values.failover) {
    fleet.foMaster = await h.redis();
    fleet.foReplica = await h.redis({ args: ['--replicaof', fleet.foMaster.host, String(fleet.foMaster.port)] });
    lines.push(
      `sentinel monitor fo ${fleet.foMaster.host} ${fleet.foMaster.port} 2`,
      `sentinel down-after-milliseconds fo ${DOWN_AFTER}`,
      `sentinel failover-timeout fo 10000`,
    );
  }
  for (let i = 0; i < 3; i++) {
    const nodeArgs = [...v.nodeArgs];
    if (values.profile && impl === 'vigil') {
      mkdirSync(values.profile, { recursive: true });
      nodeArgs.push('--cpu-prof', `--cpu-prof-dir=${values.profile}`);
    }
    fleet.sentinels.push(await h.sentinel({ impl, conf: lines.join('\n'), nodeArgs }));
  }
  const expectedMasters = MASTERS + (values.failover ? 1 : 0);
  // Discovery: every sentinel lists every master as ok with 3 sentinels and its replicas.
  await h.waitFor(
    async () => {
      for (const s of fleet.sentinels) {
        const c = await RespClient.connect(s.port);
        try {
          const info = String(await c.call('INFO', 'sentinel'));
          const rows = info.split('\n').filter((l) => /^master\d+:/.test(l));
          if (rows.length !== expectedMasters) return false;
          for (const r of rows) {
            if (!r.includes('status=ok') || !r.includes('sentinels=3')) return false;
            const want = r.includes('name=fo,') ? 1 : REPLICAS;
            if (!r.includes(`slaves=${want},`)) return false;
          }
        } finally {
          c.close();
        }
      }
      return true;
    },
    { name: `${v.label} discovery of ${expectedMasters} masters`, timeoutMs: 180000, intervalMs: 1000 },
  );
  for (const s of fleet.sentinels) {
    const sub = new Redis({ host: s.host, port: s.port, lazyConnect: true, maxRetriesPerRequest: 1 });
    await sub.connect();
    await sub.subscribe('+tilt');
    sub.on('message', () => fleet.tilts++);
    fleet.subs.push(sub);
  }
  return fleet;
}

interface Snapshot {
  sentinelTicks: number[];
  serverTicks: number;
  commands: number[];
}

async function snapshot(f: Fleet): Promise<Snapshot> {
  const servers = [...f.masters, ...f.replicas];
  return {
    sentinelTicks: f.sentinels.map((s) => cpuTicks(s.pid)),
    serverTicks: servers.reduce((a, s) => a + cpuTicks(s.pid), 0),
    commands: await inBatches(f.masters, 32, (m) => commandsProcessed(m.port)),
  };
}

async function timeFailover(f: Fleet): Promise<number> {
  const sub = new Redis({ host: f.sentinels[0]!.host, port: f.sentinels[0]!.port, maxRetriesPerRequest: 1 });
  try {
    await sub.subscribe('+switch-master');
    const switched = new Promise<number>((resolve) => {
      sub.on('message', (_ch: string, msg: string) => {
        if (msg.startsWith('fo ')) resolve(Date.now());
      });
    });
    const t0 = Date.now();
    await f.foMaster!.kill('SIGKILL');
    const deadline = new Promise<number>((_, rej) =>
      setTimeout(() => rej(new Error(`${f.label}: no +switch-master for fo within 60 s`)), 60000),
    );
    return (await Promise.race([switched, deadline])) - t0;
  } finally {
    sub.disconnect();
  }
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};

async function main(): Promise<void> {
  const h = new Harness();
  const fleets: Fleet[] = [];
  try {
    for (const v of VARIANTS) {
      const t = Date.now();
      fleets.push(await startFleet(h, v));
      console.log(
        `${v.label}: sentinel pids ${fleets
          .at(-1)!
          .sentinels.map((x) => x.pid)
          .join(' ')}`,
      );
      console.log(`${v.label}: fleet up in ${((Date.now() - t) / 1000).toFixed(1)} s`);
    }
    console.log(
      `warm-up ${WARMUP_S} s, window ${WINDOW_S} s; load average ${readFileSync('/proc/loadavg', 'utf8').trim()}`,
    );
    await new Promise((r) => setTimeout(r, WARMUP_S * 1000));
    const before = await Promise.all(fleets.map(snapshot));
    const tiltsBefore = fleets.map((f) => f.tilts);
    const t0 = Date.now();
    // RSS and private memory sampled every second of the window (a GC moves them by a few MB): their means.
    const mem = fleets.map((f) => f.sentinels.map(() => ({ rss: 0, uss: 0, n: 0 })));
    const sampler = setInterval(() => {
      fleets.forEach((f, i) =>
        f.sentinels.forEach((s, k) => {
          const m = mem[i]![k]!;
          m.rss += rssMb(s.pid);
          m.uss += ussMb(s.pid);
          m.n++;
        }),
      );
    }, 1000);
    await new Promise((r) => setTimeout(r, WINDOW_S * 1000));
    clearInterval(sampler);
    const after = await Promise.all(fleets.map(snapshot));
    const secs = (Date.now() - t0) / 1000;
    const load = readFileSync('/proc/loadavg', 'utf8').trim();
    const results = fleets.map((f, i) => {
      const b = before[i]!;
      const a = after[i]!;
      const sentinelCpu = f.sentinels.map((_, k) => ((a.sentinelTicks[k]! - b.sentinelTicks[k]!) / TICKS / secs) * 100);
      const perMaster = f.masters.map((_, k) => (a.commands[k]! - b.commands[k]! - 1) / secs);
      return {
        impl: f.impl,
        label: f.label,
        nodeArgs: VARIANTS[i]!.nodeArgs,
        masters: MASTERS,
        replicas: REPLICAS,
        sentinelCpuPct: sentinelCpu.map((x) => +x.toFixed(2)),
        sentinelCpuPctMean: +(sentinelCpu.reduce((x, y) => x + y, 0) / sentinelCpu.length).toFixed(2),
        serversCpuPct: +(((a.serverTicks - b.serverTicks) / TICKS / secs) * 100).toFixed(1),
        sentinelRssMb: mem[i]!.map((m) => +(m.rss / m.n).toFixed(1)),
        sentinelUssMb: mem[i]!.map((m) => +(m.uss / m.n).toFixed(1)),
        sentinelRssMbAtEnd: f.sentinels.map((s) => +rssMb(s.pid).toFixed(1)),
        commandsPerSecPerMaster: +median(perMaster).toFixed(2),
        tilts: f.tilts - tiltsBefore[i]!,
        failoverMs: undefined as number | undefined,
      };
    });
    if (values.failover) {
      for (let i = 0; i < fleets.length; i++) results[i]!.failoverMs = await timeFailover(fleets[i]!);
    }
    const report = { date: new Date().toISOString(), windowS: +secs.toFixed(1), load, downAfter: DOWN_AFTER, results };
    console.log(JSON.stringify(report, null, 2));
    const r = results.find((x) => x.impl === 'redis');
    const mean = (x: number[]): number => x.reduce((p, q) => p + q, 0) / x.length;
    for (const v of r ? results.filter((x) => x.impl === 'vigil') : []) {
      console.log(
        `ratios ${v.label}/redis: sentinel CPU ${(v.sentinelCpuPctMean / r!.sentinelCpuPctMean).toFixed(2)}x, ` +
          `servers CPU ${(v.serversCpuPct / r!.serversCpuPct).toFixed(2)}x, ` +
          `RSS ${mean(v.sentinelRssMb).toFixed(0)} MB vs ${mean(r!.sentinelRssMb).toFixed(0)} MB, ` +
          `private ${mean(v.sentinelUssMb).toFixed(0)} MB vs ${mean(r!.sentinelUssMb).toFixed(0)} MB, ` +
          `commands/s/master ${v.commandsPerSecPerMaster} vs ${r!.commandsPerSecPerMaster}` +
          (values.failover ? `, failover ${v.failoverMs} ms vs ${r!.failoverMs} ms` : ''),
      );
    }
    writeFileSync(values.out!, JSON.stringify(report, null, 2) + '\n');
  } finally {
    for (const f of fleets) for (const s of f.subs) s.disconnect();
    // SIGTERM first so --cpu-prof profiles are written, then the harness kills whatever is left by PID.
    if (values.profile) await Promise.all(fleets.flatMap((f) => f.sentinels.map((s) => s.kill('SIGTERM'))));
    await h.cleanup();
  }
}

await main();
