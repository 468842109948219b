// `npm run sim -- --seeds N [--from S] [--sentinels K] [--loss P] [--verbose]`: run seeded simulations of a
// sentinel group under crashes, partitions and message loss; exit 1 if any invariant is violated.
import { parseArgs } from 'node:util';
import { runSimulation } from './world.js';

const { values } = parseArgs({
  options: {
    seeds: { type: 'string', default: '20' },
    from: { type: 'string', default: '1' },
    seed: { type: 'string' },
    sentinels: { type: 'string', default: '3' },
    loss: { type: 'string', default: '0.02' },
    verbose: { type: 'boolean', default: false },
  },
});
const from = values.seed !== undefined ? Number(values.seed) : Number(values.from);
const count = values.seed !== undefined ? 1 : Number(values.seeds);
let bad = 0;
let failovers = 0;
const started = Date.now();
for (let seed = from; seed < from + count; seed++) {
  const r = runSimulation({ seed, sentinels: Number(values.sentinels), lossRate: Number(values.loss), verbose: values.verbose });
  failovers += r.failovers;
  if (r.violations.length > 0) {
    bad++;
    console.log(`seed ${seed}: FAIL\n  ${r.violations.slice(0, 10).join('\n  ')}`);
  } else if (values.verbose || count <= 5) {
    console.log(`seed ${seed}: ok (${r.failovers} elections won, master ${r.finalMaster}, ${r.events} events)`);
  }
}
console.log(`${count - bad}/${count} seeds passed, ${failovers} elections won in total, ${Date.now() - started} ms`);
process.exit(bad > 0 ? 1 : 0);
