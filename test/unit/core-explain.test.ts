// explain (src/core/explain.ts): why a replica cannot be promoted and why the master is not failed over, read
// from the core's state; and the TILT cause. Each replica is put in exactly one bad state and must show exactly
// that reason; a healthy one none.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { explainMaster } from '../../src/core/explain.js';
import { parseConfig } from '../../src/config/parse.js';
import { rewriteConfig, persistedStateFromConfig } from '../../src/config/rewrite.js';
import { makeCore, masterConfig } from './core-helpers.js';

function setup() {
  const ports = [6380, 6381, 6382, 6383, 6384];
  const { core, net, clock } = makeCore({
    masters: [masterConfig({ knownReplicas: ports.map((port) => ({ host: '127.0.0.1', port })) })],
  });
  net.tick();
  net.upAll();
  const m = core.masters.get('mymaster')!;
  m.info = '# Replication\r\nrole:master\r\nmaster_repl_offset:500\r\n';
  for (const r of m.replicas.values()) {
    r.infoRefreshAt = clock.t;
    r.link.lastAvailAt = clock.t;
    r.slaveReplOffset = 400;
  }
  return { core, m, clock };
}

void test('explain - one reason per broken replica, none for the healthy one, lag from the master offset', () => {
  const { core, m } = setup();
  const r = (port: number) => m.replicas.get(`127.0.0.1:${port}`)!;
  r(6381).slavePriority = 0;
  r(6382).sdown = true;
  r(6383).infoRefreshAt -= 31_000;
  r(6384).masterLinkDownMs = 10_000_000;
  const x = explainMaster(core, m);
  const by = new Map(x.replicas.map((e) => [e.port, e]));
  assert.deepEqual(by.get(6380)!.reasons, []);
  assert.equal(by.get(6380)!.eligible, true);
  assert.equal(by.get(6380)!.lagBytes, 100);
  assert.match(by.get(6381)!.reasons.join(), /priority is 0/);
  assert.match(by.get(6382)!.reasons.join(), /down \(SDOWN\)/);
  assert.match(by.get(6383)!.reasons.join(), /INFO is stale/);
  assert.match(by.get(6384)!.reasons.join(), /too old/);
  for (const p of [6381, 6382, 6383, 6384]) assert.equal(by.get(p)!.reasons.length, 1, `one reason for ${p}`);
  assert.equal(x.best, '127.0.0.1:6380');
  assert.equal(x.best, core.selectSlave(m)?.name, 'explain agrees with selectSlave');
});

void test('explain - the master: not down, then SDOWN without quorum, then no usable majority', () => {
  const { core, m } = setup();
  let x = explainMaster(core, m);
  assert.equal(x.failoverPossible, false);
  assert.match(x.why.join(), /not SDOWN/);
  m.sdown = true;
  x = explainMaster(core, m);
  assert.match(x.why.join(), /only 1\/2 sentinels agree/);
  assert.equal(x.quorumReachable, false, 'alone, quorum 2 is out of reach');
  assert.equal(x.majorityReachable, true, 'alone, we are the majority of 1');
  m.odown = true;
  m.quorum = 1;
  x = explainMaster(core, m);
  assert.deepEqual(x.why, []);
  assert.equal(x.failoverPossible, true);
  for (const rr of m.replicas.values()) rr.slavePriority = 0;
  x = explainMaster(core, m);
  assert.match(x.why.join(), /no replica can be promoted/);
  assert.equal(x.best, null);
});

void test('tilt - the cause is kept and logged (timer stall, clock backwards)', () => {
  const { core, net, clock } = makeCore();
  clock.t += 5000;
  net.tick();
  assert.equal(core.tiltCause, 'timer-stall');
  const logs = net.other.filter((e) => e.t === 'log').map((e) => (e as { text: string }).text);
  assert.ok(
    logs.some((l) => /^TILT mode entered: 5000 ms between two timer ticks/.test(l)),
    logs.join('\n'),
  );
  clock.t -= 10_000;
  net.tick();
  assert.equal(core.tiltCause, 'clock-backwards');
});

void test('config - vigil-http-* directives parse, are validated and are written back only when set', () => {
  const text = [
    'sentinel monitor mymaster 127.0.0.1 6379 2',
    'sentinel vigil-http-port 9479',
    'sentinel vigil-http-bind ::1',
    'sentinel vigil-http-token "a b"',
  ].join('\n');
  const doc = parseConfig(text);
  assert.equal(doc.config.sentinel.vigilHttpPort, 9479);
  assert.equal(doc.config.sentinel.vigilHttpBind, '::1');
  assert.equal(doc.config.sentinel.vigilHttpToken, 'a b');
  const out = rewriteConfig(text, persistedStateFromConfig(doc), { options: doc.config.server, cwd: '/' });
  assert.match(out, /^sentinel vigil-http-port 9479$/m);
  assert.match(out, /^sentinel vigil-http-bind ::1$/m);
  assert.match(out, /^sentinel vigil-http-token "a b"$/m);
  const plain = 'sentinel monitor mymaster 127.0.0.1 6379 2\n';
  const d2 = parseConfig(plain);
  assert.doesNotMatch(
    rewriteConfig(plain, persistedStateFromConfig(d2), { options: d2.config.server, cwd: '/' }),
    /vigil-http/,
  );
  assert.throws(() => parseConfig('sentinel vigil-http-port 70000\n'), /Invalid port/);
  assert.throws(() => parseConfig('sentinel vigil-http-bind example.com\n'), /Invalid address/);
});
