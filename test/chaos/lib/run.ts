// Entry point run INSIDE an anonymous network namespace (`unshare -n`, see outer.ts): brings lo up, refuses to run
// unless the namespace is isolated (reliability.md HARD RULE), runs one scenario and writes its result as JSON.
//   unshare -n -- node --import tsx test/chaos/lib/run.ts <scenario> <vigil|redis> <result.json>
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { SCENARIOS } from './scenarios.js';
import { runScenario } from './scenario.js';
import type { Impl } from './cluster.js';

function sh(cmd: string, args: string[]): string {
  const r = spawnSync(cmd, args, { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed: ${r.stderr}`);
  return r.stdout.trim();
}

async function main(): Promise<void> {
  const [name, impl, out] = process.argv.slice(2);
  const sc = SCENARIOS.find((s) => s.name === name);
  if (!sc || (impl !== 'vigil' && impl !== 'redis') || !out)
    throw new Error(`usage: run.ts <scenario> <vigil|redis> <out.json>`);
  if (process.env.VIGIL_CHAOS_IN_NS !== '1') throw new Error('run.ts must be started by outer.ts inside unshare -n');
  sh('ip', ['link', 'set', 'lo', 'up']);
  // Isolation guard: nothing but loopback, no default route. Aborts in the root namespace.
  const global = sh('ip', ['-o', 'addr', 'show', 'scope', 'global']);
  const route = sh('ip', ['route', 'show', 'default']);
  if (global !== '' || route !== '') throw new Error(`not an isolated namespace:\n${global}\n${route}`);
  const res = await runScenario(sc, impl as Impl);
  writeFileSync(out, JSON.stringify(res, null, 2));
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    process.stderr.write(`chaos runner: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(2);
  },
);
