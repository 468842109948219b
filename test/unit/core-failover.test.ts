import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Reply } from '../../src/resp/types.js';
import { MYID, makeCore, masterConfig, masterInfo, replicaInfo } from './core-helpers.js';
import type { FakeNet, ManualClock } from './core-helpers.js';

const PEER1 = '1'.repeat(40);
const PEER2 = '2'.repeat(40);
const R_MASTER = 'm'.repeat(40);
const R_A = 'b'.repeat(40);
const R_B = 'c'.repeat(40);

interface World {
  masterAlive: boolean;
  promoted: number | null;
  replicaOf: Map<number, number>;
  peerDown: boolean;
  peerVote: (runid: string, epoch: number) => [string, number];
}

function answerAll(net: FakeNet, w: World): void {
  const ports = [6379, 6380, 6381];
  for (const port of ports) {
    if (port === 6379 && !w.masterAlive) continue;
    net.answer(port, (cmd, tag): Reply | undefined => {
      if (tag === 'ping') return 'PONG';
      if (tag === 'publish') return 1;
      if (cmd[0] === 'SLAVEOF') {
        if (cmd[1] === 'NO') w.promoted = port;
        else w.replicaOf.set(port, Number(cmd[2]));
      }
      if (tag === 'info') {
        if (port === 6379)
          return masterInfo(R_MASTER, [
            ['127.0.0.1', 6380],
            ['127.0.0.1', 6381],
          ]);
        if (w.promoted === port) return masterInfo(port === 6380 ? R_A : R_B);
        const upstream = w.replicaOf.get(port) ?? 6379;
        return replicaInfo(port === 6380 ? R_A : R_B, ['127.0.0.1', upstream], { offset: port === 6380 ? 500 : 400 });
      }
      return 'OK';
    });
  }
  for (const port of [26380, 26381]) {
    net.answer(port, (cmd, tag): Reply | undefined => {
      if (tag === 'ping') return 'PONG';
      if (tag === 'publish') return 1;
      if (tag === 'is-master-down') {
        const runid = cmd[5] ?? '*';
        const [leader, epoch] = runid === '*' ? ['*', 0] : w.peerVote(runid, Number(cmd[4]));
        return [w.peerDown ? 1 : 0, leader, epoch];
      }
      return 'OK';
    });
  }
}

function run(net: FakeNet, clock: ManualClock, w: World, ms: number, step = 50): void {
  for (let t = 0; t < ms; t += step) {
    clock.t += step;
    net.tick();
    net.upAll();
    answerAll(net, w);
  }
}

function setup(quorum = 2) {
  const mc = masterConfig({
    quorum,
    downAfterMs: 1000,
    knownSentinels: [
      { host: '127.0.0.1', port: 26380, runId: PEER1 },
      { host: '127.0.0.1', port: 26381, runId: PEER2 },
    ],
  });
  const ctx = makeCore({ masters: [mc] });
  const w: World = {
    masterAlive: true,
    promoted: null,
    replicaOf: new Map(),
    peerDown: false,
    peerVote: (runid, epoch) => [runid, epoch],
  };
  run(ctx.net, ctx.clock, w, 1500);
  return { ...ctx, w };
}

void test('failover - discovery of replicas from master INFO', () => {
  const { core, net } = setup();
  const m = core.masters.get('mymaster')!;
  assert.deepEqual([...m.replicas.keys()].sort(), ['127.0.0.1:6380', '127.0.0.1:6381']);
  assert.equal(net.events.filter((e) => e.type === '+slave').length, 2);
  assert.ok(net.flushes >= 2, 'each new replica is flushed');
});

void test('failover - sdown after down-after, odown with quorum, elected, promotes the best replica', () => {
  const { core, net, clock, w } = setup();
  const m = core.masters.get('mymaster')!;
  const before = net.events.length;
  w.masterAlive = false;
  const masterLink = net.cmdLink(6379)!;
  net.apply(core.onLinkDown(masterLink.id));
  w.peerDown = true;
  const killedAt = clock.t;
  const lastReplyAt = m.link.lastAvailAt;
  while (!net.events.slice(before).some((e) => e.type === '+sdown') && clock.t - killedAt < 5000)
    run(net, clock, w, 50);
  const detectMs = clock.t - killedAt;
  // down-after (1000) is silence since the last valid reply; the check runs every tick (50 ms steps here).
  const silentMs = clock.t - lastReplyAt;
  assert.ok(silentMs > 1000 && silentMs <= 1150, `sdown after ${silentMs} ms of silence`);
  assert.ok(detectMs <= 1150, `sdown ${detectMs} ms after the kill`);
  run(net, clock, w, 300);
  const types = net.events.slice(before).map((e) => e.type);
  for (const t of [
    '+sdown',
    '+odown',
    '+new-epoch',
    '+try-failover',
    '+vote-for-leader',
    '+elected-leader',
    '+selected-slave',
    '+failover-state-wait-promotion',
    '+promoted-slave',
    '+failover-state-reconf-slaves',
    '+slave-reconf-sent',
  ]) {
    assert.ok(types.includes(t), `missing ${t} in ${types.join(' ')}`);
  }
  assert.equal(w.promoted, 6380, 'higher offset wins');
  assert.equal(m.configEpoch, 1);
  assert.equal(core.currentMasterAddr(m).port, 6380, 'leader answers with the promoted replica during reconf');
  const odown = net.events.find((e) => e.type === '+odown');
  assert.equal(odown?.payload, 'master mymaster 127.0.0.1 6379 #quorum 3/2');
  // The other replica gets reconfigured; when its link is up the failover ends and the master switches.
  run(net, clock, w, 1500);
  const sw = net.events.find((e) => e.type === '+switch-master');
  assert.equal(sw?.payload, 'mymaster 127.0.0.1 6379 127.0.0.1 6380');
  assert.equal(m.port, 6380);
  assert.ok(m.replicas.has('127.0.0.1:6379'), 'old master tracked as a replica');
  assert.ok(m.replicas.has('127.0.0.1:6381'));
  assert.equal(m.failoverState, 'none');
});

void test('failover - no failover without a majority (peers vote for someone else)', () => {
  const { core, net, clock, w } = setup();
  const m = core.masters.get('mymaster')!;
  w.peerVote = (_runid, epoch) => [PEER1, epoch];
  w.masterAlive = false;
  net.apply(core.onLinkDown(net.cmdLink(6379)!.id));
  w.peerDown = true;
  run(net, clock, w, 1600);
  const types = net.eventTypes();
  assert.ok(types.includes('+try-failover'));
  assert.ok(!types.includes('+elected-leader'), 'must not be elected');
  assert.equal(w.promoted, null);
  // We gave our vote to PEER1 too (most voted), so PEER1 could win; we abort after the election timeout.
  run(net, clock, w, 7000);
  assert.ok(net.eventTypes().includes('-failover-abort-not-elected'));
  assert.equal(m.failoverInProgress, false);
});

void test('failover - no odown without quorum', () => {
  const { core, net, clock, w } = setup(3);
  const m = core.masters.get('mymaster')!;
  w.masterAlive = false;
  net.apply(core.onLinkDown(net.cmdLink(6379)!.id));
  w.peerDown = false;
  run(net, clock, w, 3000);
  assert.ok(m.sdown);
  assert.ok(!m.odown);
  assert.ok(!net.eventTypes().includes('+try-failover'));
});

void test('failover - SENTINEL FAILOVER forces promotion without votes', async () => {
  const { core, net, clock, w } = setup();
  const { sentinelCommand } = await import('../../src/core/commands.js');
  w.peerVote = () => ['*', 0];
  assert.deepEqual(sentinelCommand(core, ['failover', 'mymaster']), { t: 'simple', v: 'OK' });
  net.apply(core.drain());
  assert.match(core.masters.get('mymaster')!.flagsString(), /^master,failover_in_progress,force_failover$/);
  assert.deepEqual(sentinelCommand(core, ['failover', 'mymaster']), {
    t: 'error',
    v: 'INPROG Failover already in progress',
  });
  run(net, clock, w, 300);
  assert.equal(w.promoted, 6380);
  assert.ok(
    net.events.some((e) => e.type === '+vote-for-leader' && e.payload === `${MYID} 1`),
    'self vote',
  );
  assert.ok(net.eventTypes().includes('+switch-master'));
});

void test('tilt - a stalled timer enters TILT, which blocks sdown and ends after the tilt period', () => {
  const { core, net, clock, w } = setup();
  clock.t += 3000;
  net.tick();
  assert.ok(core.tilt);
  assert.ok(net.eventTypes().includes('+tilt'));
  w.masterAlive = false;
  net.apply(core.onLinkDown(net.cmdLink(6379)!.id));
  run(net, clock, w, 5000);
  assert.ok(!core.masters.get('mymaster')!.sdown, 'no sdown evaluation in TILT');
  run(net, clock, w, 26000, 100);
  assert.ok(!core.tilt);
  assert.ok(net.eventTypes().includes('-tilt'));
  assert.ok(core.masters.get('mymaster')!.sdown);
});

void test('failover - an observer switching to the new master does not carry the old ODOWN over', () => {
  const { core, net, clock, w } = setup();
  const m = core.masters.get('mymaster')!;
  w.masterAlive = false;
  w.peerDown = true;
  w.peerVote = (_runid, epoch) => [PEER1, epoch]; // the peers elect PEER1, we only observe
  net.apply(core.onLinkDown(net.cmdLink(6379)!.id));
  while (!m.odown && clock.t < 2_000_000) run(net, clock, w, 50);
  assert.ok(m.odown);
  // PEER1 promoted 6380 and announces it (config epoch 1).
  w.promoted = 6380;
  net.apply(core.onClientPublish(`127.0.0.1,26380,${PEER1},1,mymaster,127.0.0.1,6380,1`));
  assert.equal(m.port, 6380);
  // Peers' down reports were about the old address, and the new address is connected on the very next tick.
  for (const s of m.sentinels.values()) assert.equal(s.masterDown, false);
  clock.t += 10;
  const effects = net.tick();
  assert.ok(
    effects.some((e) => e.t === 'connect' && e.port === 6380 && e.kind === 'cmd'),
    'connect at once',
  );
  w.peerDown = false; // peers now see the new master up
  const before = net.events.length;
  run(net, clock, w, 3000);
  const after = net.events.slice(before).map((e) => e.type);
  assert.ok(!after.includes('+odown') && !after.includes('+try-failover'), after.join(' '));
  assert.ok(!m.sdown, 'new master is healthy');
});
