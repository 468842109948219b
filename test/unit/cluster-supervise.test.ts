// `vigil up` supervision back-off (src/cluster/cluster.ts): 250 ms, doubling per quick exit, capped at 30 s.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { restartDelayMs } from '../../src/cluster/cluster.js';

void test('supervise - restart back-off doubles per quick exit and is capped', () => {
  assert.deepEqual([0, 1, 2, 3, 6, 7, 20].map(restartDelayMs), [250, 500, 1000, 2000, 16000, 30000, 30000]);
});
