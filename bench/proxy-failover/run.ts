// Failover benchmark: INCR writers through Vigil's proxy (native pump, --mux, and --threads 0 = forwarded in
// JavaScript, where idle sessions are re-pointed at a switch) and through HAProxy's role:master tcp-check pattern
// (docs/reference proxy.md §1.2; inter 1s and inter 100ms), during (a) a manual SENTINEL FAILOVER and (b) kill -9
// of the master (restarted after the switch, so it comes back claiming master), and optionally (c) SIGSTOP of the
// master (a hung node; SIGCONT after the switch, so it resumes with its old data as master). Reports acknowledged writes
// lost (acks - final counter on the new master), errors, and the longest gap between acks (write stall).
//   npx tsx bench/proxy-failover/run.ts [--impl redis|vigil] [--rounds 3] [--scenario manual,kill,stop] [--window-ms 13000]
import { writeFileSync } from 'node:fs';
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
import { startFleet, waitReplicasSynced, call, type Fleet } from './fleet.js';
import { IncrWriter, type WriterReport } from './writer.js';

const { values } = parseArgs({
  options: {
    impl: { type: 'string' },
    rounds: { type: 'string' },
    scenario: { type: 'string' },
    'window-ms': { type: 'string' },
    'down-after-ms': { type: 'string' },
  },
});
const impl = (values.impl ?? 'redis') as 'redis' | 'vigil';
const rounds = Number(values.rounds ?? 3);
type Scenario = 'manual' | 'kill' | 'stop';
const SCENARIO_LABEL: Record<Scenario, string> = {
  manual: '(a) SENTINEL FAILOVER',
  kill: '(b) kill -9 master + restart',
  stop: '(c) SIGSTOP master, SIGCONT after switch',
};
const scenarios = (values.scenario ?? 'manual,kill').split(',') as Scenario[];
for (const sc of scenarios) if (!(sc in SCENARIO_LABEL)) throw new Error(`unknown scenario '${sc}'`);
const windowMs = Number(values['window-ms'] ?? 13000);
const downAfterMs = Number(values['down-after-ms'] ?? 1000);

async function haproxy(
  h: Harness,
  f: Fleet,
  inter: string,
  fallRise: string,
): Promise<{ port: number; proc: OwnedProcess }> {
  const port = await freePort();
  const dir = h.tempDir('vigil-bench-hap-');
  const cfg = join(dir, 'haproxy.cfg');
  const servers = f.redis.map((r, i) => `    server r${i} 127.0.0.1:${r.port} check`);
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
      '    timeout check 1s',
      'frontend redis_in',
      `    bind 127.0.0.1:${port}`,
      '    default_backend redis_master',
      'backend redis_master',
      '    option tcp-check',
      '    tcp-check connect',
      '    tcp-check send PING\\r\\n',
      '    tcp-check expect string +PONG',
      '    tcp-check send info\\ replication\\r\\n',
      '    tcp-check expect string role:master',
      '    tcp-check send QUIT\\r\\n',
      '    tcp-check expect string +OK',
      `    default-server inter ${inter} ${fallRise} on-marked-down shutdown-sessions`,
      ...servers,
      '',
    ].join('\n'),
  );
  const proc = await h.spawn(requireBinary('haproxy'), ['-db', '-f', cfg], {
    name: `haproxy-${inter}`,
    readyWhen: () => answersPong(port),
  });
  return { port, proc };
}

interface RoundResult {
  scenario: string;
  round: number;
  proxy: string;
  acks: number;
  final: number;
  lost: number;
  longestGapMs: number;
  nonMonotonic: number;
  errors: string;
  switchAfterMs?: number;
  holdAfterMs?: number;
  promoteAfterMs?: number;
}

type Times = { switchAfterMs?: number; holdAfterMs?: number; promoteAfterMs?: number };
function logTimes(proc: OwnedProcess, t0: number): Times {
  const out: Times = {};
  for (const line of proc.output()) {
    if (!line.startsWith('{')) continue;
    try {
      // pino's `time` (ISO 8601 or epoch ms); `ts` in older logs.
      const rec = JSON.parse(line) as { time?: string | number; ts?: string; msg: string };
      const when = rec.time ?? rec.ts;
      const at = (typeof when === 'number' ? when : Date.parse(String(when))) - t0;
      if (at < 0) continue;
      if (rec.msg === 'switch' && out.switchAfterMs === undefined) out.switchAfterMs = at;
      if (rec.msg.startsWith('gate closed') && out.holdAfterMs === undefined) out.holdAfterMs = at;
      if (rec.msg.startsWith('fast path: polling') && out.promoteAfterMs === undefined) out.promoteAfterMs = at;
    } catch {
      /* not a log record */
    }
  }
  return out;
}

async function oneRound(scenario: Scenario, round: number): Promise<RoundResult[]> {
  const h = new Harness();
  try {
    const f = await startFleet(h, { impl, downAfterMs, failoverTimeoutMs: 10000 });
    /** Vigil's proxy as a process; `extra` flags select the forwarding (native pump by default). */
    const spawnVigil = async (name: string, extra: string[]): Promise<{ port: number; proc: OwnedProcess }> => {
      const port = await freePort();
      const proc = await h.spawn(
        process.execPath,
        [
          '--import',
          'tsx',
          join(REPO_ROOT, 'src/cli/proxy.ts'),
          '--sentinels',
          f.sentinelList,
          '--master-name',
          f.masterName,
          '--listen',
          `127.0.0.1:${port}`,
          '--log-format',
          'json',
          ...extra,
        ],
        { name, cwd: REPO_ROOT, readyWhen: () => answersPong(port) },
      );
      return { port, proc };
    };
    const { port: vPort, proc: vigil } = await spawnVigil('vigil-proxy', []);
    const { port: mPort, proc: vigilMux } = await spawnVigil('vigil-proxy-mux', ['--mux']);
    const { port: jPort, proc: vigilJs } = await spawnVigil('vigil-proxy-js', ['--threads', '0']);
    const hap1 = await haproxy(h, f, '1s', 'fall 2 rise 2');
    const hap100 = await haproxy(h, f, '100ms', 'fall 1 rise 1');
    const old = f.redis[0]!;
    await waitReplicasSynced(f, old.port);
    const writers = [
      new IncrWriter('vigil', vPort, 'c:vigil'),
      new IncrWriter('vigil --mux', mPort, 'c:vigilmux'),
      new IncrWriter('vigil --threads 0', jPort, 'c:vigiljs'),
      new IncrWriter('haproxy inter 1s', hap1.port, 'c:hap1s'),
      new IncrWriter('haproxy inter 100ms', hap100.port, 'c:hap100ms'),
    ];
    for (const w of writers) w.start();
    await h.waitFor(() => writers.every((w) => w.report.acks >= 200), { name: 'writers warmed up', timeoutMs: 10_000 });
    const t0 = Date.now();
    if (scenario === 'manual') {
      const r = await f.failover();
      if (r !== 'OK') throw new Error(`SENTINEL FAILOVER: ${String(r)}`);
    } else if (scenario === 'kill') {
      await old.kill('SIGKILL');
    } else {
      old.pause();
    }
    await h.waitFor(
      async () => {
        const a = await f.masterAddrFrom(f.sentinels[1]!);
        return a !== null && a !== `127.0.0.1:${old.port}`;
      },
      { name: 'sentinels switched', timeoutMs: 20_000, intervalMs: 50 },
    );
    if (scenario === 'kill') {
      // Bring the old master back: it restarts empty, claiming role:master, until Sentinel converts it.
      await old.proc.start();
    } else if (scenario === 'stop') {
      // The hung master resumes with its data, still claiming role:master, until Sentinel converts it.
      old.resume();
    }
    await new Promise((r) => setTimeout(r, Math.max(0, t0 + windowMs - Date.now())));
    const reports: WriterReport[] = [];
    for (const w of writers) reports.push(await w.stop());
    const addr = await f.masterAddrFrom(f.sentinels[1]!);
    const newPort = Number(addr?.split(':')[1]);
    const keys = ['c:vigil', 'c:vigilmux', 'c:vigiljs', 'c:hap1s', 'c:hap100ms'];
    const results: RoundResult[] = [];
    const times = logTimes(vigil, t0);
    for (let i = 0; i < reports.length; i++) {
      const rep = reports[i]!;
      const final = Number((await call(newPort, 'GET', keys[i]!)) ?? 0);
      const res: RoundResult = {
        scenario,
        round,
        proxy: rep.name,
        acks: rep.acks,
        final,
        lost: rep.acks - final,
        longestGapMs: rep.longestGapMs,
        nonMonotonic: rep.nonMonotonic,
        errors: [...rep.errors].map(([k, v]) => `${k}:${v}`).join(' ') || '-',
      };
      if (i === 0) Object.assign(res, times);
      if (i === 1) Object.assign(res, logTimes(vigilMux, t0));
      if (i === 2) Object.assign(res, logTimes(vigilJs, t0));
      results.push(res);
    }
    return results;
  } finally {
    await h.cleanup();
  }
}

async function main(): Promise<void> {
  const all: RoundResult[] = [];
  const loadStart = loadavg()
    .map((x) => x.toFixed(1))
    .join(' ');
  process.stderr.write(
    `proxy-failover: sentinels=${impl}, down-after=${downAfterMs} ms, window=${windowMs} ms, rounds=${rounds}\n`,
  );
  for (const sc of scenarios) {
    for (let r = 1; r <= rounds; r++) {
      const res = await oneRound(sc, r);
      for (const x of res) {
        process.stderr.write(
          `  ${sc} r${r} ${x.proxy.padEnd(20)} acks=${x.acks} final=${x.final} lost=${x.lost} gap=${x.longestGapMs}ms fork=${x.nonMonotonic} errors=${x.errors}` +
            (x.switchAfterMs !== undefined
              ? ` hold@${x.holdAfterMs ?? '-'}ms slaveof-no-one@${x.promoteAfterMs ?? '-'}ms switch@${x.switchAfterMs}ms`
              : '') +
            '\n',
        );
      }
      all.push(...res);
    }
  }
  const lines = [
    `load average at start ${loadStart}, at end ${loadavg()
      .map((x) => x.toFixed(1))
      .join(' ')}`,
    `sentinels=${impl}; 1 master + 2 replicas + 3 sentinels (quorum 2, down-after ${downAfterMs} ms); writer: sequential INCR, 2 ms gap, 1 s op timeout`,
    '| scenario | proxy | acked writes lost (per round) | longest ack gap ms (per round) | errors (per round) | vigil: hold / SLAVEOF NO ONE seen / switch, ms after action |',
    '|---|---|---|---|---|---|',
  ];
  for (const sc of scenarios) {
    for (const p of ['vigil', 'vigil --mux', 'vigil --threads 0', 'haproxy inter 1s', 'haproxy inter 100ms']) {
      const rs = all.filter((x) => x.scenario === sc && x.proxy === p);
      lines.push(
        `| ${SCENARIO_LABEL[sc]} | ${p} | ${rs.map((x) => x.lost).join(', ')} | ${rs.map((x) => x.longestGapMs).join(', ')} | ${rs.map((x) => x.errors).join('; ')} | ${p.startsWith('vigil') ? rs.map((x) => `${x.holdAfterMs ?? '-'} / ${x.promoteAfterMs ?? '-'} / ${x.switchAfterMs ?? '-'}`).join(', ') : ''} |`,
      );
    }
  }
  process.stdout.write(lines.join('\n') + '\n');
}

main().catch((err: unknown) => {
  process.stderr.write(`bench/proxy-failover: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exitCode = 1;
});
