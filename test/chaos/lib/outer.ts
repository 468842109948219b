// Test-file side of the chaos suite (runs in the root namespace, starts nothing there but the runner): each
// scenario x implementation is one node:test test that re-executes lib/run.ts inside a fresh anonymous network
// namespace (`unshare -n`, plus `-m` for disk scenarios) and asserts on the JSON result it writes.
// Environment:
//   VIGIL_CHAOS_IMPL=vigil|redis|both (default both)    VIGIL_CHAOS_ALL=1  also the --all tier
//   VIGIL_CHAOS_ONLY=name[,name]  only these scenarios   VIGIL_CHAOS_REPEAT=N  run each N times
//   VIGIL_CHAOS_RESULTS=path      append every result to this JSON array (scripts/chaos-table.mjs renders it)
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPO_ROOT } from '../../harness/harness.js';
import { SCENARIOS } from './scenarios.js';
import type { ScenarioResult } from './scenario.js';
import type { Impl } from './cluster.js';

function nsProblem(): string | null {
  for (const bin of ['unshare', 'ip', 'nft', 'redis-server', 'redis-sentinel']) {
    if (spawnSync('sh', ['-c', `command -v ${bin}`]).status !== 0) return `${bin} not installed`;
  }
  const r = spawnSync('unshare', ['-n', '-m', '--', 'sh', '-c', 'ip link set lo up && nft list tables'], {
    encoding: 'utf8',
  });
  return r.status === 0 ? null : `unshare -n not permitted here (${r.stderr.trim()}): chaos tests skipped`;
}

function impls(): Impl[] {
  const v = process.env.VIGIL_CHAOS_IMPL ?? 'both';
  if (v === 'both') return ['vigil', 'redis'];
  if (v === 'vigil' || v === 'redis') return [v];
  throw new Error(`VIGIL_CHAOS_IMPL must be vigil, redis or both (got ${v})`);
}

function appendResult(res: ScenarioResult): void {
  const path = process.env.VIGIL_CHAOS_RESULTS;
  if (!path) return;
  const prev = existsSync(path) ? (JSON.parse(readFileSync(path, 'utf8')) as unknown[]) : [];
  prev.push(res);
  writeFileSync(path, JSON.stringify(prev, null, 2) + '\n');
}

async function runInNamespace(name: string, impl: Impl, mountNs: boolean): Promise<ScenarioResult> {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-chaos-res-'));
  const out = join(dir, 'result.json');
  const tsx = join(REPO_ROOT, 'node_modules/tsx/dist/loader.mjs');
  const args = ['-n', ...(mountNs ? ['-m'] : []), '--', process.execPath, '--import', `file://${tsx}`];
  args.push(join(REPO_ROOT, 'test/chaos/lib/run.ts'), name, impl, out);
  const child = spawn('unshare', args, {
    cwd: REPO_ROOT,
    env: { ...process.env, VIGIL_CHAOS_IN_NS: '1', TZ: 'UTC' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let log = '';
  const keep = (b: Buffer): void => {
    log = (log + b.toString('utf8')).slice(-20000);
  };
  child.stdout.on('data', keep);
  child.stderr.on('data', keep);
  // The runner kills its own children on every path; this is the last resort if the runner itself hangs.
  const kill = (): void => {
    if (child.exitCode === null) child.kill('SIGKILL');
  };
  process.once('exit', kill);
  const code = await new Promise<number | null>((res) => child.on('exit', (c) => res(c)));
  process.removeListener('exit', kill);
  try {
    if (code !== 0 || !existsSync(out)) throw new Error(`chaos runner for ${name}/${impl} exited ${code}:\n${log}`);
    const res = JSON.parse(readFileSync(out, 'utf8')) as ScenarioResult;
    if (res.checks.some((c) => !c.ok)) process.stderr.write(log);
    return res;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function summary(r: ScenarioResult): string {
  const a = r.acked;
  const w = r.waited;
  return (
    `${r.scenario}/${r.impl}: ${r.failedOver ? `failed over in ${r.timeToNewMasterMs ?? '?'} ms` : 'no failover'}` +
    (a ? `, acked lost ${a.lost}/${a.ok} (${a.lostPct} %)` : '') +
    (w ? `, WAIT-confirmed lost ${w.lost}/${w.ok}` : '') +
    ` [${Math.round(r.durationMs / 1000)} s]`
  );
}

/** Register the named scenarios (those of the selected tier) as tests. */
export function chaosTests(names: string[]): void {
  const problem = nsProblem();
  const all = process.env.VIGIL_CHAOS_ALL === '1';
  const only = process.env.VIGIL_CHAOS_ONLY?.split(',').filter(Boolean);
  const repeat = Math.max(1, Number(process.env.VIGIL_CHAOS_REPEAT ?? '1') || 1);
  for (const name of names) {
    const sc = SCENARIOS.find((s) => s.name === name);
    if (!sc) throw new Error(`unknown chaos scenario ${name}`);
    if (only && !only.includes(name)) continue;
    if (sc.tier === 'all' && !all && !only) continue;
    for (const impl of impls()) {
      if (sc.via === 'proxy' && impl === 'redis' && process.env.VIGIL_CHAOS_PROXY_REDIS !== '1') continue;
      for (let i = 1; i <= repeat; i++) {
        const label = `${name} [${impl}]${repeat > 1 ? ` run ${i}/${repeat}` : ''}: ${sc.title}`;
        const todo = impl === 'vigil' && sc.vigilKnownIssue ? `known issue: ${sc.vigilKnownIssue}` : false;
        void test(label, { skip: problem ?? false, todo }, async (t) => {
          const res = await runInNamespace(name, impl, sc.mountNs === true);
          appendResult(res);
          t.diagnostic(summary(res));
          for (const n of res.notes) t.diagnostic(`note: ${n}`);
          const failed: string[] = [];
          for (const c of res.checks) {
            if (c.ok) continue;
            if (impl === 'redis' && sc.redisByDesign?.includes(c.id))
              t.diagnostic(`baseline records (by design): ${c.id}: ${c.detail}`);
            else failed.push(`${c.id}: ${c.detail}`);
          }
          assert.deepEqual(failed, [], `${name}/${impl} failed checks`);
        });
      }
    }
  }
}
