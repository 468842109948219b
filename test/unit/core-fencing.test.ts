// Split-brain fencing, deposed-master demotion and empty-master protection in the core (src/core/fencing.ts),
// driven by a manual clock and a fake network.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { sentinelCommand } from '../../src/core/commands.js';
import {
  FENCE_BASE,
  keyspaceKeys,
  othersCouldFailOver,
  parseMinReplicas,
  unfencedValue,
} from '../../src/core/fencing.js';
import type { ReplyTag } from '../../src/core/types.js';
import type { Reply } from '../../src/resp/types.js';
import { makeCore, masterConfig, masterInfo, replicaInfo } from './core-helpers.js';
import type { FakeNet, ManualClock } from './core-helpers.js';

const PEER1 = { host: '127.0.0.2', port: 26379, runId: 'b'.repeat(40) };
const PEER2 = { host: '127.0.0.3', port: 26379, runId: 'c'.repeat(40) };
const MASTER_RUNID = '1'.repeat(40);

interface World {
  net: FakeNet;
  clock: ManualClock;
  minReplicas: number;
  maxLag: number;
  killed: string[];
  peersAnswer: boolean;
}

/** One master with one replica and two peer sentinels; `peersAnswer` decides whether peers reply to PING. */
function world(over: Parameters<typeof masterConfig>[0] = {}): World & ReturnType<typeof makeCore> {
  const made = makeCore({
    masters: [
      masterConfig({
        downAfterMs: 2000,
        knownSentinels: [PEER1, PEER2],
        knownReplicas: [{ host: '127.0.0.1', port: 6380 }],
        ...over,
      }),
    ],
  });
  const w = { ...made, minReplicas: 0, maxLag: 10, killed: [] as string[], peersAnswer: true };
  return w;
}

function masterReply(w: World, cmd: string[], info: string): Reply | undefined {
  const name = (cmd[0] ?? '').toUpperCase();
  if (name === 'PING') return 'PONG';
  if (name === 'INFO') return info;
  if (name === 'CONFIG' && cmd[1] === 'GET') {
    return ['min-replicas-to-write', String(w.minReplicas), 'min-replicas-max-lag', String(w.maxLag)];
  }
  if (name === 'CONFIG' && cmd[1] === 'SET') {
    w.minReplicas = Number(cmd[3]);
    w.maxLag = Number(cmd[5]);
    return 'OK';
  }
  if (name === 'CLIENT' && cmd[1] === 'LIST') {
    return [
      'id=7 addr=127.0.0.1:5000 laddr=127.0.0.1:6379 fd=8 name= age=1 flags=N cmd=set',
      'id=8 addr=127.0.0.2:5001 laddr=127.0.0.1:6379 fd=9 name=sentinel-bbbbbbbb-cmd age=1 flags=N cmd=ping',
      '',
    ].join('\n');
  }
  if (name === 'CLIENT' && cmd[1] === 'KILL') {
    w.killed.push(cmd[3] ?? '');
    return 1;
  }
  return 'OK';
}

/** Advance `ms` in 100 ms ticks, answering the master, the replica and (if `peersAnswer`) the peers. */
function run(w: World, ms: number, info = masterInfo(MASTER_RUNID, [['127.0.0.1', 6380]])): void {
  for (let t = 0; t < ms; t += 100) {
    w.clock.t += 100;
    w.net.tick();
    w.net.upAll();
    w.net.answer(6379, (cmd) => masterReply(w, cmd, info));
    w.net.answer(6380, (cmd) =>
      (cmd[0] ?? '').toUpperCase() === 'INFO' ? replicaInfo('2'.repeat(40), ['127.0.0.1', 6379]) : 'PONG',
    );
    for (const port of [26379]) {
      for (const l of w.net.links.values()) {
        if (l.kind !== 'cmd' || l.port !== port) continue;
        // A cut-off peer answers nothing; its queued commands are answered when it is back (a healed link).
        if (!w.peersAnswer) continue;
        const pending = l.sent.splice(0);
        for (const s of pending)
          w.net.apply(w.net.core.onReply(l.id, s.tag as ReplyTag, s.tag === 'ping' ? 'PONG' : 'OK'));
      }
    }
  }
}

/** The master's connection drops (a restart); the sentinel reconnects and the master answers with `info`. */
function restartMaster(w: World, info: string): void {
  const l = w.net.cmdLink(6379)!;
  w.net.apply(w.net.core.onLinkDown(l.id));
  w.net.links.delete(l.id);
  w.clock.t += 100;
  w.net.tick();
  w.net.upAll();
  w.net.answer(6379, (cmd) => masterReply(w, cmd, info));
}

const addrOf = (w: World): unknown => sentinelCommand(w.net.core, ['get-master-addr-by-name', 'mymaster']);

void test('fencing - a sentinel cut off from both peers fences its master, renews, and lifts once they are back', () => {
  const w = world();
  run(w, 3000);
  assert.equal(w.minReplicas, 0);
  assert.ok(!w.net.eventTypes().includes('+vigil-fence'), 'no fence while the peers answer');

  w.peersAnswer = false;
  run(w, 900); // fence delay = down-after / 2 = 1000 ms: not yet
  assert.equal(w.minReplicas, 0, 'not before the fence delay');
  run(w, 600);
  assert.equal(w.minReplicas, FENCE_BASE, 'fenced: min-replicas-to-write = FENCE_BASE + previous value');
  assert.ok(w.net.eventTypes().includes('+vigil-fence'));
  assert.deepEqual(w.killed.slice(0, 1), ['7'], 'normal clients dropped, sentinel links kept');
  assert.ok(!w.killed.includes('8'));
  assert.deepEqual(addrOf(w), { t: 'nullarray' }, 'a fenced master is not named');

  // The master is still reachable: the fence never makes it SDOWN, and no failover starts.
  run(w, 5000);
  const m = w.net.core.masters.get('mymaster')!;
  assert.equal(m.sdown, false);
  assert.equal(m.failoverState, 'none');
  assert.equal(w.minReplicas, FENCE_BASE);

  // A user who reset the setting meanwhile gets it re-asserted within a renewal.
  w.minReplicas = 0;
  run(w, 1100);
  assert.equal(w.minReplicas, FENCE_BASE, 'renewed');

  w.peersAnswer = true;
  run(w, 3000);
  assert.equal(w.minReplicas, FENCE_BASE, 'held for 2 hello periods after contact is back');
  run(w, 1500);
  assert.equal(w.minReplicas, 0, 'lifted: the previous value is back');
  assert.ok(w.net.eventTypes().includes('-vigil-fence'));
  assert.notDeepEqual(addrOf(w), { t: 'nullarray' });
});

void test('fencing - never when disabled, and the previous settings survive a fence', () => {
  const w = world({ vigil: { fencing: false } });
  w.peersAnswer = false;
  run(w, 3000);
  assert.equal(w.minReplicas, 0, 'vigil-fencing no');

  const w2 = world();
  w2.minReplicas = 3;
  w2.maxLag = 0;
  w2.peersAnswer = false;
  run(w2, 3000);
  assert.equal(w2.minReplicas, FENCE_BASE + 3);
  assert.equal(w2.maxLag, 10, 'a lag bound is set so the setting takes effect');
  w2.peersAnswer = true;
  run(w2, 5000);
  assert.equal(w2.minReplicas, 3);
  assert.equal(w2.maxLag, 0, 'both settings restored');
});

void test('fencing - othersCouldFailOver needs a majority and the quorum out of contact', () => {
  const { core, clock } = makeCore({
    masters: [
      masterConfig({
        quorum: 3,
        knownSentinels: [PEER1, PEER2, { ...PEER2, runId: 'd'.repeat(40) }, { ...PEER2, runId: 'e'.repeat(40) }],
      }),
    ],
  });
  const m = core.masters.get('mymaster')!;
  const peers = [...m.sentinels.values()];
  const now = clock.t;
  for (const s of peers) s.link.lastAvailAt = now;
  assert.equal(othersCouldFailOver(m, now), false);
  peers[0]!.link.lastAvailAt = now - 5000;
  peers[1]!.link.lastAvailAt = now - 5000;
  assert.equal(othersCouldFailOver(m, now), false, '2 of 5 lost: we are still a majority');
  peers[2]!.link.lastAvailAt = now - 5000;
  assert.equal(othersCouldFailOver(m, now), true, '3 of 5 lost: a majority and the quorum');
  m.quorum = 4;
  assert.equal(othersCouldFailOver(m, now), false, 'they cannot reach the quorum of 4');
});

void test('fencing - the reply parsers refuse what they do not understand', () => {
  assert.deepEqual(parseMinReplicas(['min-replicas-to-write', '2', 'min-replicas-max-lag', '10']), {
    toWrite: 2,
    maxLag: 10,
  });
  assert.equal(parseMinReplicas(new Error('ERR unknown command')), null);
  assert.equal(parseMinReplicas(['min-replicas-to-write', '-1', 'min-replicas-max-lag', '10']), null);
  assert.equal(parseMinReplicas(['min-replicas-to-write', '1e9', 'min-replicas-max-lag', '10']), null);
  assert.equal(parseMinReplicas(['min-replicas-to-write', '2']), null);
  assert.equal(parseMinReplicas('OK'), null);
  assert.equal(unfencedValue(FENCE_BASE + 2), 2);
  assert.equal(unfencedValue(2), null);
  assert.equal(keyspaceKeys('# Keyspace\r\ndb0:keys=3,expires=0,avg_ttl=0\r\ndb2:keys=4,expires=1,avg_ttl=0\r\n'), 7);
  assert.equal(keyspaceKeys('# Keyspace\r\n'), 0);
});

void test('fencing - a stale fence found on (re)connect is removed', () => {
  const w = world();
  w.minReplicas = FENCE_BASE + 1;
  run(w, 500);
  assert.equal(w.minReplicas, 1);
  assert.ok(w.net.events.some((e) => e.type === '-vigil-fence' && e.payload.includes('stale fence')));
});

void test('empty master - a master that restarts empty while its replica holds data is SDOWN at once', () => {
  const w = world();
  const withKeys = (runId: string, keys: number): string =>
    masterInfo(runId, [['127.0.0.1', 6380]]) +
    (keys > 0 ? `# Keyspace\r\ndb0:keys=${keys},expires=0,avg_ttl=0\r\n` : '# Keyspace\r\n');
  // The replica reports data.
  const replica = w.net.core.masters.get('mymaster')!.replicas.get('127.0.0.1:6380')!;
  run(w, 2000, withKeys(MASTER_RUNID, 5));
  replica.info = replicaInfo('2'.repeat(40), ['127.0.0.1', 6379]) + '# Keyspace\r\ndb0:keys=5,expires=0,avg_ttl=0\r\n';
  const m = w.net.core.masters.get('mymaster')!;
  // Restart: a new run id and no keys.
  restartMaster(w, withKeys('9'.repeat(40), 0));
  assert.ok(w.net.eventTypes().includes('+reboot'));
  assert.ok(w.net.eventTypes().includes('+vigil-empty-master'));
  // Demoted at once to a replica of the replica holding the data, before any failover.
  assert.ok(w.net.eventTypes().includes('+vigil-empty-master-demoted'));
  const sent = w.net.cmdLink(6379)!.sent.map((c) => c.cmd.join(' '));
  const at = sent.indexOf('SLAVEOF 127.0.0.1 6380');
  assert.ok(at > 0 && sent[at - 1] === 'MULTI', sent.join(' | '));
  assert.ok(sent.slice(at).includes('EXEC'));
  w.clock.t += 100;
  w.net.tick();
  assert.equal(m.sdown, true, 'SDOWN without waiting for down-after');

  // Opt-out.
  const w2 = world({ vigil: { emptyMasterFailover: false } });
  run(w2, 1000);
  w2.net.core.masters.get('mymaster')!.replicas.get('127.0.0.1:6380')!.info = replica.info;
  restartMaster(w2, withKeys('9'.repeat(40), 0));
  assert.ok(!w2.net.eventTypes().includes('+vigil-empty-master'));
  assert.ok(!w2.net.cmdLink(6379)!.sent.some((c) => c.cmd[0] === 'SLAVEOF'));
});

void test('fencing - the vigil-* directives parse, rewrite only when not default, and SENTINEL SET changes them', async () => {
  const { parseConfig, persistedStateFromConfig, rewriteConfig } = await import('../../src/config/index.js');
  const text = [
    'sentinel myid ' + 'f'.repeat(40),
    'sentinel monitor m 127.0.0.1 6379 2',
    'sentinel vigil-fencing m no',
    'sentinel vigil-fence-delay m 750',
    'sentinel vigil-empty-master-failover m NO',
    '',
  ].join('\n');
  const doc = parseConfig(text);
  const mc = doc.config.masters.find((x) => x.name === 'm')!;
  assert.deepEqual(mc.vigil, { fencing: false, fenceDelayMs: 750, emptyMasterFailover: false });
  const out = rewriteConfig(doc, persistedStateFromConfig(doc), { options: doc.config.server, cwd: '/tmp' });
  assert.match(out, /^sentinel vigil-fencing m no$/m);
  assert.match(out, /^sentinel vigil-fence-delay m 750$/m);
  assert.match(out, /^sentinel vigil-empty-master-failover m no$/m);
  assert.throws(
    () => parseConfig('sentinel monitor m 127.0.0.1 6379 2\nsentinel vigil-fencing m maybe\n'),
    /yes or no/,
  );
  assert.throws(
    () => parseConfig('sentinel monitor m 127.0.0.1 6379 2\nsentinel vigil-fence-delay m -5\n'),
    /negative/,
  );

  const { core } = makeCore();
  assert.deepEqual(sentinelCommand(core, ['set', 'mymaster', 'vigil-fencing', 'no', 'vigil-fence-delay', '300']), {
    t: 'simple',
    v: 'OK',
  });
  const m = core.masters.get('mymaster')!;
  assert.equal(m.vigilFencing, false);
  assert.equal(m.vigilFenceDelayMs, 300);
  const snap = core.snapshot().masters[0]!;
  assert.deepEqual(snap.vigil, { fencing: false, fenceDelayMs: 300 });
  const bad = sentinelCommand(core, ['set', 'mymaster', 'vigil-fencing', 'perhaps']) as { t: string };
  assert.equal(bad.t, 'error');
  // Defaults write nothing.
  const plain = parseConfig('sentinel monitor m 127.0.0.1 6379 2\n');
  assert.doesNotMatch(
    rewriteConfig(plain, persistedStateFromConfig(plain), { options: plain.config.server, cwd: '/tmp' }),
    /vigil-/,
  );
});
