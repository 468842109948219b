// The JSON views of the sentinel API (/api/v1 info, masters, replicas, sentinels): plain rows built from the core's
// state at call time, with the explain of each master. Takes the core; reads it, never changes it. Also the one
// address format (host:port, [v6]:port) used by the views and the metric labels.
import { explainMaster, masterOffset, type MasterExplain } from '../core/explain.js';
import type { Instance } from '../core/instance.js';
import type { SentinelCore } from '../core/sentinel.js';

export function addr(host: string, port: number): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}

export function infoView(core: SentinelCore): Record<string, unknown> {
  return {
    myid: core.myid,
    currentEpoch: core.currentEpoch,
    tilt: core.tilt,
    tiltCause: core.tiltCause || null,
    tiltSince: core.tilt ? core.tiltStartAt : null,
    masters: core.masters.size,
    now: core.clock.now(),
  };
}

export function mastersView(core: SentinelCore): Array<Record<string, unknown>> {
  const now = core.clock.now();
  return [...core.masters.values()].map((m) => {
    const x = explainMaster(core, m);
    return {
      name: m.name,
      address: addr(m.host, m.port),
      host: m.host,
      port: m.port,
      status: x.status,
      flags: m.flagsString(),
      configEpoch: m.configEpoch,
      quorum: m.quorum,
      failoverState: m.failoverState,
      fenced: m.fenceActive,
      lastOkPingMs: now - m.link.lastAvailAt,
      offset: masterOffset(m),
      replicas: replicaRows(core, m, x),
      sentinels: sentinelRows(core, m),
      explain: x,
    };
  });
}

function replicaRows(core: SentinelCore, m: Instance, x: MasterExplain): Array<Record<string, unknown>> {
  const now = core.clock.now();
  return [...m.replicas.values()].map((r) => {
    const e = x.replicas.find((y) => y.name === r.name);
    return {
      master: m.name,
      name: r.name,
      address: addr(r.host, r.port),
      flags: r.flagsString(),
      role: r.roleReported,
      linkStatus: r.slaveMasterLinkUp ? 'ok' : 'err',
      priority: r.slavePriority,
      offset: r.slaveReplOffset,
      lagBytes: e?.lagBytes ?? null,
      lastOkPingMs: now - r.link.lastAvailAt,
      eligible: e?.eligible ?? false,
      reasons: e?.reasons ?? [],
    };
  });
}

function sentinelRows(core: SentinelCore, m: Instance): Array<Record<string, unknown>> {
  const now = core.clock.now();
  const self = {
    master: m.name,
    runId: core.myid,
    address: null as string | null,
    self: true,
    flags: 'sentinel',
    masterDown: m.sdown,
    votedLeader: m.leader,
    votedLeaderEpoch: m.leaderEpoch,
    lastHelloMs: 0,
  };
  return [
    self,
    ...[...m.sentinels.values()].map((s) => ({
      master: m.name,
      runId: s.runId,
      address: addr(s.host, s.port),
      self: false,
      flags: s.flagsString(),
      masterDown: s.masterDown,
      votedLeader: s.leader,
      votedLeaderEpoch: s.leaderEpoch,
      lastHelloMs: now - s.lastHelloAt,
    })),
  ];
}

export function replicasView(core: SentinelCore, master?: string): Array<Record<string, unknown>> {
  return mastersView(core)
    .filter((m) => master === undefined || m.name === master)
    .flatMap((m) => m.replicas as Array<Record<string, unknown>>);
}

export function sentinelsView(core: SentinelCore, master?: string): Array<Record<string, unknown>> {
  return mastersView(core)
    .filter((m) => master === undefined || m.name === master)
    .flatMap((m) => m.sentinels as Array<Record<string, unknown>>);
}
