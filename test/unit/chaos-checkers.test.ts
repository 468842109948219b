// The chaos suite's checkers (test/chaos/lib): the event-log election check and the set checker, on hand-made
// histories, so a checker that cannot fail is caught here rather than in a 20 s namespace run.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkElections, parseLog } from '../chaos/lib/events.js';
import { checkSet, type Op } from '../chaos/lib/writer.js';

const A = 'a'.repeat(40);
const B = 'b'.repeat(40);
const line = (t: string, msg: string): string => `123:X 03 Dec 2026 13:25:${t} # ${msg}`;

void test('chaos events - parse Redis-format lines, UTC timestamps', () => {
  const ev = parseLog(1, [line('45.384', '+try-failover master mymaster 127.0.0.11 6379'), 'junk', ''].join('\n'));
  assert.equal(ev.length, 1);
  assert.equal(ev[0]?.type, '+try-failover');
  assert.equal(ev[0]?.node, 1);
  assert.equal(ev[0]?.at, Date.UTC(2026, 11, 3, 13, 25, 45, 384));
});

void test('chaos events - one leader per epoch; two leaders in one epoch and a double vote are violations', () => {
  const leader = (epoch: number): string =>
    [
      line('01.000', `+new-epoch ${epoch}`),
      line('01.001', '+try-failover master mymaster 127.0.0.11 6379'),
      line('01.002', `+vote-for-leader ${A} ${epoch}`),
      line('01.100', '+elected-leader master mymaster 127.0.0.11 6379'),
    ].join('\n');
  const ok = checkElections([parseLog(0, leader(1)), parseLog(1, leader(2)), []]);
  assert.deepEqual(ok.violations, []);
  assert.deepEqual(ok.leaders, { '1': [1], '2': [2] });
  const twoLeaders = checkElections([parseLog(0, leader(1)), parseLog(1, leader(1)), []]);
  assert.equal(twoLeaders.violations.length, 1);
  assert.match(twoLeaders.violations[0] ?? '', /epoch 1 has 2 leaders/);
  // A voter that forgot its vote across a restart and voted again in the same epoch.
  const doubleVote = [line('01.000', `+vote-for-leader ${A} 3`), line('02.000', `+vote-for-leader ${B} 3`)].join('\n');
  const dv = checkElections([[], [], parseLog(2, doubleVote)]);
  assert.equal(dv.violations.length, 1);
  assert.match(dv.violations[0] ?? '', /n3 voted for 2 leaders in epoch 3/);
});

void test('chaos set checker - lost, unexpected, failed-but-present, recovered', () => {
  const op = (v: string, type: Op['type'], at: number): Op => ({ v, type, call: at, ret: at + 1, node: 'x' });
  const ops = [op('1', 'ok', 100), op('2', 'ok', 200), op('3', 'fail', 300), op('4', 'info', 400), op('5', 'ok', 500)];
  const r = checkSet('k', ops, new Set(['1', '3', '4', 'zz']), 0);
  assert.equal(r.ok, 3);
  assert.equal(r.lost, 2);
  assert.equal(r.lostPct, 66.7);
  assert.deepEqual(r.lostWindow, [200, 501]);
  assert.equal(r.unexpected, 1);
  assert.equal(r.failedButPresent, 1);
  assert.equal(r.recovered, 1);
  assert.deepEqual(r.lostByNode, { x: 2 });
  const clean = checkSet('k', ops, new Set(['1', '2', '5']), 0);
  assert.equal(clean.lost + clean.unexpected + clean.failedButPresent, 0);
});
