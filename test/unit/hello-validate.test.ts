// Hello poisoning: every field of a `__sentinel__:hello` is validated before the core stores anything, and
// discovery is capped per master. Table cases for the validator, a fast-check property that nothing malformed is
// ever accepted, and core-level checks that a dropped hello changes no state, requests no flush and logs a
// rate-limited warning.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  MAX_EPOCH_JUMP,
  MAX_REPLICAS_PER_MASTER,
  MAX_SENTINELS_PER_MASTER,
  RateLimitedWarning,
  isIpv6Literal,
  isValidHostname,
  parseHello,
} from '../../src/core/hello.js';
import { MYID, makeCore, masterInfo } from './core-helpers.js';

const A = 'a1'.repeat(20);
const ctx = { currentEpoch: 5, resolveHostnames: false };
const fields = (over: Partial<Record<number, string>> = {}): string => {
  const f = ['127.0.0.1', '26380', A, '5', 'mymaster', '127.0.0.1', '6379', '5'];
  for (const [i, v] of Object.entries(over)) f[Number(i)] = v as string;
  return f.join(',');
};

void test('hello validation - a well-formed hello parses to its fields', () => {
  assert.deepEqual(parseHello(fields(), ctx), {
    ok: true,
    hello: {
      ip: '127.0.0.1',
      port: 26380,
      runId: A,
      currentEpoch: 5,
      masterName: 'mymaster',
      masterIp: '127.0.0.1',
      masterPort: 6379,
      configEpoch: 5,
    },
  });
  assert.ok(parseHello(fields({ 0: '::1', 5: 'fe80::1:2' }), ctx).ok);
  assert.ok(parseHello(fields({ 0: '::ffff:127.0.0.1' }), ctx).ok);
  assert.ok(parseHello(fields({ 3: String(5 + MAX_EPOCH_JUMP), 7: '0' }), ctx).ok);
});

void test('hello validation - poison fields are rejected', () => {
  const bad: Array<[string, Partial<Record<number, string>>]> = [
    ['hostname without resolve-hostnames', { 0: 'foo.invalid' }],
    ['space in address', { 0: '127.0.0.1 ' }],
    ['IPv4 part above 255', { 0: '127.0.0.256' }],
    ['IPv4 with leading zero', { 0: '127.0.0.01' }],
    ['bad IPv6', { 0: '1:::2' }],
    ['port 99999', { 1: '99999' }],
    ['port 0', { 1: '0' }],
    ['port with sign', { 1: '+26380' }],
    ['port with space', { 1: ' 26380' }],
    ['short run id', { 2: 'abc' }],
    ['run id of 40 non-hex', { 2: 'z'.repeat(40) }],
    ['run id of 41 hex', { 2: 'a'.repeat(41) }],
    ['epoch 1e23', { 3: '1e23' }],
    ['epoch of 24 digits', { 3: '100000000000000000000000' }],
    ['epoch 2^53', { 3: '9007199254740992' }],
    ['epoch ULLONG_MAX', { 3: '18446744073709551615' }],
    ['negative epoch', { 3: '-1' }],
    ['epoch with leading zero', { 3: '07' }],
    ['epoch jump too large', { 3: String(6 + MAX_EPOCH_JUMP) }],
    ['config epoch jump too large', { 7: String(6 + MAX_EPOCH_JUMP) }],
    ['config epoch with exponent', { 7: '1e3' }],
    ['empty master name', { 4: '' }],
    ['master address hostname', { 5: 'evil.example' }],
    ['master port 65536', { 6: '65536' }],
  ];
  for (const [name, over] of bad) assert.equal(parseHello(fields(over), ctx).ok, false, name);
  assert.equal(parseHello('127.0.0.1,26380', ctx).ok, false, 'too few fields');
  assert.equal(parseHello(`${fields()},extra`, ctx).ok, false, 'too many fields');
});

void test('hello validation - hostnames only with resolve-hostnames, and only clean ones', () => {
  const rh = { ...ctx, resolveHostnames: true };
  assert.ok(parseHello(fields({ 0: 'sentinel-1.svc.cluster.local', 5: 'redis-0.redis' }), rh).ok);
  for (const h of ['a b', 'a\nb', 'a"b', '-lead', 'x'.repeat(64), `${'a.'.repeat(128)}b`, 'a..b', '', 'é.example']) {
    assert.equal(isValidHostname(h), false, JSON.stringify(h));
    assert.equal(parseHello(fields({ 0: h }), rh).ok, false, JSON.stringify(h));
  }
  assert.equal(isIpv6Literal('1:2:3:4:5:6:7:8'), true);
  assert.equal(isIpv6Literal('1:2:3:4:5:6:7:8:9'), false);
  assert.equal(isIpv6Literal('1::2::3'), false);
});

void test('hello validation - property: whatever is accepted is canonical, in range and round-trips', () => {
  const piece = fc.oneof(
    fc.string({ maxLength: 45 }),
    fc.constantFrom('127.0.0.1', '::1', '26380', A, 'mymaster', '0', '5', '1e23', '99999', '9007199254740993'),
    fc.bigInt({ min: 0n, max: 2n ** 64n }).map(String),
  );
  fc.assert(
    fc.property(fc.array(piece, { minLength: 8, maxLength: 8 }), fc.boolean(), (parts, rh) => {
      const r = parseHello(parts.join(','), { currentEpoch: 5, resolveHostnames: rh });
      if (!r.ok) return;
      const h = r.hello;
      assert.ok(Number.isInteger(h.port) && h.port >= 1 && h.port <= 65535);
      assert.ok(Number.isInteger(h.masterPort) && h.masterPort >= 1 && h.masterPort <= 65535);
      assert.match(h.runId, /^[0-9a-fA-F]{40}$/);
      for (const e of [h.currentEpoch, h.configEpoch]) assert.ok(Number.isSafeInteger(e) && e <= 5 + MAX_EPOCH_JUMP);
      for (const a of [h.ip, h.masterIp]) assert.match(a, /^[0-9A-Za-z.:_-]+$/);
      // The numbers are exactly the digits sent: what we persist is what the peer said, never a rounding.
      assert.equal(String(h.port), parts[1]);
      assert.equal(String(h.currentEpoch), parts[3]);
      assert.equal(String(h.configEpoch), parts[7]);
    }),
    { numRuns: 3000 },
  );
});

void test('hello - a poisoned hello is dropped: no state change, no flush, one rate-limited warning', () => {
  const { core, net, clock } = makeCore();
  const before = JSON.stringify(core.snapshot());
  const poison = [
    `foo.invalid,26380,${A},0,mymaster,127.0.0.1,6379,0`,
    `127.0.0.1,99999,${A},0,mymaster,127.0.0.1,6379,0`,
    `127.0.0.1,26380,${A},${'1'.padEnd(24, '0')},mymaster,127.0.0.1,6379,0`,
    `127.0.0.1,26380,${A},18446744073709551615,mymaster,127.0.0.1,6379,0`,
    `127.0.0.1,26380,abc,0,mymaster,127.0.0.1,6379,0`,
    `127.0.0.1,26380,${A},0,mymaster,127.0.0.1,6379,1e23`,
  ];
  const warnings = (): string[] =>
    net.other.flatMap((e) => (e.t === 'log' && e.level === 'warning' ? [e.text] : [])).filter((t) => /hello/.test(t));
  for (const p of poison) net.apply(core.onClientPublish(p));
  assert.equal(JSON.stringify(core.snapshot()), before);
  assert.equal(net.flushes, 0);
  assert.equal(core.currentEpoch, 0);
  assert.equal(warnings().length, 1, warnings().join('\n'));
  assert.match(warnings()[0]!, /Ignored invalid hello \(invalid sentinel address\): "foo\.invalid,/);
  clock.t += 10_001;
  net.apply(core.onClientPublish(poison[1]!));
  assert.equal(warnings().length, 2);
  assert.match(warnings()[1]!, /\(5 similar messages suppressed\)$/, warnings()[1]);
  // Control characters in the payload never reach the log raw.
  clock.t += 10_001;
  net.apply(core.onClientPublish('x\ny\r\x00,1,2,3,4,5,6,7'));
  assert.ok(!/[\r\n\0]/.test(warnings()[2]!), warnings()[2]);
});

void test('hello - at most MAX_SENTINELS_PER_MASTER sentinels; known ones still update', () => {
  const { core, net } = makeCore();
  const m = core.masters.get('mymaster')!;
  const runid = (i: number): string => i.toString(16).padStart(40, 'c');
  const hello = (i: number, epoch = 0): string =>
    `127.0.0.${1 + (i % 200)},${20000 + i},${runid(i)},${epoch},mymaster,127.0.0.1,6379,0`;
  for (let i = 0; i < MAX_SENTINELS_PER_MASTER + 50; i++) net.apply(core.onClientPublish(hello(i)));
  assert.equal(m.sentinels.size, MAX_SENTINELS_PER_MASTER);
  assert.ok(!m.sentinels.has(runid(MAX_SENTINELS_PER_MASTER)));
  const caps = net.other.filter((e) => e.t === 'log' && /already 64 sentinels known/.test(e.text));
  assert.equal(caps.length, 1, 'the cap warning is rate-limited');
  // A hello from a new sentinel beyond the cap does not move our epoch either.
  net.apply(core.onClientPublish(hello(MAX_SENTINELS_PER_MASTER + 60, 9)));
  assert.equal(core.currentEpoch, 0);
  // A known sentinel is still heard.
  net.apply(core.onClientPublish(hello(3, 9)));
  assert.equal(core.currentEpoch, 9);
  assert.ok(!m.sentinels.has(MYID));
});

void test('discovery - at most MAX_REPLICAS_PER_MASTER replicas from INFO, and only valid addresses', () => {
  const { core, net, clock } = makeCore();
  const m = core.masters.get('mymaster')!;
  const list: Array<[string, number]> = [];
  for (let i = 0; i < MAX_REPLICAS_PER_MASTER + 40; i++) list.push([`127.0.${i >> 8}.${i & 255}`, 7000]);
  list.push(['evil host', 7001], ['foo.invalid', 7002], ['127.0.0.1', 0]);
  for (let i = 0; i < 3; i++) {
    clock.t += 100;
    net.tick();
    net.upAll();
    net.answer(6379, (_c, tag) => (tag === 'info' ? masterInfo('f'.repeat(40), list) : tag === 'ping' ? 'PONG' : 1));
  }
  assert.equal(m.replicas.size, MAX_REPLICAS_PER_MASTER);
  for (const k of m.replicas.keys()) assert.match(k, /^127\.0\.\d+\.\d+:7000$/);
  assert.equal(net.other.filter((e) => e.t === 'log' && /replicas known/.test(e.text)).length, 1);
});

void test('rate-limited warning - one line per period with the suppressed count', () => {
  const w = new RateLimitedWarning(1000);
  assert.equal(w.next(0, 'x'), 'x');
  assert.equal(w.next(500, 'x'), null);
  assert.equal(w.next(999, 'x'), null);
  assert.equal(w.next(1000, 'y'), 'y (2 similar messages suppressed)');
  assert.equal(w.next(3000, 'z'), 'z');
});
