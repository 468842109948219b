// `npm run sim -- --seeds N [--from S] [--sentinels K] [--loss P] [--quorum Q] [--chaos-ms T] [--heal-ms T]
// [--no-clock-jumps] [--no-flush-crashes] [--flush-crash-rate P] [--lockstep] [--disk-errors P]`: run seeded simulations of a sentinel group under crashes, partitions, message loss and
// clock jumps; exit 1 if any invariant is violated (see world.ts). `--seed S --verbose` replays one seed exactly
// and prints its history; every failure prints the command that does that.
import { parseArgs } from 'node:util';
import { replayCommand, runSimulation, SIM_DEFAULTS } from './world.js';
import type { SimOptions } from './world.js';

const { values } = parseArgs({
  options: {
    seeds: { type: 'string', default: '20' },
    from: { type: 'string', default: '1' },
    seed: { type: 'string' },
    sentinels: { type: 'string', default: String(SIM_DEFAULTS.sentinels) },
    replicas: { type: 'string' },
    quorum: { type: 'string' },
    loss: { type: 'string' },
    'chaos-ms': { type: 'string' },
    'heal-ms': { type: 'string' },
    'no-clock-jumps': { type: 'boolean', default: false },
    'no-flush-crashes': { type: 'boolean', default: false },
    'flush-crashes': { type: 'boolean', default: false },
    lockstep: { type: 'boolean', default: false },
    'disk-errors': { type: 'string' },
    'flush-crash-rate': { type: 'string' },
    verbose: { type: 'boolean', default: false },
  },
});
const from = values.seed !== undefined ? Number(values.seed) : Number(values.from);
const count = values.seed !== undefined ? 1 : Number(values.seeds);
let bad = 0;
let failovers = 0;
let tilts = 0;
const l1: number[] = [];
const byInvariant = new Map<string, number>();
const started = Date.now();
for (let seed = from; seed < from + count; seed++) {
  const opts: SimOptions = {
    seed,
    sentinels: Number(values.sentinels),
    verbose: values.verbose,
  };
  if (values.loss !== undefined) opts.lossRate = Number(values.loss);
  if (values.replicas !== undefined) opts.replicas = Number(values.replicas);
  if (values.quorum !== undefined) opts.quorum = Number(values.quorum);
  if (values['chaos-ms'] !== undefined) opts.chaosMs = Number(values['chaos-ms']);
  if (values['heal-ms'] !== undefined) opts.healMs = Number(values['heal-ms']);
  if (values['no-clock-jumps']) opts.clockJumps = false;
  if (values['no-flush-crashes']) opts.flushCrashes = false;
  if (values['flush-crashes']) opts.flushCrashes = true;
  if (values.lockstep) opts.lockstep = true;
  if (values['disk-errors'] !== undefined) opts.diskErrorRate = Number(values['disk-errors']);
  if (values['flush-crash-rate'] !== undefined) opts.flushCrashRate = Number(values['flush-crash-rate']);
  const r = runSimulation(opts);
  failovers += r.failovers;
  tilts += r.tilts;
  if (r.l1Ms !== null) l1.push(r.l1Ms);
  if (r.violations.length > 0) {
    bad++;
    for (const inv of new Set(r.violations.map((v) => /\b(I\d|L\d)\b/.exec(v)?.[1] ?? '?')))
      byInvariant.set(inv, (byInvariant.get(inv) ?? 0) + 1);
    console.log(`seed ${seed}: FAIL\n  ${r.violations.slice(0, 10).join('\n  ')}\n  replay: ${replayCommand(opts)}`);
  } else if (values.verbose || count <= 5) {
    console.log(
      `seed ${seed}: ok (${r.failovers} elections won, ${r.promotions} promotions, ${r.tilts} tilts, master ${r.finalMaster}, ` +
        `${r.events} events, longest disagreement ${r.maxDisagreeMs} ms)`,
    );
  }
}
console.log(
  `${count - bad}/${count} seeds passed, ${failovers} elections won, ${tilts} tilts, ${Date.now() - started} ms` +
    (l1.length > 0
      ? `, cut to promotion ${Math.min(...l1)}-${Math.max(...l1)} ms (median ${l1.sort((a, b) => a - b)[l1.length >> 1]})`
      : '') +
    (bad > 0 ? ` (seeds failing each invariant: ${[...byInvariant].map(([k, v]) => `${k} ${v}`).join(', ')})` : ''),
);
process.exit(bad > 0 ? 1 : 0);
