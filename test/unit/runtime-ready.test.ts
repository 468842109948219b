// The runtime's Ready contract (src/runtime/runtime.ts): what depends on durable state reaches the wire only after
// its flush resolved, and never if it failed; PING/INFO do not wait. Driven through injected transport, timers
// and a persister whose writes this test completes by hand.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { PersistedState } from '../../src/config/types.js';
import type { Out } from '../../src/resp/types.js';
import { SentinelRuntime } from '../../src/runtime/runtime.js';
import type { ClientContext, SentinelEvent } from '../../src/server/host.js';
import { ManualClock, globals, masterConfig, seededRng } from './core-helpers.js';

const PEER = '1'.repeat(40);
const ctx: ClientContext = { id: 1, proto: 2, user: 'default', addr: '127.0.0.1:40000' };

function setup() {
  const writes: Array<{ state: PersistedState; done: (err?: Error) => void }> = [];
  const sent: string[][] = [];
  const events: SentinelEvent[] = [];
  const rt = new SentinelRuntime({
    globals: globals(),
    masters: [
      masterConfig({
        quorum: 2,
        knownSentinels: [{ host: '127.0.0.1', port: 26380, runId: PEER }],
      }),
    ],
    port: 26379,
    logger: { log: () => undefined, enabled: () => false, setLevel: () => undefined },
    clock: new ManualClock(),
    rng: seededRng(3),
    timers: { set: () => null, clear: () => undefined },
    transport: () => ({ send: (cmd) => sent.push(cmd), close: () => undefined }),
    persister: (state, done) => writes.push({ state, done }),
    exit: () => undefined,
  });
  rt.onEvent((e) => events.push(e));
  let started = false;
  rt.startThen(() => {
    started = true;
  });
  assert.ok(started);
  return { rt, writes, sent, events };
}

function vote(rt: SentinelRuntime, epoch: number, runid: string): { out: Out | null } {
  const r: { out: Out | null } = { out: null };
  rt.sentinelCommandThen(['is-master-down-by-addr', '127.0.0.1', '6379', String(epoch), runid], ctx, (o) => {
    r.out = o;
  });
  return r;
}

void test('ready - a vote is replied and announced only after its flush, with the vote in the written state', () => {
  const { rt, writes, events } = setup();
  const r = vote(rt, 5, PEER);
  assert.equal(r.out, null, 'no reply before the vote is on disk');
  assert.ok(!events.some((e) => e.channel === '+vote-for-leader'), 'no announcement before the vote is on disk');
  assert.equal(writes.length, 1);
  assert.equal(writes[0]!.state.masters[0]!.leaderEpoch, 5);
  assert.equal(writes[0]!.state.masters[0]!.leader, PEER);
  // A second candidate in the same epoch while the write is in flight: its reply waits too (it shows the vote).
  const r2 = vote(rt, 5, '2'.repeat(40));
  assert.equal(r2.out, null);
  writes[0]!.done();
  assert.ok(r.out && r2.out, 'replies released by the flush');
  assert.equal(JSON.stringify(r.out), JSON.stringify(r2.out), 'the second candidate gets the same vote back');
  assert.ok(events.some((e) => e.channel === '+vote-for-leader' && e.payload.includes(`${PEER} 5`)));
  rt.stop();
});

void test('ready - a vote whose flush fails is never replied nor announced', () => {
  const { rt, writes, events } = setup();
  const r = vote(rt, 7, PEER);
  writes[0]!.done(new Error('ENOSPC'));
  assert.ok(r.out && r.out.t === 'error', `the candidate gets an error, not a vote: ${JSON.stringify(r.out)}`);
  assert.ok(!events.some((e) => e.channel === '+vote-for-leader'), 'the vote was not announced');
  rt.stop();
});

void test('ready - a question without a vote (runid *) is answered at once', () => {
  const { rt, writes } = setup();
  const r = vote(rt, 0, '*');
  assert.ok(r.out, 'no flush, no wait');
  assert.equal(writes.length, 0);
  rt.stop();
});
