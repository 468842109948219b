// The core's state: everything one sentinel knows (masters and their replicas and peers, epochs, TILT, the open
// links) plus the effect queue and the helpers every room uses (events, log lines, `%@` details, announced
// addresses). The rooms of the core (links.ts, monitor.ts, info-refresh.ts, hello-handling.ts, down.ts,
// election.ts, failover.ts, manual-failover.ts, fencing-actions.ts, admin.ts) are plain functions over this
// object; SentinelCore (sentinel.ts) extends it and is the public facade. Pure, like the rest of src/core: no
// I/O, no timers, no Date.
import type { SentinelGlobals } from '../config/types.js';
import { RateLimitedWarning } from './hello.js';
import type { Instance, InstanceLink } from './instance.js';
import { defaultTimings } from './types.js';
import type { Clock, Effect, LinkKind, LogLevel, Rng, Timings } from './types.js';

export interface CoreOptions {
  clock: Clock;
  rng: Rng;
  timings?: Partial<Timings>;
  /** The sentinel's own listening port (announced in hellos unless announce-port is set). */
  port: number;
  /** `requirepass`: reused as the outbound password to peers when sentinel-pass is unset. */
  requirepass?: string;
  /** Whether a script path is executable (SENTINEL SET checks it); default: accept any path. */
  isExecutable?: (path: string) => boolean;
}

export interface LinkRef {
  inst: Instance;
  kind: LinkKind;
  /** When the connection was established (ms), 0 while connecting. */
  upAt: number;
  /** The (possibly shared) connection state this socket belongs to. */
  link: InstanceLink;
}

export class CoreState {
  readonly clock: Clock;
  readonly rng: Rng;
  readonly timings: Timings;
  readonly port: number;
  readonly requirepass: string | undefined;
  readonly isExecutable: (path: string) => boolean;

  myid: string;
  currentEpoch: number;
  announceIp: string | undefined;
  announcePort: number;
  denyScriptsReconfig: boolean;
  sentinelUser: string | undefined;
  sentinelPass: string | undefined;
  resolveHostnames: boolean;
  announceHostnames: boolean;

  readonly masters = new Map<string, Instance>();
  tilt = false;
  tiltStartAt = 0;
  /** Why TILT was last entered: `timer-stall` (a tick came too late) or `clock-backwards`; '' = never. */
  tiltCause: '' | 'timer-stall' | 'clock-backwards' = '';
  previousTickAt: number;
  simFailure = { crashAfterElection: false, crashAfterPromotion: false };

  /** Set when an observation means the state machine could progress now; the runtime ticks again at once. */
  urgent = false;

  /** Internal to the rooms (links.ts owns these): the effect queue, link id allocation, open links by id. */
  effects: Effect[] = [];
  nextLinkId = 1;
  readonly links = new Map<number, LinkRef>();

  constructor(globals: SentinelGlobals & { myid: string }, opts: CoreOptions) {
    this.clock = opts.clock;
    this.rng = opts.rng;
    this.timings = { ...defaultTimings, ...opts.timings };
    this.port = opts.port;
    this.requirepass = opts.requirepass;
    this.isExecutable = opts.isExecutable ?? (() => true);
    this.myid = globals.myid;
    this.currentEpoch = globals.currentEpoch;
    this.announceIp = globals.announceIp;
    this.announcePort = globals.announcePort;
    this.denyScriptsReconfig = globals.denyScriptsReconfig;
    this.sentinelUser = globals.sentinelUser;
    this.sentinelPass = globals.sentinelPass;
    this.resolveHostnames = globals.resolveHostnames;
    this.announceHostnames = globals.announceHostnames;
    this.previousTickAt = this.clock.now();
  }

  // ===================================================================================================
  // Effects plumbing
  // ===================================================================================================

  /** Returns and clears the effects accumulated since the last drain. */
  drain(): Effect[] {
    const e = this.effects;
    this.effects = [];
    return e;
  }

  now(): number {
    return this.clock.now();
  }

  event(level: LogLevel, type: string, inst: Instance | null, payload: string): void {
    const ev: Effect = { t: 'event', level, type, payload };
    if (level === 'warning' && inst !== null && inst.owner.notificationScript !== undefined) {
      ev.notificationScript = inst.owner.notificationScript;
    }
    this.effects.push(ev);
  }

  log(level: LogLevel, text: string): void {
    this.effects.push({ t: 'log', level, text });
  }

  // Dropped hostile input (hellos, over-cap discoveries): one warning per 10 s and kind, with a suppressed count.
  readonly helloWarning = new RateLimitedWarning(10_000);
  /** Hellos dropped by parseHello since start (the vigil_hello_invalid_total metric). */
  helloInvalid = 0;
  readonly sentinelCapWarning = new RateLimitedWarning(10_000);
  readonly replicaCapWarning = new RateLimitedWarning(10_000);

  warnDropped(w: RateLimitedWarning, text: string): void {
    const line = w.next(this.now(), text);
    if (line !== null) this.log('warning', line);
  }

  flush(): void {
    this.effects.push({ t: 'flush' });
  }

  /** `%@`: instance details as Redis formats them for events. */
  details(ri: Instance): string {
    if (ri.kind === 'master') return `master ${ri.name} ${this.announceAddr(ri.host)} ${ri.port}`;
    const m = ri.owner;
    const type = ri.kind === 'replica' ? 'slave' : 'sentinel';
    return `${type} ${ri.name} ${this.announceAddr(ri.host)} ${ri.port} @ ${m.name} ${this.announceAddr(m.host)} ${m.port}`;
  }

  /**
   * Hostname/IP as announced (announceSentinelAddr): with `announce-hostnames no` a configured hostname is shown
   * as the address it resolved to on the last connection (learnt from the link layer, which does the DNS
   * lookups); until a first connection, and with `announce-hostnames yes`, the name itself. The config file keeps
   * the name (Redis writes the IP there, which loses the name a pod is reached by).
   */
  announceAddr(host: string): string {
    if (this.announceHostnames || this.resolvedHosts.size === 0) return host;
    return this.resolvedHosts.get(host.toLowerCase()) ?? host;
  }

  /** Hostname (lower case) → the IP its last connection went to. */
  readonly resolvedHosts = new Map<string, string>();
}
