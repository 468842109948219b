import { test } from 'node:test';
import assert from 'node:assert/strict';
import { sentinelCommand } from '../../src/core/commands.js';
import type { Out } from '../../src/resp/types.js';
import { makeCore, masterConfig } from './core-helpers.js';
import type { FakeNet } from './core-helpers.js';

const A = 'a1'.repeat(20);
const B = 'b2'.repeat(20);
const hello = (port: number, runid: string, master: string, mport: number): string =>
  `127.0.0.1,${port},${runid},0,${master},127.0.0.1,${mport},0`;

function twoMasters() {
  const peer = { host: '127.0.0.1', port: 26380, runId: A };
  return makeCore({
    masters: [
      masterConfig({ name: 'm1', port: 6379, knownSentinels: [peer] }),
      masterConfig({ name: 'm2', port: 6479, knownSentinels: [peer] }),
    ],
  });
}

/** `field` of every record of SENTINEL SENTINELS <master>. */
function sentinelsField(core: Parameters<typeof sentinelCommand>[0], master: string, field: string): string[] {
  const out: Out = sentinelCommand(core, ['sentinels', master]);
  assert.equal(out.t, 'array');
  return (out.t === 'array' ? out.v : []).map((rec) => {
    const pairs = rec.t === 'map' ? rec.v : [];
    const hit = pairs.find(([k]) => k.t === 'bulk' && String(k.v) === field);
    return hit && hit[1].t === 'bulk' ? String(hit[1].v) : '';
  });
}

const cmdLinksTo = (net: FakeNet, port: number): number =>
  [...net.links.values()].filter((l) => l.kind === 'cmd' && l.port === port).length;

void test('links - a peer known for two masters (same run id) shares one cmd link; link-refcount shows it', () => {
  const { core, net, clock } = twoMasters();
  net.tick();
  assert.equal(cmdLinksTo(net, 26380), 1, 'one connection to the peer, not one per master');
  assert.deepEqual(sentinelsField(core, 'm1', 'link-refcount'), ['2']);
  assert.deepEqual(sentinelsField(core, 'm2', 'link-refcount'), ['2']);
  const m1 = core.masters.get('m1')!;
  const m2 = core.masters.get('m2')!;
  assert.equal(m1.sentinels.get(A)!.link, m2.sentinels.get(A)!.link);

  // One PING per period on the shared link; one hello per master (hellos are per master).
  net.upAll();
  const link = net.cmdLink(26380)!;
  for (let i = 0; i < 30; i++) {
    clock.t += 100;
    net.tick();
    net.answer(26380, (cmd, tag) => (tag === 'ping' ? 'PONG' : tag === 'publish' ? 1 : undefined));
    net.answer(6379, (_c, tag) => (tag === 'ping' ? 'PONG' : undefined));
    net.answer(6479, (_c, tag) => (tag === 'ping' ? 'PONG' : undefined));
  }
  assert.equal(cmdLinksTo(net, 26380), 1);
  assert.equal(net.cmdLink(26380), link);
  // Replies were routed to the record that sent each hello: both masters' records saw their hello acknowledged.
  assert.ok(m1.sentinels.get(A)!.lastPubAt > 0);
  assert.ok(m2.sentinels.get(A)!.lastPubAt > 0);
});

void test('links - pings on a shared link are not multiplied by the number of masters', () => {
  const { net, clock } = twoMasters();
  net.tick();
  net.upAll();
  let pings = 0;
  let hellos = 0;
  for (let i = 0; i < 50; i++) {
    clock.t += 100;
    net.tick();
    net.answer(26380, (cmd, tag) => {
      if (tag === 'ping') pings++;
      if (tag === 'publish') hellos++;
      return tag === 'ping' ? 'PONG' : tag === 'publish' ? 1 : undefined;
    });
  }
  // 5 s: PINGs every 100 ms on the one link (≈ 50, never ≈ 100), hellos every 2 s for each master (≈ 2 × 2–3).
  assert.ok(pings > 20 && pings <= 55, `pings ${pings}`);
  assert.ok(hellos >= 4 && hellos <= 8, `hellos ${hellos}`);
});

void test('links - a peer discovered by hello for a second master joins the existing link', () => {
  const { core, net } = makeCore({
    masters: [masterConfig({ name: 'm1', port: 6379 }), masterConfig({ name: 'm2', port: 6479 })],
  });
  net.apply(core.onClientPublish(hello(26381, B, 'm1', 6379)));
  net.tick();
  assert.equal(cmdLinksTo(net, 26381), 1);
  assert.deepEqual(sentinelsField(core, 'm1', 'link-refcount'), ['1']);
  net.apply(core.onClientPublish(hello(26381, B, 'm2', 6479)));
  net.tick();
  assert.equal(cmdLinksTo(net, 26381), 1);
  assert.deepEqual(sentinelsField(core, 'm1', 'link-refcount'), ['2']);
  assert.deepEqual(sentinelsField(core, 'm2', 'link-refcount'), ['2']);
});

void test('links - removing one master keeps the shared link for the other; removing the last closes it', () => {
  const { core, net } = twoMasters();
  net.tick();
  const link = net.cmdLink(26380)!;
  net.apply((sentinelCommand(core, ['remove', 'm2']), core.drain()));
  assert.equal(net.cmdLink(26380), link, 'still open for m1');
  assert.deepEqual(sentinelsField(core, 'm1', 'link-refcount'), ['1']);
  net.apply((sentinelCommand(core, ['remove', 'm1']), core.drain()));
  assert.equal(cmdLinksTo(net, 26380), 0);
});

void test('links - is-master-down answers on a shared link go to the master that asked', () => {
  const { core, net, clock } = twoMasters();
  const m1 = core.masters.get('m1')!;
  const m2 = core.masters.get('m2')!;
  net.tick();
  net.upAll();
  // m2 (whose peer record did not open the shared link) stops answering; m1 stays healthy. Only m2 goes SDOWN
  // and asks the peer, so only m2's record of the peer may get the master_down flag.
  for (let i = 0; i < 20; i++) {
    clock.t += 100;
    net.tick();
    net.answer(6379, (_c, tag) => (tag === 'ping' ? 'PONG' : undefined));
    net.answer(26380, (cmd, tag) => {
      if (tag === 'ping') return 'PONG';
      if (tag === 'publish') return 1;
      if (tag === 'is-master-down') {
        assert.equal(cmd[3], '6479', 'only the SDOWN master is asked about');
        return [1, '*', 0];
      }
      return undefined;
    });
  }
  assert.ok(m2.sdown && !m1.sdown);
  assert.equal(m2.sentinels.get(A)!.masterDown, true);
  assert.equal(m1.sentinels.get(A)!.masterDown, false);
  assert.ok(m2.odown, 'quorum 2 reached with the peer');
  assert.ok(!m1.odown);
});
