import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runSimulation } from './world.js';

void test('sim - three sentinels under crashes, partitions and message loss keep every invariant', () => {
  for (let seed = 1; seed <= 30; seed++) {
    const r = runSimulation({ seed, sentinels: 3, lossRate: 0.02 });
    assert.deepEqual(r.violations, [], `seed ${seed}`);
  }
});

void test('sim - five sentinels with heavier loss keep every invariant', () => {
  let elections = 0;
  for (let seed = 100; seed < 115; seed++) {
    const r = runSimulation({ seed, sentinels: 5, lossRate: 0.05 });
    assert.deepEqual(r.violations, [], `seed ${seed}`);
    elections += r.failovers;
  }
  assert.ok(elections > 0, 'the scenarios must actually cause failovers');
});

void test('sim - the same seed replays the same history', () => {
  const a = runSimulation({ seed: 42 });
  const b = runSimulation({ seed: 42 });
  assert.deepEqual(a, b);
});
