import { test } from 'node:test';
import assert from 'node:assert/strict';
import { sentinelCommand } from '../../src/core/commands.js';
import type { Out } from '../../src/resp/types.js';
import { makeCore, masterConfig, masterInfo, replicaInfo } from './core-helpers.js';

const PEER = '1'.repeat(40);

function keys(o: Out): string[] {
  assert.equal(o.t, 'map');
  return (o as { v: Array<[Out, Out]> }).v.map(([k]) => String((k as { v: string }).v));
}
function values(o: Out): Record<string, string> {
  const r: Record<string, string> = {};
  for (const [k, v] of (o as { v: Array<[Out, Out]> }).v)
    r[String((k as { v: string }).v)] = String((v as { v: string }).v);
  return r;
}
function first(o: Out): Out {
  assert.equal(o.t, 'array');
  const v = (o as { v: Out[] }).v[0];
  assert.ok(v);
  return v;
}

function world() {
  const ctx = makeCore({
    masters: [masterConfig({ knownSentinels: [{ host: '127.0.0.1', port: 26380, runId: PEER }] })],
  });
  const { net, clock } = ctx;
  for (let i = 0; i < 3; i++) {
    clock.t += 100;
    net.tick();
    net.upAll();
    net.answer(6379, (_c, tag) =>
      tag === 'info' ? masterInfo('m'.repeat(40), [['127.0.0.1', 6380]]) : tag === 'ping' ? 'PONG' : 1,
    );
    net.answer(6380, (_c, tag) =>
      tag === 'info' ? replicaInfo('r'.repeat(40), ['127.0.0.1', 6379], { offset: 77 }) : tag === 'ping' ? 'PONG' : 1,
    );
    net.answer(26380, (_c, tag) => (tag === 'ping' ? 'PONG' : 1));
  }
  return ctx;
}

void test('records - master field order, 20 pairs when healthy, all values bulk strings', () => {
  const { core } = world();
  const rec = sentinelCommand(core, ['master', 'mymaster']);
  assert.deepEqual(keys(rec), [
    'name',
    'ip',
    'port',
    'runid',
    'flags',
    'link-pending-commands',
    'link-refcount',
    'last-ping-sent',
    'last-ok-ping-reply',
    'last-ping-reply',
    'down-after-milliseconds',
    'info-refresh',
    'role-reported',
    'role-reported-time',
    'config-epoch',
    'num-slaves',
    'num-other-sentinels',
    'quorum',
    'failover-timeout',
    'parallel-syncs',
  ]);
  for (const [, v] of (rec as { v: Array<[Out, Out]> }).v) assert.equal(v.t, 'bulk');
  const v = values(rec);
  assert.equal(v.flags, 'master');
  assert.equal(v['num-slaves'], '1');
  assert.equal(v['num-other-sentinels'], '1');
});

void test('records - replica field order (21 pairs) and values from INFO', () => {
  const { core } = world();
  const rec = first(sentinelCommand(core, ['replicas', 'mymaster']));
  assert.deepEqual(keys(rec), [
    'name',
    'ip',
    'port',
    'runid',
    'flags',
    'link-pending-commands',
    'link-refcount',
    'last-ping-sent',
    'last-ok-ping-reply',
    'last-ping-reply',
    'down-after-milliseconds',
    'info-refresh',
    'role-reported',
    'role-reported-time',
    'master-link-down-time',
    'master-link-status',
    'master-host',
    'master-port',
    'slave-priority',
    'slave-repl-offset',
    'replica-announced',
  ]);
  const v = values(rec);
  assert.equal(v.name, '127.0.0.1:6380');
  assert.equal(v.flags, 'slave');
  assert.equal(v['master-link-status'], 'ok');
  assert.equal(v['slave-repl-offset'], '77');
  assert.deepEqual(sentinelCommand(core, ['slaves', 'mymaster']), sentinelCommand(core, ['REPLICAS', 'mymaster']));
});

void test('records - sentinel field order (14 pairs); s-down-time inserted when down', () => {
  const { core, clock, net } = world();
  const rec = first(sentinelCommand(core, ['sentinels', 'mymaster']));
  assert.deepEqual(keys(rec), [
    'name',
    'ip',
    'port',
    'runid',
    'flags',
    'link-pending-commands',
    'link-refcount',
    'last-ping-sent',
    'last-ok-ping-reply',
    'last-ping-reply',
    'down-after-milliseconds',
    'last-hello-message',
    'voted-leader',
    'voted-leader-epoch',
  ]);
  assert.equal(values(rec)['voted-leader'], '?');
  // Stop answering the peer: it goes SDOWN and the record grows s-down-time after last-ping-reply.
  for (let i = 0; i < 30; i++) {
    clock.t += 100;
    net.tick();
  }
  const down = first(sentinelCommand(core, ['sentinels', 'mymaster']));
  const k = keys(down);
  assert.equal(k[k.indexOf('last-ping-reply') + 1], 's-down-time');
  assert.match(values(down).flags ?? '', /^s_down,sentinel/);
});

void test('records - failover-state appears after link-refcount during a failover', () => {
  const { core, net } = world();
  assert.deepEqual(sentinelCommand(core, ['failover', 'mymaster']), { t: 'simple', v: 'OK' });
  net.apply(core.drain());
  const rec = sentinelCommand(core, ['master', 'mymaster']);
  const k = keys(rec);
  assert.equal(k[k.indexOf('link-refcount') + 1], 'failover-state');
  assert.equal(values(rec)['failover-state'], 'wait_start');
});

void test('commands - GET-MASTER-ADDR-BY-NAME shape and unknown master', () => {
  const { core } = world();
  assert.deepEqual(sentinelCommand(core, ['get-master-addr-by-name', 'mymaster']), {
    t: 'array',
    v: [
      { t: 'bulk', v: '127.0.0.1' },
      { t: 'bulk', v: '6379' },
    ],
  });
  assert.deepEqual(sentinelCommand(core, ['get-master-addr-by-name', 'nope']), { t: 'nullarray' });
  assert.deepEqual(sentinelCommand(core, ['master', 'nope']), { t: 'error', v: 'ERR No such master with that name' });
  assert.deepEqual(sentinelCommand(core, ['masters', 'x']), {
    t: 'error',
    v: "ERR wrong number of arguments for 'sentinel|masters' command",
  });
  assert.deepEqual(sentinelCommand(core, ['Foo']), {
    t: 'error',
    v: "ERR unknown subcommand 'Foo'. Try SENTINEL HELP.",
  });
});

void test('commands - CKQUORUM counts usable sentinels', () => {
  const { core } = world();
  assert.deepEqual(sentinelCommand(core, ['ckquorum', 'mymaster']), {
    t: 'simple',
    v: 'OK 2 usable Sentinels. Quorum and failover authorization can be reached',
  });
  core.masters.get('mymaster')!.sentinels.get(PEER)!.sdown = true;
  assert.deepEqual(sentinelCommand(core, ['ckquorum', 'mymaster']), {
    t: 'error',
    v: 'NOQUORUM 1 usable Sentinels. Not enough available Sentinels to reach the specified quorum for this master. Not enough available Sentinels to reach the majority and authorize a failover',
  });
});

void test('commands - SENTINEL SET validates, emits +set and flushes', () => {
  const { core, net } = world();
  assert.deepEqual(sentinelCommand(core, ['set', 'mymaster', 'quorum', '3', 'down-after-milliseconds', '5000']), {
    t: 'simple',
    v: 'OK',
  });
  net.apply(core.drain());
  assert.ok(net.events.some((e) => e.type === '+set' && e.payload === 'master mymaster 127.0.0.1 6379 quorum 3'));
  assert.ok(net.flushes > 0);
  const m = core.masters.get('mymaster')!;
  assert.equal(m.quorum, 3);
  assert.equal(m.replicas.get('127.0.0.1:6380')!.downAfterMs, 5000, 'down-after propagates to replicas');
  assert.deepEqual(sentinelCommand(core, ['set', 'mymaster', 'quorum', '0']), {
    t: 'error',
    v: "ERR Invalid argument '0' for SENTINEL SET 'quorum'",
  });
  assert.deepEqual(sentinelCommand(core, ['set', 'mymaster', 'notification-script', '/bin/true']), {
    t: 'error',
    v: 'ERR Reconfiguration of scripts path is denied for security reasons. Check the deny-scripts-reconfig configuration directive in your Sentinel configuration',
  });
});

void test('commands - MONITOR stores an inet_aton IPv4 literal as its dotted quad, as redis-sentinel 7.0.15 does', () => {
  // Measured on redis-sentinel 7.0.15: MONITOR m 127.1 / 0 / 0x7f.1 answer OK and get-master-addr-by-name gives
  // 127.0.0.1 / 0.0.0.0 / 127.0.0.1 (the rewritten file too), with resolve-hostnames off.
  const { core } = makeCore({ masters: [] });
  for (const [given, ip] of [
    ['127.1', '127.0.0.1'],
    ['0', '0.0.0.0'],
    ['0x7f.1', '127.0.0.1'],
  ] as const) {
    assert.deepEqual(sentinelCommand(core, ['MONITOR', `m${given}`, given, '6379', '2']), { t: 'simple', v: 'OK' });
    const addr = sentinelCommand(core, ['GET-MASTER-ADDR-BY-NAME', `m${given}`]) as { v: Array<{ v: string }> };
    assert.equal(addr.v[0]?.v, ip);
    assert.equal(core.snapshot().masters.find((m) => m.name === `m${given}`)?.host, ip);
  }
  assert.match(JSON.stringify(sentinelCommand(core, ['MONITOR', 'bad', 'not-an-ip', '6379', '2'])), /Invalid IP/);
});
