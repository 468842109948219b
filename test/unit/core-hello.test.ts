import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MYID, makeCore } from './core-helpers.js';

const A = 'a1'.repeat(20);
const B = 'b2'.repeat(20);
const hello = (ip: string, port: number, runid: string, epoch: number, cfgEpoch = 0, mport = 6379): string =>
  `${ip},${port},${runid},${epoch},mymaster,127.0.0.1,${mport},${cfgEpoch}`;

void test('hello - a new sentinel is added, flushed and announced with +sentinel', () => {
  const { core, net } = makeCore();
  net.apply(core.onClientPublish(hello('127.0.0.1', 26380, A, 0)));
  const m = core.masters.get('mymaster')!;
  assert.deepEqual([...m.sentinels.keys()], [A]);
  assert.deepEqual(net.events.at(-1), {
    type: '+sentinel',
    payload: `sentinel ${A} 127.0.0.1 26380 @ mymaster 127.0.0.1 6379`,
  });
  assert.ok(net.flushes > 0);
});

void test('hello - same runid on a new address is an address switch; same address with a new runid invalidates the old one', () => {
  const { core, net } = makeCore();
  const m = core.masters.get('mymaster')!;
  net.apply(core.onClientPublish(hello('127.0.0.1', 26380, A, 0)));
  net.apply(core.onClientPublish(hello('127.0.0.1', 26390, A, 0)));
  assert.equal(m.sentinels.get(A)?.port, 26390);
  assert.ok(
    net.events.some(
      (e) =>
        e.type === '+sentinel-address-switch' &&
        e.payload === `master mymaster 127.0.0.1 6379 ip 127.0.0.1 port 26390 for ${A}`,
    ),
  );
  net.apply(core.onClientPublish(hello('127.0.0.1', 26390, B, 0)));
  assert.deepEqual([...m.sentinels.keys()], [B]);
  assert.ok(
    net.events.some(
      (e) => e.type === '+sentinel-invalid-addr' && e.payload.startsWith(`sentinel ${A} 127.0.0.1 26390`),
    ),
  );
});

void test('hello - a higher epoch is adopted (+new-epoch), malformed or own hellos are ignored', () => {
  const { core, net } = makeCore();
  net.apply(core.onClientPublish(hello('127.0.0.1', 26380, A, 7)));
  assert.equal(core.currentEpoch, 7);
  assert.ok(net.events.some((e) => e.type === '+new-epoch' && e.payload === '7'));
  net.apply(core.onClientPublish(hello('127.0.0.1', 26381, MYID, 9)));
  net.apply(core.onClientPublish('127.0.0.1,26382,x,9,mymaster,127.0.0.1,6379'));
  net.apply(core.onClientPublish(hello('127.0.0.1', 26383, B, 9).replace('mymaster', 'other')));
  assert.equal(core.currentEpoch, 7);
  assert.equal(core.masters.get('mymaster')!.sentinels.size, 1);
});

void test('hello - a newer config epoch with another address switches the master (+config-update-from, +switch-master)', () => {
  const { core, net } = makeCore();
  const m = core.masters.get('mymaster')!;
  net.apply(core.onClientPublish(hello('127.0.0.1', 26380, A, 0)));
  net.apply(core.onClientPublish(hello('127.0.0.1', 26380, A, 3, 3, 6380)));
  assert.equal(m.port, 6380);
  assert.equal(m.configEpoch, 3);
  const types = net.eventTypes();
  assert.ok(types.indexOf('+config-update-from') < types.indexOf('+switch-master'));
  assert.deepEqual(
    net.events.find((e) => e.type === '+switch-master')?.payload,
    'mymaster 127.0.0.1 6379 127.0.0.1 6380',
  );
  assert.ok(m.replicas.has('127.0.0.1:6379'), 'the old master is tracked as a replica');
  // An older or equal config epoch never moves it back.
  net.apply(core.onClientPublish(hello('127.0.0.1', 26380, A, 3, 2, 6379)));
  assert.equal(m.port, 6380);
});
