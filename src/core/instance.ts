// The records the core keeps per monitored master, replica and peer sentinel (Redis's sentinelRedisInstance).
// Plain mutable data; all decisions live in the core's rooms (sentinel.ts lists them). Pure: no I/O.

import type { ReplyTag } from './types.js';

export type InstanceKind = 'master' | 'replica' | 'sentinel';

export type FailoverState =
  'none' | 'wait_start' | 'select_slave' | 'send_slaveof_noone' | 'wait_promotion' | 'reconf_slaves' | 'update_config';

export const failoverStateOrder: Record<FailoverState, number> = {
  none: 0,
  wait_start: 1,
  select_slave: 2,
  send_slaveof_noone: 3,
  wait_promotion: 4,
  reconf_slaves: 5,
  update_config: 6,
};

/** One command sent on a cmd link, in send order; replies come back in the same order (FIFO on the socket). */
export interface InflightCommand {
  /** The instance that sent it: on a shared link, replies go back to the right master's record. */
  inst: Instance;
  /** For is-master-down-by-addr: the master address the question was about. */
  askAddr?: string;
  /** The record was removed while this was in flight: consume the reply, apply nothing. */
  dropped?: boolean;
}

/**
 * The connection state of an instance (Redis's instanceLink). Masters and replicas own theirs; a peer sentinel's
 * link is shared by every master that sentinel is known for (same run id, sentinelTryConnectionSharing), so N
 * peers watching M masters cost N connections and N PINGs, not N×M. `refcount` is SENTINEL SENTINELS'
 * `link-refcount`.
 */
export class InstanceLink {
  refcount = 1;
  cmdLinkId: number | null = null;
  pubsubLinkId: number | null = null;
  /** ms timestamps */
  cmdConnectedAt = 0;
  pubsubConnectedAt = 0;
  pubsubActivityAt = 0;
  lastReconnectAt = 0;
  pendingCommands = 0;
  /**
   * Commands awaiting a reply on the cmd link, oldest first, one queue per reply tag (a sub-sequence of a FIFO
   * stream is FIFO, and a reply that never comes can then only shift answers among commands of one kind).
   */
  inflight = new Map<ReplyTag, InflightCommand[]>();
  /** Local address of our cmd socket to this instance (for hellos without announce-ip). */
  localIp: string | null = null;
  /** Time of the oldest unanswered PING, 0 when none (act_ping_time). */
  actPingAt: number;
  /** Time the last PING was sent. */
  lastPingAt = 0;
  /** Time of the last valid PING reply (PONG / LOADING / MASTERDOWN). */
  lastAvailAt: number;
  /** Time of the last PING reply of any kind. */
  lastPongAt: number;

  constructor(now: number) {
    this.actPingAt = now;
    this.lastAvailAt = now;
    this.lastPongAt = now;
  }
}

export class Instance {
  // ---- identity ----
  runId: string | null = null;
  /** For replicas and sentinels: the master they belong to. Null for masters. */
  readonly master: Instance | null;

  // ---- link state (Redis's instanceLink; shared between masters for peer sentinels) ----
  link: InstanceLink;
  /** Time of the last accepted hello PUBLISH. */
  lastPubAt = 0;

  // ---- flags ----
  sdown = false;
  sdownSince = 0;
  odown = false;
  odownSince = 0;
  /** Peer sentinel reported the master down (SRI_MASTER_DOWN). */
  masterDown = false;
  scriptKillSent = false;
  promoted = false;
  reconfSent = false;
  reconfInprog = false;
  reconfDone = false;
  masterReboot = false;
  masterRebootSince = 0;

  downAfterMs: number;

  // ---- INFO-derived (masters and replicas) ----
  info: string | null = null;
  infoRefreshAt = 0;
  infoSentAt = 0;
  infoInFlight = 0;
  roleReported: 'master' | 'slave';
  roleReportedAt: number;
  masterLinkDownMs = 0;
  slaveMasterHost: string | null = null;
  slaveMasterPort = 0;
  slaveMasterLinkUp = false;
  slavePriority = 100;
  slaveReplOffset = 0;
  replicaAnnounced = 1;
  slaveConfChangeAt = 0;
  slaveReconfSentAt = 0;

  // ---- peer sentinels; masters reuse leader/leaderEpoch for their own vote ----
  lastHelloAt = 0;
  leader: string | null = null;
  leaderEpoch = 0;
  lastMasterDownReplyAt = 0;
  askSentAt = 0;

  // ---- masters only ----
  quorum = 0;
  failoverTimeoutMs = 0;
  parallelSyncs = 1;
  notificationScript: string | undefined;
  clientReconfigScript: string | undefined;
  authPass: string | undefined;
  authUser: string | undefined;
  masterRebootDownAfterPeriodMs = 0;
  /** lower-case command → renamed, in insertion order. */
  renames = new Map<string, { command: string; renamed: string }>();
  configEpoch = 0;
  failoverState: FailoverState = 'none';
  failoverStateChangeAt = 0;
  failoverStartAt = 0;
  failoverEpoch = 0;
  failoverInProgress = false;
  forceFailover = false;
  failoverDelayLogged = 0;
  /** Split-vote avoidance (Vigil): when our randomised candidacy delay after ODOWN ends (0 = not armed). */
  candidacyAt = 0;
  /** After a split vote: when we try again, in run-id order (0 = no retry pending); how many fast retries so far. */
  splitRetryAt = 0;
  splitRetries = 0;
  promotedReplica: Instance | null = null;
  /**
   * Coordinated manual failover (Vigil; Redis 7.0 promotes at once): when we paused writes on this master (0 =
   * not paused), and its replication offset read right after the pause (undefined = not back yet, null =
   * unknown). See failoverCatchUp in sentinel.ts.
   */
  mfPausedAt = 0;
  mfTargetOffset: number | null | undefined = undefined;
  /**
   * The clients to drop when this paused master is demoted, from CLIENT LIST replies read during the pause
   * (sentinels' own links excluded, so neither we nor our peers see the master `disconnected` mid-failover);
   * null = unusable, fall back to CLIENT KILL TYPE. `mfClientListsAwaited` counts the replies still to come.
   */
  mfKillIds: string[] | null = [];
  mfClientListsAwaited = 0;
  /** Vigil directives (see fencing.ts): fencing on/off, its delay (0 = down-after / 2), empty-master failover. */
  vigilFencing = true;
  vigilFenceDelayMs = 0;
  vigilEmptyMasterFailover = true;
  /** Fence state of this master: whether we fenced it, since when, and the settings to restore. */
  fenceActive = false;
  fenceRenewAt = 0;
  fenceQueryAt = 0;
  fenceWantedSince = 0;
  fenceOrig: { toWrite: number; maxLag: number } | null = null;
  /** When contact with the majority came back while fenced (0 = not back). */
  fenceContactBackAt = 0;
  fenceFailed = false;
  /** For instances: a `CONFIG GET min-replicas-*` on this cmd link was sent (stale-fence check). */
  fenceChecked = false;
  /**
   * A replica entry that was this master's address before a switch: it is demoted at once when it claims
   * `role:master` (Redis watches it for 4 hello periods first); `fenceRestore` = the min-replicas settings to put
   * back in the same transaction when we had fenced it.
   */
  deposed = false;
  fenceRestore: { toWrite: number; maxLag: number } | null = null;
  /** The master restarted with an empty dataset while its replicas hold data (treated as SDOWN). */
  emptyReboot = false;
  /** key: `ip:port` name */
  replicas = new Map<string, Instance>();
  /** key: runid */
  sentinels = new Map<string, Instance>();

  constructor(
    readonly kind: InstanceKind,
    public name: string,
    public host: string,
    public port: number,
    master: Instance | null,
    now: number,
    downAfterMs: number,
  ) {
    this.master = master;
    this.link = new InstanceLink(now);
    this.roleReported = kind === 'replica' ? 'slave' : 'master';
    this.roleReportedAt = now;
    // As createSentinelRedisInstance: a new entry counts as just heard from / just (re)configured.
    this.lastHelloAt = now;
    this.slaveConfChangeAt = now;
    this.downAfterMs = downAfterMs;
  }

  /** The master this instance belongs to (itself for a master). */
  get owner(): Instance {
    return this.master ?? this;
  }

  get disconnected(): boolean {
    return this.link.cmdLinkId === null || (this.kind !== 'sentinel' && this.link.pubsubLinkId === null);
  }

  flagsString(): string {
    const f: string[] = [];
    if (this.sdown) f.push('s_down');
    if (this.odown) f.push('o_down');
    if (this.kind === 'master') f.push('master');
    if (this.kind === 'replica') f.push('slave');
    if (this.kind === 'sentinel') f.push('sentinel');
    if (this.disconnected) f.push('disconnected');
    if (this.masterDown) f.push('master_down');
    if (this.failoverInProgress) f.push('failover_in_progress');
    if (this.promoted) f.push('promoted');
    if (this.reconfSent) f.push('reconf_sent');
    if (this.reconfInprog) f.push('reconf_inprog');
    if (this.reconfDone) f.push('reconf_done');
    if (this.forceFailover) f.push('force_failover');
    if (this.scriptKillSent) f.push('script_kill_sent');
    return f.join(',');
  }
}

/** Replica names are `ip:port`, with brackets for IPv6 (Redis's announceSentinelAddrAndPort). */
export function replicaName(host: string, port: number): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}
