// Shared vocabulary of the deterministic sentinel core: timing constants, effects it emits, the clock/rng it is
// given, and the instance records it keeps. Pure: no I/O, no timers, no Date, no Math.random.
import type { Reply } from '../resp/types.js';

/** The 13 values `SENTINEL DEBUG` shows and changes (sentinel.c:82-103). All in milliseconds. */
export interface Timings {
  infoPeriodMs: number;
  pingPeriodMs: number;
  askPeriodMs: number;
  publishPeriodMs: number;
  defaultDownAfterMs: number;
  tiltTriggerMs: number;
  tiltPeriodMs: number;
  slaveReconfTimeoutMs: number;
  minLinkReconnectPeriodMs: number;
  defaultFailoverTimeoutMs: number;
  electionTimeoutMs: number;
  scriptMaxRuntimeMs: number;
  scriptRetryDelayMs: number;
}

export const defaultTimings: Readonly<Timings> = Object.freeze({
  infoPeriodMs: 10_000,
  pingPeriodMs: 1_000,
  askPeriodMs: 1_000,
  publishPeriodMs: 2_000,
  defaultDownAfterMs: 30_000,
  tiltTriggerMs: 2_000,
  tiltPeriodMs: 30_000,
  slaveReconfTimeoutMs: 10_000,
  minLinkReconnectPeriodMs: 15_000,
  defaultFailoverTimeoutMs: 180_000,
  electionTimeoutMs: 10_000,
  scriptMaxRuntimeMs: 60_000,
  scriptRetryDelayMs: 30_000,
});

/** SENTINEL DEBUG key (as shown, upper case) → Timings field, in the order Redis prints them. */
export const debugKeys: ReadonlyArray<readonly [string, keyof Timings]> = [
  ['INFO-PERIOD', 'infoPeriodMs'],
  ['PING-PERIOD', 'pingPeriodMs'],
  ['ASK-PERIOD', 'askPeriodMs'],
  ['PUBLISH-PERIOD', 'publishPeriodMs'],
  ['DEFAULT-DOWN-AFTER', 'defaultDownAfterMs'],
  ['DEFAULT-FAILOVER-TIMEOUT', 'defaultFailoverTimeoutMs'],
  ['TILT-TRIGGER', 'tiltTriggerMs'],
  ['TILT-PERIOD', 'tiltPeriodMs'],
  ['SLAVE-RECONF-TIMEOUT', 'slaveReconfTimeoutMs'],
  ['MIN-LINK-RECONNECT-PERIOD', 'minLinkReconnectPeriodMs'],
  ['ELECTION-TIMEOUT', 'electionTimeoutMs'],
  ['SCRIPT-MAX-RUNTIME', 'scriptMaxRuntimeMs'],
  ['SCRIPT-RETRY-DELAY', 'scriptRetryDelayMs'],
];

/** Fixed constants of sentinel.c that SENTINEL DEBUG does not expose. */
export const MAX_DESYNC_MS = 1000;
export const MAX_PENDING_COMMANDS = 100;
export const DEFAULT_SLAVE_PRIORITY = 100;
export const HELLO_CHANNEL = '__sentinel__:hello';

export interface Clock {
  /** Milliseconds (wall clock in production; any monotone-ish manual value in tests). */
  now(): number;
}

/** Uniform integer source; `int(n)` returns 0..n-1. */
export interface Rng {
  int(n: number): number;
}

export type LogLevel = 'debug' | 'verbose' | 'notice' | 'warning';
export const levelRank: Record<LogLevel, number> = { debug: 0, verbose: 1, notice: 2, warning: 3 };

export type LinkKind = 'cmd' | 'pubsub';

/** What a reply on a link is for: the core routes replies by this tag. */
/** `mf-offset`: the INFO sent right after CLIENT PAUSE in a coordinated manual failover (its final offset). */
/** `mf-clients`: the CLIENT LIST replies sent with it (which clients the demotion drops). */
export type ReplyTag =
  | 'ping'
  | 'info'
  | 'publish'
  | 'is-master-down'
  | 'mf-offset'
  | 'mf-clients'
  | 'fence-get'
  | 'fence-set'
  | 'fence-clients'
  | 'fence-check'
  | 'ignore';

export type Effect =
  /** Open an outbound connection; `handshake` commands are written first (AUTH, CLIENT SETNAME, SUBSCRIBE). */
  | { t: 'connect'; linkId: number; kind: LinkKind; host: string; port: number; handshake: string[][] }
  /** Write a command on an open (or opening) link; the reply comes back through `onReply` with the tag. */
  | { t: 'send'; linkId: number; cmd: string[]; tag: ReplyTag }
  | { t: 'close'; linkId: number }
  /** A sentinel event: published on channel `type` unless debug, logged, and run through notification-script. */
  | { t: 'event'; level: LogLevel; type: string; payload: string; notificationScript?: string }
  | { t: 'log'; level: LogLevel; text: string }
  /** Persist the current state (sentinelFlushConfig). */
  | { t: 'flush' }
  /** Run a script (client-reconfig-script) with this argv. */
  | { t: 'script'; argv: string[] }
  /** SENTINEL SIMULATE-FAILURE crash points: exit the process with this code. */
  | { t: 'exit'; code: number };

/**
 * Everything that drives the core, as one union: the runtime hands each to `step` (core/step.ts), so a recorded
 * sequence of observations — with the clock readings and random draws taken while each was handled — replays to
 * the same effects (core/trace.ts). Read-only queries (SENTINEL MASTERS' records, INFO, snapshot) are not
 * observations: they change nothing.
 */
export type Observation =
  /** Start-up work is done (config flushed, server listening): the instances' link clocks restart. */
  | { t: 'started' }
  /** The periodic timer (sentinelTimer), or an immediate re-run while the core is urgent. */
  | { t: 'tick' }
  /** A link's TCP (or TLS) connection is established; `localIp` is our end of it. */
  | { t: 'link-up'; linkId: number; localIp: string; remoteIp?: string }
  /** A link failed to connect or was closed by the peer. */
  | { t: 'link-down'; linkId: number }
  /** A reply to a command sent on a cmd link. */
  | { t: 'reply'; linkId: number; tag: ReplyTag; reply: Reply }
  /** A frame on a pubsub link (subscribe confirmations, hellos). */
  | { t: 'pubsub'; linkId: number; frame: Reply }
  /** `PUBLISH __sentinel__:hello <payload>` sent to us by a client (peer sentinels do this). */
  | { t: 'client-publish'; payload: string }
  /** `SENTINEL <args...>` from a client (args[0] is the subcommand). */
  | { t: 'command'; args: string[] };

export type { Reply };
