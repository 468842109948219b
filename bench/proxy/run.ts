// Data-plane benchmark: redis-benchmark direct, through HAProxy 2.6 (mode tcp, nbthread 1) and through Vigil's
// proxy, interleaved over several rounds (start position rotated), medians + paired ratios vs HAProxy.
//   npx tsx bench/proxy/run.ts [--quick] [--rounds N] [--only a,b,c,d] [--no-mux] [--no-js] [--vigil-args="..."]
//                              [--also 'NAME=[ENV=VALUE ...] FLAGS' ...]
// Targets: direct, HAProxy, Vigil (default: L4, forwarded by the native pump), Vigil with --mux, and Vigil with
// --threads 0 (L4 forwarded in JavaScript, the fallback when the pump is not built).
// Every process is started by the harness and killed by PID at the end.
import { spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import {
  Harness,
  answersPong,
  freePort,
  requireBinary,
  REPO_ROOT,
  type OwnedProcess,
} from '../../test/harness/index.js';

const { values } = parseArgs({
  options: {
    quick: { type: 'boolean' },
    rounds: { type: 'string' },
    only: { type: 'string' },
    'vigil-args': { type: 'string' },
    'no-mux': { type: 'boolean' },
    'no-js': { type: 'boolean' },
    json: { type: 'string' },
    // Another Vigil target with its own flags, e.g. --also 't1=--threads 1' (repeatable): compares proxy
    // settings in the same interleaved run.
    also: { type: 'string', multiple: true },
  },
});
const quick = values.quick ?? false;
const rounds = Number(values.rounds ?? (quick ? 1 : 3));
const scale = quick ? 10 : 1;

interface TestDef {
  id: string;
  label: string;
  args: string[];
}
const TESTS: TestDef[] = [
  { id: 'a', label: '-t set,get -n 200000 -c 50', args: ['-t', 'set,get', '-n', String(200000 / scale), '-c', '50'] },
  {
    id: 'b',
    label: '-t set,get -n 1000000 -c 50 -P 16',
    args: ['-t', 'set,get', '-n', String(1000000 / scale), '-c', '50', '-P', '16'],
  },
  { id: 'c', label: '-t ping -c 1 -n 50000', args: ['-t', 'ping', '-c', '1', '-n', String(50000 / scale)] },
  // Not one of the issue's three loads (only with --only ...,d): a new connection per request, so accept, dial and
  // hand-over dominate instead of forwarding.
  {
    id: 'd',
    label: '-t ping -c 50 -n 20000 -k 0',
    args: ['-t', 'ping', '-c', '50', '-n', String(20000 / scale), '-k', '0'],
  },
].filter((t) => (values.only ? values.only.split(',').includes(t.id) : t.id !== 'd'));

interface Row {
  rps: number;
  p50: number;
  p99: number;
}

function runBenchmark(port: number, args: string[]): Promise<Map<string, Row>> {
  return new Promise((resolve, reject) => {
    const child = spawn('redis-benchmark', ['-h', '127.0.0.1', '-p', String(port), '--csv', ...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (b: Buffer) => (out += b.toString()));
    child.stderr.on('data', (b: Buffer) => (err += b.toString()));
    child.on('error', reject);
    child.on('exit', (code) => {
      if (code !== 0) return reject(new Error(`redis-benchmark exited ${code}: ${err}`));
      const rows = new Map<string, Row>();
      for (const line of out.split('\n')) {
        const cells = line.split(',').map((c) => c.replace(/"/g, ''));
        if (cells.length < 7 || cells[0] === 'test') continue;
        rows.set(cells[0]!, { rps: Number(cells[1]), p50: Number(cells[4]), p99: Number(cells[6]) });
      }
      resolve(rows);
    });
  });
}

function cpuSeconds(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(f[11]) + Number(f[12])) / 100; // utime + stime, clock ticks (100/s)
  } catch {
    return NaN;
  }
}

const median = (xs: number[]): number => {
  const s = xs.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  if (s.length === 0) return NaN;
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

async function main(): Promise<void> {
  requireBinary('redis-benchmark');
  const haproxyBin = requireBinary('haproxy');
  const h = new Harness();
  const loadStart = loadavg()
    .map((x) => x.toFixed(1))
    .join(' ');
  try {
    const redis = await h.redis();
    const sentinel = await h.sentinel({
      impl: 'redis',
      conf: `sentinel monitor bench 127.0.0.1 ${redis.port} 1\nsentinel down-after-milliseconds bench 5000\n`,
    });
    const dir = h.tempDir('vigil-bench-proxy-');
    const hpPort = await freePort();
    const cfg = join(dir, 'haproxy.cfg');
    writeFileSync(
      cfg,
      [
        'global',
        '    nbthread 1',
        '    maxconn 4096',
        'defaults',
        '    mode tcp',
        '    timeout connect 2s',
        '    timeout client 60s',
        '    timeout server 60s',
        'frontend redis_in',
        `    bind 127.0.0.1:${hpPort}`,
        '    default_backend redis_master',
        'backend redis_master',
        `    server m 127.0.0.1:${redis.port}`,
        '',
      ].join('\n'),
    );
    const haproxy = await h.spawn(haproxyBin, ['-db', '-f', cfg], {
      name: 'haproxy',
      readyWhen: () => answersPong(hpPort),
    });
    const extra = values['vigil-args'] ? values['vigil-args'].split(' ').filter(Boolean) : [];
    const startVigil = async (
      name: string,
      flags: string[],
      env: NodeJS.ProcessEnv = {},
    ): Promise<{ port: number; proc: OwnedProcess }> => {
      const port = await freePort();
      const proc = await h.spawn(
        process.execPath,
        [
          '--import',
          'tsx',
          join(REPO_ROOT, 'src/cli/proxy.ts'),
          '--sentinels',
          `${sentinel.host}:${sentinel.port}`,
          '--master-name',
          'bench',
          '--listen',
          `127.0.0.1:${port}`,
          ...flags,
          ...extra,
        ],
        { name, cwd: REPO_ROOT, env, readyWhen: () => answersPong(port) },
      );
      return { port, proc };
    };
    const vigil = await startVigil('vigil-proxy', []);
    const vigilMux = values['no-mux'] ? null : await startVigil('vigil-proxy-mux', ['--mux']);
    const vigilJs = values['no-js'] ? null : await startVigil('vigil-proxy-js', ['--threads', '0']);
    const also: Array<{ name: string; port: number; proc: OwnedProcess }> = [];
    for (const spec of values.also ?? []) {
      const eq = spec.indexOf('=');
      if (eq <= 0) throw new Error(`--also wants NAME=FLAGS, got ${JSON.stringify(spec)}`);
      const name = `vigil-${spec.slice(0, eq)}`;
      // Leading KEY=VALUE words are environment variables for that process (e.g. VIGIL_PUMP=js).
      const words = spec
        .slice(eq + 1)
        .split(' ')
        .filter(Boolean);
      const env: NodeJS.ProcessEnv = {};
      while (words.length && /^[A-Z_][A-Z0-9_]*=/.test(words[0]!)) {
        const [k, ...v] = words.shift()!.split('=');
        env[k!] = v.join('=');
      }
      also.push({ name, ...(await startVigil(name, words, env)) });
    }
    const vigils: Array<{ name: string; port: number; proc: OwnedProcess }> = [
      { name: 'vigil', ...vigil },
      ...(vigilMux ? [{ name: 'vigil-mux', ...vigilMux }] : []),
      ...(vigilJs ? [{ name: 'vigil-js', ...vigilJs }] : []),
      ...also,
    ];
    // Say which forwarding path each Vigil target really uses (from its 'listening' log line).
    for (const v of vigils) {
      const m = /"forwarding":"(\w+)","pumpThreads":(\d+)/.exec(v.proc.logTail(200));
      process.stderr.write(`bench: ${v.name} forwards with ${m ? `${m[1]} (${m[2]} pump threads)` : 'unknown'}\n`);
    }
    const targets: Array<{ name: string; port: number; proc: OwnedProcess | null }> = [
      { name: 'direct', port: redis.port, proc: null },
      { name: 'haproxy', port: hpPort, proc: haproxy },
      ...vigils,
    ];
    // results[test][target][metric name] = Row per round
    const results = new Map<string, Map<string, Map<string, Row[]>>>();
    const cpu = new Map<string, number[]>(); // `${test}:${target}` -> cpu-s per 100k requests
    process.stderr.write(
      `bench: ${targets.map((t) => `${t.name} :${t.port}`).join(', ')}; rounds=${rounds}${quick ? ' (quick)' : ''}\n`,
    );
    for (const t of TESTS) {
      // one warm-up per target
      const nAt = t.args.indexOf('-n') + 1;
      const warm = t.args.map((a, i) => (i === nAt ? String(Math.max(1000, Number(a) / 20)) : a));
      for (const tg of targets) await runBenchmark(tg.port, warm);
      for (let r = 0; r < rounds; r++) {
        for (let i = 0; i < targets.length; i++) {
          const tg = targets[(i + r) % targets.length]!;
          const cpuBefore = tg.proc ? cpuSeconds(tg.proc.pid) : NaN;
          const rows = await runBenchmark(tg.port, t.args);
          const cpuAfter = tg.proc ? cpuSeconds(tg.proc.pid) : NaN;
          let total = 0;
          for (const [metric, row] of rows) {
            let byTarget = results.get(t.id);
            if (!byTarget) results.set(t.id, (byTarget = new Map()));
            let byMetric = byTarget.get(tg.name);
            if (!byMetric) byTarget.set(tg.name, (byMetric = new Map()));
            const list = byMetric.get(metric) ?? [];
            list.push(row);
            byMetric.set(metric, list);
            total += Number(t.args[t.args.indexOf('-n') + 1]);
          }
          const key = `${t.id}:${tg.name}`;
          cpu.set(key, [...(cpu.get(key) ?? []), ((cpuAfter - cpuBefore) / total) * 100000]);
          process.stderr.write(
            `  ${t.id} round ${r + 1} ${tg.name.padEnd(7)} ` +
              [...rows].map(([m, row]) => `${m}=${Math.round(row.rps)}rps p50=${row.p50} p99=${row.p99}`).join('  ') +
              '\n',
          );
        }
      }
    }
    // Report
    const lines: string[] = [];
    lines.push(
      `load average at start ${loadStart}, at end ${loadavg()
        .map((x) => x.toFixed(1))
        .join(' ')} (2 cores, shared machine)`,
    );
    lines.push(
      `rounds=${rounds}${quick ? ' (quick: n/10)' : ''}; medians; ratio = median over rounds of (target rps / HAProxy rps in the same round)`,
    );
    lines.push(
      '| test | metric | target | rps | p50 ms | p99 ms | ratio vs HAProxy | ratio vs direct | proxy CPU-s /100k req |',
    );
    lines.push('|---|---|---|---|---|---|---|---|---|');
    const summary: Array<{
      target: string;
      test: string;
      metric: string;
      ratio: number;
      p99vigil: number;
      p99hap: number;
      p99ratio: number;
    }> = [];
    for (const t of TESTS) {
      const byTarget = results.get(t.id)!;
      const metrics = [...(byTarget.get('direct')?.keys() ?? [])];
      for (const m of metrics) {
        const hap = byTarget.get('haproxy')!.get(m)!;
        const dir = byTarget.get('direct')!.get(m)!;
        for (const tg of targets) {
          const rows = byTarget.get(tg.name)!.get(m)!;
          const ratioHap = median(rows.map((row, i) => row.rps / (hap[i]?.rps ?? NaN)));
          const ratioDir = median(rows.map((row, i) => row.rps / (dir[i]?.rps ?? NaN)));
          const c = median(cpu.get(`${t.id}:${tg.name}`) ?? []);
          lines.push(
            `| ${t.label} | ${m} | ${tg.name} | ${Math.round(median(rows.map((x) => x.rps)))} | ${median(rows.map((x) => x.p50)).toFixed(3)} | ${median(rows.map((x) => x.p99)).toFixed(3)} | ${ratioHap.toFixed(2)} | ${ratioDir.toFixed(2)} | ${Number.isFinite(c) ? c.toFixed(2) : '-'} |`,
          );
          if (tg.name.startsWith('vigil')) {
            summary.push({
              target: tg.name,
              test: t.id,
              metric: m,
              ratio: ratioHap,
              p99vigil: median(rows.map((x) => x.p99)),
              p99hap: median(hap.map((x) => x.p99)),
              p99ratio: median(rows.map((row, i) => row.p99 / (hap[i]?.p99 ?? NaN))),
            });
          }
        }
      }
    }
    lines.push('');
    for (const s of summary) {
      lines.push(
        `${s.target}/haproxy ${s.test} ${s.metric}: throughput ${s.ratio.toFixed(2)}x (goal >= 1.00) ${s.ratio >= 1 ? 'MET' : 'NOT MET'}; p99 ${s.p99vigil.toFixed(3)} vs ${s.p99hap.toFixed(3)} ms ${s.p99vigil <= s.p99hap ? 'MET' : 'NOT MET'} (paired p99 ratio ${s.p99ratio.toFixed(2)})`,
      );
    }
    process.stdout.write(lines.join('\n') + '\n');
    if (values.json)
      writeFileSync(
        values.json,
        JSON.stringify(
          {
            results: Object.fromEntries(
              [...results].map(([k, v]) => [
                k,
                Object.fromEntries([...v].map(([k2, v2]) => [k2, Object.fromEntries(v2)])),
              ]),
            ),
            cpu: Object.fromEntries(cpu),
          },
          null,
          1,
        ),
      );
  } finally {
    await h.cleanup();
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`bench/proxy: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exitCode = 1;
});
