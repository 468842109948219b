// sentinel.conf data model: what parseConfig produces, what the sentinel core consumes at start-up, and what the
// running sentinel hands back to rewriteConfig. Contract owner: src/config. Pure types, no I/O.
// Units: every duration ends in `Ms` (or `Sec` where Redis's directive is in seconds); epochs are plain numbers
// (Redis uses uint64; values above 2^53 are rejected by the parser rather than silently rounded).

/** A `host port` pair exactly as written in / to the file (host is an IP, or a hostname with resolve-hostnames). */
export interface HostPort {
  host: string;
  port: number;
}

/** `sentinel known-sentinel <name> <ip> <port> <runid>`. */
export interface KnownSentinel {
  host: string;
  port: number;
  /** 40-char run id (the peer's myid). Redis writes only sentinels whose run id is known. */
  runId: string;
}

/** `sentinel rename-command <name> <command> <renamed>`. Commands compare case-insensitively. */
export interface RenamedCommand {
  /** The command name Sentinel would send (as written in the file, e.g. `CONFIG`). */
  command: string;
  /** What to send instead (may be any string; empty is allowed by Redis). */
  renamed: string;
}

/** One monitored master as configured (`sentinel monitor` plus the per-master directives). */
export interface MasterConfig {
  name: string;
  /** Address from `sentinel monitor` (the *current* master address when written back). */
  host: string;
  port: number;
  quorum: number;
  /** `down-after-milliseconds`, default 30000; Redis also applies it to the master's replicas and sentinels. */
  downAfterMs: number;
  /** `failover-timeout`, default 180000. */
  failoverTimeoutMs: number;
  /** `parallel-syncs`, default 1 (not validated when read from the file, like Redis). */
  parallelSyncs: number;
  notificationScript?: string;
  clientReconfigScript?: string;
  authPass?: string;
  authUser?: string;
  /** `master-reboot-down-after-period`, default 0 = disabled. */
  masterRebootDownAfterPeriodMs: number;
  /** In the order they were configured (Redis keeps a hash table; see docs/config.md on ordering). */
  renamedCommands: RenamedCommand[];
  configEpoch: number;
  leaderEpoch: number;
  /**
   * Run id of the sentinel this master's leaderEpoch vote went to. Not persisted by Redis (the file only keeps
   * `leader-epoch`); present so the core can carry it, ignored by the rewriter.
   */
  leader?: string;
  knownReplicas: HostPort[];
  knownSentinels: KnownSentinel[];
  /** Vigil's own per-master directives (`sentinel vigil-*`); absent fields = defaults. */
  vigil?: VigilMasterOptions;
}

/** `sentinel vigil-fencing|vigil-fence-delay|vigil-empty-master-failover <master> ...` (docs/sentinel.md). */
export interface VigilMasterOptions {
  /** Split-brain fencing and immediate demotion of a deposed master; default true. */
  fencing?: boolean;
  /** Fence delay in ms; default (absent or 0) = down-after-milliseconds / 2. */
  fenceDelayMs?: number;
  /** Fail over a master that restarted empty while its replicas hold data; default true. */
  emptyMasterFailover?: boolean;
}

/** Sentinel-wide settings (`sentinel <directive>` lines that do not name a master). */
export interface SentinelGlobals {
  /** 40 chars; absent in a fresh file (the runtime generates one and flushes immediately, like Redis). */
  myid?: string;
  currentEpoch: number;
  /** `announce-ip`; absent = unset (Redis treats an empty string as unset). */
  announceIp?: string;
  /** `announce-port`; 0 = unset. */
  announcePort: number;
  /** Default true. */
  denyScriptsReconfig: boolean;
  sentinelUser?: string;
  sentinelPass?: string;
  /** Default false. */
  resolveHostnames: boolean;
  /** Default false. */
  announceHostnames: boolean;
  /**
   * `sentinel state-config-file <path>` (Vigil): the state is written there and the config file is never
   * rewritten. As written in the file (resolved by the loader). Absent: Redis's behaviour.
   */
  stateConfigFile?: string;
  /**
   * Vigil's HTTP endpoint (docs/observability.md): `sentinel vigil-http-port <port>` (absent or 0 = off),
   * `sentinel vigil-http-bind <addr>` (default 127.0.0.1), `sentinel vigil-http-token <token>` (bearer token).
   * Not used by the core; written back as read.
   */
  vigilHttpPort?: number;
  vigilHttpBind?: string;
  vigilHttpToken?: string;
}

export type LogLevel = 'debug' | 'verbose' | 'notice' | 'warning';

/**
 * Generic redis-server options, as far as they matter to a sentinel. Values are the *effective* ones (defaults
 * filled in, sentinel-mode defaults applied: port 26379, protected-mode no).
 */
export interface ServerOptions {
  /** Default 26379 in sentinel mode. */
  port: number;
  /** `bind` addresses; empty = Redis's default (`* -::*`). */
  bind: string[];
  bindSourceAddr?: string;
  /** Default false in sentinel mode (Redis ≥ 6.0). */
  protectedMode: boolean;
  /** `dir` as configured (the process chdir()s there; Redis writes back the absolute cwd). */
  dir?: string;
  /** "" = stdout (Redis's default). */
  logfile: string;
  loglevel: LogLevel;
  pidfile?: string;
  daemonize: boolean;
  requirepass?: string;
  /**
   * Every `user` line without the word `user`, one string per line, arguments re-joined with a single space
   * (quoted only where needed), e.g. `default on nopass ~* &* +@all`. Syntax-checked, not interpreted.
   */
  users: string[];
  /** Generic `rename-command <command> <new-name>` lines (renames commands of this server; "" disables). */
  renamedCommands: RenamedCommand[];
  aclfile?: string;
  /** Default 10000. */
  maxclients: number;
  /** `tcp-keepalive` in seconds, default 300. */
  tcpKeepaliveSec: number;
  /** `timeout`: idle client timeout in seconds, 0 = never (default). */
  clientIdleTimeoutSec: number;
  /** `hz`, default 10 (Sentinel re-randomises it every tick; never persisted otherwise). */
  hz: number;
  /** `tls-port`, 0 = disabled. */
  tlsPort: number;
  /** `tls-replication` (outbound sentinel links use TLS). */
  tlsReplication: boolean;
  /** Every `tls-*` directive as written (lower-case name → raw argument string), stored, not interpreted. */
  tls: Record<string, string>;
  /**
   * Every other accepted generic directive that was set in the file or on the command line: lower-case name →
   * arguments (last occurrence wins, like Redis). Kept so the rewriter can write them back unchanged.
   */
  other: Record<string, string[]>;
}

/** The typed result of parsing a whole file (+ command-line lines). */
export interface SentinelConfig {
  server: ServerOptions;
  sentinel: SentinelGlobals;
  /** In the order of their `sentinel monitor` lines. */
  masters: MasterConfig[];
}

/** One line of the original text, kept verbatim. */
export interface ConfigLine {
  /** 1-based line number as Redis reports it (command-line lines continue the numbering after the file). */
  lineNo: number;
  /** The line exactly as it appeared, without its line terminator. */
  raw: string;
  /** Tokens after sdssplitargs (empty for blank lines and comments). */
  args: string[];
  kind: 'blank' | 'comment' | 'directive';
  /** 'file' for lines of the file, 'argv' for lines made from command-line options. */
  source: 'file' | 'argv';
}

/** Lossless document: every original line plus the typed model built from it. */
export interface ConfigDocument {
  /** File lines first (text split on '\n', so a final newline yields a final empty line), then argv lines. */
  lines: ConfigLine[];
  config: SentinelConfig;
  /** Non-fatal notices Redis would log (deprecated directives, ignored module options). */
  warnings: string[];
}

/**
 * A master as the running sentinel hands it to the rewriter. `host`/`port` are the master's recorded address
 * (Redis's `master->addr`). Every host (master, promoted replica, known replicas and sentinels) is written as
 * given: pass what Redis writes (announceSentinelAddr), i.e. the hostname when announceHostnames is on, else the
 * resolved IP. For a hostname that did not resolve Redis writes an empty field (a file it cannot read back);
 * pass the hostname instead.
 * Known-replica correction is done by the rewriter (documented choice): the `monitor` line is written with
 * `promotedReplica` when given (a failover is past the promotion step, Redis's sentinelGetCurrentMasterAddress),
 * else with host/port; any known replica whose address equals that written address is written as host/port
 * instead (the old master address), exactly as sentinel.c does. Callers pass the raw replica list.
 */
export interface PersistedMaster extends MasterConfig {
  promotedReplica?: HostPort;
}

/** What the running sentinel hands to rewriteConfig: the sentinel part of SentinelConfig with live values. */
export interface PersistedState extends SentinelGlobals {
  /** In the order the sentinel keeps them (Redis iterates a hash table; see docs/config.md). */
  masters: PersistedMaster[];
}

/**
 * Live generic server values the rewriter needs (Redis's generic CONFIG REWRITE engine writes these).
 * `cwd` is the process working directory at rewrite time: Redis always writes `dir "<cwd>"`.
 */
export interface ServerState {
  options: ServerOptions;
  cwd: string;
  /**
   * The live ACL users as `ACL LIST` prints them (`user default on nopass ~* &* +@all`), any order: each either
   * as its words (what the runtime passes; the writer quotes each word that needs it) or as the printed line.
   * Redis writes the live ACL state, normalised, on every rewrite; pass it whenever users exist. Without it the
   * rewriter writes the `user` lines of options.users verbatim plus a default user derived from requirepass
   * (correct for the default user, not normalised for others).
   */
  aclUsers?: readonly (string | readonly string[])[];
}
