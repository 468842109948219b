import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { Router, type Effect, type RouterOptions } from '../../src/proxy/router.js';
import type { Addr, MasterReport } from '../../src/proxy/events.js';

const S = ['127.0.0.1:26001', '127.0.0.1:26002', '127.0.0.1:26003'] as const;
const M: Addr = { host: '127.0.0.1', port: 7000 };
const R1: Addr = { host: '127.0.0.1', port: 7001 };
const R2: Addr = { host: '127.0.0.1', port: 7002 };
const LIE: Addr = { host: '127.0.0.1', port: 9999 };

function opts(over: Partial<RouterOptions> = {}): RouterOptions {
  return {
    masterName: 'mymaster',
    sentinels: [...S],
    maxFailoverMs: 10_000,
    reportMaxAgeMs: 3_000,
    fastPath: true,
    fastRoleRetryMs: 20,
    roleRetryMs: 100,
    ...over,
  };
}

function rep(addr: Addr, configEpoch: number, extra: Partial<MasterReport> = {}): MasterReport {
  return { addr, configEpoch, odown: false, failoverInProgress: false, ...extra };
}

/** Drives a Router with a manual clock and answers ROLE checks from a table. */
class Rig {
  now = 1_000;
  readonly r: Router;
  readonly effects: Effect[] = [];
  roles = new Map<string, string>();
  constructor(o: Partial<RouterOptions> = {}) {
    this.r = new Router(opts(o), this.now);
  }
  /** Answers ROLE checks from the table, at most `budget` in a row (a 'slave' answer re-schedules forever). */
  private feed(effects: Effect[], budget = 4): void {
    for (const e of effects) {
      this.effects.push(e);
      if (e.kind === 'check-role' && budget > 0) {
        const role = this.roles.get(`${e.addr.host}:${e.addr.port}`) ?? 'error';
        this.now += e.delayMs;
        this.feed(this.r.observe({ kind: 'role', token: e.token, addr: e.addr, role }, this.now), budget - 1);
      }
    }
  }
  feedRole(token: number, addr: Addr, role: string): void {
    this.feed(this.r.observe({ kind: 'role', token, addr, role }, this.now));
  }
  feedObs(obs: Parameters<Router['observe']>[0]): void {
    this.feed(this.r.observe(obs, this.now));
  }
  report(
    s: string,
    addr: Addr | null,
    epoch = 0,
    replicas: Addr[] = [R1, R2],
    extra: Partial<MasterReport> = {},
  ): void {
    this.feed(
      this.r.observe(
        { kind: 'report', sentinel: s, master: addr ? rep(addr, epoch, extra) : null, replicas },
        this.now,
      ),
    );
  }
  event(s: string, channel: string, payload: string): void {
    this.feed(this.r.observe({ kind: 'event', sentinel: s, channel, payload }, this.now));
  }
  tick(ms: number): void {
    this.now += ms;
    this.feed(this.r.tick(this.now));
  }
  routes(): Effect[] {
    return this.effects.filter((e) => e.kind === 'route');
  }
  route(): string | null {
    const r = this.r.currentRoute();
    return r ? `${r.addr.host}:${r.addr.port}` : null;
  }
  /** Bring the rig to: routing to M at epoch 0, gate open. */
  start(): this {
    this.roles.set('127.0.0.1:7000', 'master');
    this.roles.set('127.0.0.1:7001', 'slave');
    this.roles.set('127.0.0.1:7002', 'slave');
    for (const s of S) this.report(s, M, 0);
    assert.equal(this.route(), '127.0.0.1:7000');
    assert.equal(this.r.isGateOpen(), true);
    return this;
  }
}

const masterPayload = (a: Addr): string => `master mymaster ${a.host} ${a.port}`;
const replicaPayload = (r: Addr, m: Addr): string =>
  `slave ${r.host}:${r.port} ${r.host} ${r.port} @ mymaster ${m.host} ${m.port}`;

void describe('proxy router', () => {
  void test('proxy router - initial route needs a sentinel majority and ROLE master', () => {
    const g = new Rig();
    g.roles.set('127.0.0.1:7000', 'master');
    g.report(S[0], M, 0);
    assert.equal(g.route(), null, 'one sentinel of three is not a majority');
    assert.equal(g.r.isGateOpen(), false);
    g.report(S[1], M, 0);
    assert.equal(g.route(), '127.0.0.1:7000');
    assert.equal(g.r.isGateOpen(), true);
  });

  void test('proxy router - no route while the agreed address does not answer ROLE master', () => {
    const g = new Rig();
    g.roles.set('127.0.0.1:7000', 'slave');
    g.report(S[0], M, 0);
    g.report(S[1], M, 0);
    assert.equal(g.route(), null);
    assert.equal(g.r.isGateOpen(), false);
    const retries = g.effects.filter((e) => e.kind === 'check-role');
    assert.ok(retries.length >= 2, 'keeps re-checking ROLE');
  });

  void test('proxy router - ROLE refused for credentials is one warning that names the fix', () => {
    const g = new Rig();
    g.roles.set('127.0.0.1:7000', 'error:NOAUTH Authentication required.');
    g.report(S[0], M, 0);
    g.report(S[1], M, 0);
    assert.equal(g.route(), null);
    const logs = g.effects.flatMap((e) => (e.kind === 'log' ? [e] : []));
    const warns = logs.filter((l) => l.level === 'warn' && /--redis-password/.test(l.msg));
    assert.equal(warns.length, 1, JSON.stringify(logs));
    assert.ok(!logs.some((l) => /does not answer ROLE master yet/.test(l.msg)));
  });

  void test('proxy router - a quorum reporting a newer master closes the gate before ROLE confirms it', () => {
    // No failover events seen (pub/sub link down, or a partition healed): only polls tell.
    const g = new Rig().start();
    g.report(S[0], R1, 3);
    assert.equal(g.r.isGateOpen(), true, 'one sentinel is not a quorum');
    g.report(S[1], R1, 3); // R1 still answers 'slave' from the table
    assert.equal(g.route(), '127.0.0.1:7000');
    assert.equal(g.r.isGateOpen(), false, 'nothing more goes to the deposed master while R1 is checked');
    const check = [...g.effects]
      .reverse()
      .find((e): e is Extract<Effect, { kind: 'check-role' }> => e.kind === 'check-role' && e.addr.port === 7001);
    assert.ok(check);
    g.roles.set('127.0.0.1:7001', 'master');
    g.feedRole(check.token, R1, 'master');
    assert.equal(g.route(), '127.0.0.1:7001');
    assert.equal(g.r.isGateOpen(), true);
  });

  void test('proxy router - losing the sentinel quorum is logged; by default the last confirmed master stays routed', () => {
    const g = new Rig().start();
    g.feedObs({ kind: 'sentinel-down', sentinel: S[0] });
    g.feedObs({ kind: 'sentinel-down', sentinel: S[1] });
    g.tick(10_000);
    assert.equal(g.r.isGateOpen(), true);
    assert.equal(g.route(), '127.0.0.1:7000');
    const lost = g.effects.filter((e) => e.kind === 'log' && e.msg === 'lost contact with a quorum of sentinels');
    assert.equal(lost.length, 1, 'logged once, not per tick');
  });

  void test('proxy router - failClosedAfterMs stops forwarding once the quorum has been gone that long', () => {
    const g = new Rig({ failClosedAfterMs: 2000 }).start();
    g.feedObs({ kind: 'sentinel-down', sentinel: S[0] });
    g.feedObs({ kind: 'sentinel-down', sentinel: S[1] });
    g.tick(1000);
    assert.equal(g.r.isGateOpen(), true, 'not before failClosedAfterMs');
    g.tick(1100);
    assert.equal(g.r.isGateOpen(), false);
    assert.match(g.r.snapshot().gateReason, /fail-closed/);
    g.report(S[0], M, 0);
    g.report(S[1], M, 0);
    assert.equal(g.r.isGateOpen(), true, 'a quorum is back');
    assert.ok(g.effects.some((e) => e.kind === 'log' && e.msg === 'sentinel quorum reachable again'));
  });

  void test('proxy router - a single lying sentinel with a higher epoch does not move the route', () => {
    const g = new Rig().start();
    g.roles.set('127.0.0.1:9999', 'master');
    g.report(S[2], LIE, 50);
    g.event(S[2], '+switch-master', `mymaster ${M.host} ${M.port} ${LIE.host} ${LIE.port}`);
    g.tick(100);
    assert.equal(g.route(), '127.0.0.1:7000');
    assert.equal(g.routes().length, 1);
  });

  void test('proxy router - a liar cannot inflate the epoch a majority vouches for', () => {
    const g = new Rig().start();
    // Liar joins the majority's address with a huge epoch...
    g.report(S[2], M, 1000);
    // ...then a genuine failover at epoch 3 is reported by the two honest sentinels.
    g.roles.set('127.0.0.1:7001', 'master');
    g.report(S[0], R1, 3);
    g.report(S[1], R1, 3);
    assert.equal(g.route(), '127.0.0.1:7001');
  });

  void test('proxy router - a fast-path promotion is refused when the replica is unknown to a quorum', () => {
    const g = new Rig().start();
    g.roles.set('127.0.0.1:9999', 'master');
    g.event(S[2], '+new-epoch', '9');
    g.event(S[2], '+try-failover', masterPayload(M));
    assert.equal(g.r.isGateOpen(), false, 'hold on any failover signal');
    g.event(S[2], '+failover-state-wait-promotion', replicaPayload(LIE, M));
    assert.equal(g.route(), '127.0.0.1:7000');
    assert.ok(g.effects.some((e) => e.kind === 'log' && e.msg.startsWith('fast path refused')));
  });

  void test('proxy router - manual failover: hold at +try-failover, switch on ROLE, never switch back on stale polls', () => {
    const g = new Rig().start();
    g.event(S[0], '+new-epoch', '1');
    g.event(S[0], '+try-failover', masterPayload(M));
    assert.equal(g.r.isGateOpen(), false);
    g.event(S[0], '+selected-slave', replicaPayload(R1, M));
    // R1 still a replica when SLAVEOF NO ONE is sent: ROLE polled until it says master.
    g.roles.set('127.0.0.1:7001', 'slave');
    const before = g.effects.length;
    g.event(S[0], '+failover-state-wait-promotion', replicaPayload(R1, M));
    assert.equal(g.route(), '127.0.0.1:7000');
    const checks = g.effects.slice(before).filter((e) => e.kind === 'check-role');
    assert.ok(checks.length >= 2 && checks.every((e) => e.kind === 'check-role' && e.addr.port === 7001));
    // The retry loop in the rig stops when the rig runs out of answers; flip the role and deliver the next check.
    g.roles.set('127.0.0.1:7001', 'master');
    g.event(S[0], '+promoted-slave', replicaPayload(R1, M));
    // promoted-slave for the same candidate does not start a second loop; answer the pending token explicitly.
    const last = [...g.effects].reverse().find((e) => e.kind === 'check-role');
    assert.ok(last && last.kind === 'check-role');
    g.feedRole(last.token, last.addr, 'master');
    assert.equal(g.route(), '127.0.0.1:7001');
    assert.equal(g.r.currentRoute()?.provisional, true);
    assert.equal(g.r.isGateOpen(), true);
    // Observers have not caught up: all three still report M at epoch 0. Must not switch back.
    g.roles.set('127.0.0.1:7000', 'master'); // the demoted master still claims master
    for (const s of S) g.report(s, M, 0);
    g.tick(100);
    assert.equal(g.route(), '127.0.0.1:7001');
    // Then they agree on R1 at epoch 1: confirmed.
    for (const s of S) g.report(s, R1, 1);
    assert.equal(g.r.currentRoute()?.provisional, false);
    assert.equal(g.r.snapshot().confirmedEpoch, 1);
    assert.equal(g.routes().length, 2);
  });

  void test('proxy router - a fast-path switch the sentinels never confirm is reverted to their quorum', () => {
    const g = new Rig({ provisionalMaxMs: 5_000 }).start();
    g.roles.set('127.0.0.1:7001', 'master');
    g.event(S[0], '+new-epoch', '1');
    g.event(S[0], '+try-failover', masterPayload(M));
    g.event(S[0], '+failover-state-wait-promotion', replicaPayload(R1, M));
    assert.equal(g.route(), '127.0.0.1:7001');
    // The leader dies; the others keep reporting M at epoch 0.
    g.feedObs({ kind: 'sentinel-down', sentinel: S[0] });
    g.tick(1_000);
    g.report(S[1], M, 0);
    g.report(S[2], M, 0);
    assert.equal(g.route(), '127.0.0.1:7001', 'not before provisionalMaxMs');
    g.tick(4_100);
    // While a live sentinel still runs the failover, the provisional route stands.
    g.report(S[1], M, 0, [R1, R2], { failoverInProgress: true });
    g.report(S[2], M, 0);
    assert.equal(g.route(), '127.0.0.1:7001');
    g.report(S[1], M, 0);
    assert.equal(g.route(), '127.0.0.1:7000');
    assert.equal(g.r.currentRoute()?.provisional, false);
    assert.ok(g.effects.some((e) => e.kind === 'log' && e.msg.startsWith('fast-path switch not confirmed')));
  });

  void test('proxy router - failover events about an older master are ignored after the switch', () => {
    const g = new Rig().start();
    g.roles.set('127.0.0.1:7001', 'master');
    for (const s of S) g.report(s, R1, 1);
    assert.equal(g.route(), '127.0.0.1:7001');
    g.event(S[0], '+failover-state-reconf-slaves', masterPayload(M));
    g.event(S[1], '+odown', `${masterPayload(M)} #quorum 2/2`);
    assert.equal(g.r.isGateOpen(), true);
  });

  void test('proxy router - abort reopens the gate on the same master', () => {
    const g = new Rig().start();
    g.event(S[1], '+try-failover', masterPayload(M));
    assert.equal(g.r.isGateOpen(), false);
    g.event(S[1], '-failover-abort-no-good-slave', masterPayload(M));
    assert.equal(g.r.isGateOpen(), true);
    assert.equal(g.route(), '127.0.0.1:7000');
  });

  void test('proxy router - odown holds until -odown from the same sentinel', () => {
    const g = new Rig().start();
    g.event(S[0], '+odown', `${masterPayload(M)} #quorum 2/2`);
    g.event(S[1], '+odown', `${masterPayload(M)} #quorum 2/2`);
    assert.equal(g.r.isGateOpen(), false);
    g.event(S[0], '-odown', masterPayload(M));
    assert.equal(g.r.isGateOpen(), false);
    g.event(S[1], '-odown', masterPayload(M));
    assert.equal(g.r.isGateOpen(), true);
  });

  void test('proxy router - a poll showing failover_in_progress holds even if the event was missed', () => {
    const g = new Rig().start();
    g.report(S[0], M, 0, [R1, R2], { failoverInProgress: true });
    assert.equal(g.r.isGateOpen(), false);
    g.report(S[0], M, 0);
    assert.equal(g.r.isGateOpen(), true);
  });

  void test('proxy router - the gate reopens after maxFailoverMs without a switch', () => {
    const g = new Rig({ maxFailoverMs: 2_000 }).start();
    g.event(S[2], '+try-failover', masterPayload(M));
    g.tick(1_000);
    assert.equal(g.r.isGateOpen(), false);
    g.tick(1_100);
    assert.equal(g.r.isGateOpen(), true);
    assert.equal(g.route(), '127.0.0.1:7000');
  });

  void test('proxy router - a sentinel that went down stops counting towards the quorum', () => {
    const g = new Rig().start();
    g.roles.set('127.0.0.1:7002', 'master');
    g.report(S[0], R2, 2);
    g.feedObs({ kind: 'sentinel-down', sentinel: S[0] });
    g.report(S[1], R2, 2);
    assert.equal(g.route(), '127.0.0.1:7000', 'only one live sentinel reports R2');
    g.report(S[2], R2, 2);
    assert.equal(g.route(), '127.0.0.1:7002');
  });

  void test('proxy router - reports older than reportMaxAgeMs do not count', () => {
    const g = new Rig().start();
    g.roles.set('127.0.0.1:7002', 'master');
    g.report(S[0], R2, 2);
    g.tick(5_000);
    g.report(S[1], R2, 2);
    assert.equal(g.route(), '127.0.0.1:7000');
  });

  void test('proxy router - +switch-master and +config-update-from trigger an immediate poll', () => {
    const g = new Rig().start();
    g.event(S[1], '+config-update-from', `sentinel abc 127.0.0.1 26001 @ mymaster ${M.host} ${M.port}`);
    g.event(S[1], '+switch-master', `mymaster ${M.host} ${M.port} ${R1.host} ${R1.port}`);
    g.event(S[1], '+switch-master', `othermaster ${M.host} ${M.port} ${R1.host} ${R1.port}`);
    assert.equal(g.effects.filter((e) => e.kind === 'poll').length, 2);
  });
});
