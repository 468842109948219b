import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Instance } from '../../src/core/instance.js';
import { compareSlavesForPromotion } from '../../src/core/sentinel.js';
import { sentinelCommand } from '../../src/core/commands.js';
import type { Out } from '../../src/resp/types.js';
import { MYID, makeCore, masterConfig } from './core-helpers.js';

const PEER1 = '1'.repeat(40);
const PEER2 = '2'.repeat(40);
const PEER3 = '3'.repeat(40);

function replica(name: string, prio: number, offset: number, runId: string | null): Instance {
  const [host, port] = name.split(':') as [string, string];
  const r = new Instance('replica', name, host, Number(port), null, 0, 1000);
  r.slavePriority = prio;
  r.slaveReplOffset = offset;
  r.runId = runId;
  return r;
}

void test('replica ordering - priority, then offset, then runid, missing runid last', () => {
  const list = [
    replica('h:1', 100, 10, 'b'.repeat(40)),
    replica('h:2', 100, 50, null),
    replica('h:3', 10, 0, 'z'.repeat(40)),
    replica('h:4', 100, 50, 'C'.repeat(40)),
    replica('h:5', 100, 50, 'a'.repeat(40)),
  ];
  list.sort(compareSlavesForPromotion);
  assert.deepEqual(
    list.map((r) => r.name),
    ['h:3', 'h:5', 'h:4', 'h:2', 'h:1'],
  );
});

function isDown(out: Out): [number, string, number] {
  assert.equal(out.t, 'array');
  const v = (out as { v: Out[] }).v;
  const a = v[0] as { v: number };
  const b = v[1] as { v: string };
  const c = v[2] as { v: number };
  return [Number(a.v), String(b.v), Number(c.v)];
}

void test('election - one vote per epoch, first come first served, flushed before the reply', () => {
  const { core, net } = makeCore();
  const ask = (epoch: number, runid: string): [number, string, number] =>
    isDown(sentinelCommand(core, ['is-master-down-by-addr', '127.0.0.1', '6379', String(epoch), runid]));
  assert.deepEqual(ask(5, PEER1), [0, PEER1, 5]);
  const effects = core.drain();
  net.apply(effects);
  assert.ok(
    effects.some((e) => e.t === 'flush'),
    'vote must be flushed',
  );
  assert.ok(net.events.some((e) => e.type === '+vote-for-leader' && e.payload === `${PEER1} 5`));
  assert.equal(core.currentEpoch, 5);
  // A second candidate in the same epoch gets the existing vote back.
  assert.deepEqual(ask(5, PEER2), [0, PEER1, 5]);
  // A newer epoch gets a new vote.
  assert.deepEqual(ask(6, PEER2), [0, PEER2, 6]);
  // An older epoch never moves the vote back.
  assert.deepEqual(ask(4, PEER3), [0, PEER2, 6]);
  assert.equal(core.currentEpoch, 6);
});

void test('election - no vote and epoch 0 when the runid is *', () => {
  const { core } = makeCore();
  assert.deepEqual(isDown(sentinelCommand(core, ['is-master-down-by-addr', '127.0.0.1', '6379', '3', '*'])), [
    0,
    '*',
    0,
  ]);
  assert.equal(core.currentEpoch, 0, 'a question without a vote request does not move the epoch');
});

function coreWithPeers(n: number, quorum: number) {
  const peers = [PEER1, PEER2, PEER3, '4'.repeat(40)].slice(0, n);
  const mc = masterConfig({
    quorum,
    knownSentinels: peers.map((runId, i) => ({ host: '127.0.0.1', port: 26380 + i, runId })),
  });
  const ctx = makeCore({ masters: [mc] });
  const m = ctx.core.masters.get('mymaster');
  assert.ok(m);
  return { ...ctx, m, peers };
}

void test('election - leader needs a majority of known sentinels and at least quorum', () => {
  // 3 known peers + us = 4 voters: majority is 3.
  const { core, m, peers } = coreWithPeers(3, 2);
  core.currentEpoch = 7;
  const setVote = (i: number, leader: string | null, epoch: number) => {
    const s = m.sentinels.get(peers[i]!)!;
    s.leader = leader;
    s.leaderEpoch = epoch;
  };
  setVote(0, MYID, 7);
  assert.equal(core.getLeader(m, 7), null, '2 of 4 is not a majority');
  setVote(1, MYID, 7);
  assert.equal(core.getLeader(m, 7), MYID, '3 of 4 wins');
});

void test('election - votes from an older epoch do not count', () => {
  const { core, m, peers } = coreWithPeers(2, 2);
  core.currentEpoch = 3;
  for (const p of peers) {
    const s = m.sentinels.get(p)!;
    s.leader = MYID;
    s.leaderEpoch = 2;
  }
  assert.equal(core.getLeader(m, 3), null);
});

void test('election - we vote for the most voted peer instead of ourselves', () => {
  const { core, m, peers } = coreWithPeers(2, 2);
  core.currentEpoch = 9;
  const s = m.sentinels.get(peers[0]!)!;
  s.leader = PEER2;
  s.leaderEpoch = 9;
  assert.equal(core.getLeader(m, 9), PEER2);
  assert.equal(m.leader, PEER2);
});

void test('election - quorum larger than the majority is also required', () => {
  const { core, m, peers } = coreWithPeers(2, 3);
  core.currentEpoch = 4;
  const s = m.sentinels.get(peers[0]!)!;
  s.leader = MYID;
  s.leaderEpoch = 4;
  assert.equal(core.getLeader(m, 4), null, '2 votes reach the majority of 3 but not quorum 3');
});

void test('SIMULATE-FAILURE - each call replaces the flags, as in Redis (HELP clears them)', () => {
  const { core } = makeCore();
  sentinelCommand(core, ['simulate-failure', 'crash-after-election']);
  assert.deepEqual(core.simFailure, { crashAfterElection: true, crashAfterPromotion: false });
  sentinelCommand(core, ['simulate-failure', 'crash-after-promotion']);
  assert.deepEqual(core.simFailure, { crashAfterElection: false, crashAfterPromotion: true });
  // Without a mode it is an arity error (-3, as in Redis 7.0): nothing changes.
  sentinelCommand(core, ['simulate-failure']);
  assert.deepEqual(core.simFailure, { crashAfterElection: false, crashAfterPromotion: true });
  sentinelCommand(core, ['simulate-failure', 'crash-after-election', 'crash-after-promotion']);
  sentinelCommand(core, ['simulate-failure', 'help']);
  assert.deepEqual(core.simFailure, { crashAfterElection: false, crashAfterPromotion: false });
});

void test('election - only votes cast in the epoch being decided count (not those of a later current epoch)', () => {
  const { core, m, peers } = coreWithPeers(2, 2);
  core.currentEpoch = 5;
  for (const p of peers) {
    const s = m.sentinels.get(p)!;
    s.leader = PEER2;
    s.leaderEpoch = 5;
  }
  assert.equal(core.getLeader(m, 4), null, 'two epoch-5 votes elect nobody in epoch 4');
  assert.equal(core.getLeader(m, 5), PEER2);
});

void test('split vote - abort at once, retry in run-id order; a vote for the other candidate cancels the retry', () => {
  const { core, m, peers, net, clock } = coreWithPeers(2, 2);
  core.startFailover(m);
  net.apply(core.drain());
  const epoch = m.failoverEpoch;
  net.tick(); // wait_start: we vote for ourselves
  assert.equal(m.leader, MYID);
  assert.equal(m.failoverState, 'wait_start');
  // PEER1 is a candidate too and voted for itself; PEER2 is unreachable (SDOWN): nobody can reach 2 of 3.
  const p1 = m.sentinels.get(peers[0]!)!;
  p1.leader = PEER1;
  p1.leaderEpoch = epoch;
  p1.lastMasterDownReplyAt = clock.now();
  m.sentinels.get(peers[1]!)!.sdown = true;
  net.tick();
  assert.ok(
    net.eventTypes().includes('-failover-abort-not-elected'),
    'aborted at once, not after the election timeout',
  );
  assert.equal(m.failoverInProgress, false);
  // PEER1 ('111...') sorts before us, so we wait one step longer than the base delay.
  const wait = m.splitRetryAt - clock.now();
  assert.ok(wait >= 400 && wait < 450, `retry in ${wait} ms`);
  // Before our turn comes, PEER1 asks for our vote in the next epoch: we give it and drop our retry.
  const out = sentinelCommand(core, ['is-master-down-by-addr', '127.0.0.1', '6379', String(epoch + 1), PEER1]);
  net.apply(core.drain());
  assert.deepEqual(isDown(out).slice(1), [PEER1, epoch + 1]);
  assert.equal(m.splitRetryAt, 0);
});

void test('split vote - not declared while a reachable peer may still vote', () => {
  const { core, m, peers, net, clock } = coreWithPeers(2, 2);
  core.startFailover(m);
  net.apply(core.drain());
  net.tick();
  const p1 = m.sentinels.get(peers[0]!)!;
  p1.leader = PEER1;
  p1.leaderEpoch = m.failoverEpoch;
  p1.lastMasterDownReplyAt = clock.now();
  net.tick(); // PEER2 is connected-or-connecting and not SDOWN: it could still give either of us a majority
  assert.ok(!net.eventTypes().includes('-failover-abort-not-elected'));
  assert.equal(m.failoverState, 'wait_start');
});
