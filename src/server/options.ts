// ServerOptions: everything the inbound RESP server takes from sentinel.conf (plus injectable clock/logger), with
// the Redis 7.0 sentinel-mode defaults. Pure.

export type ServerLogLevel = 'debug' | 'verbose' | 'notice' | 'warning';

/** client-output-buffer-limit for one class: hard limit, soft limit and how long the soft one may be exceeded. */
export interface OutputBufferLimit {
  /** Disconnect as soon as the pending output exceeds this many bytes; 0 = no hard limit. */
  hardBytes: number;
  /** Disconnect when pending output stays above this many bytes for `softMs`; 0 = no soft limit. */
  softBytes: number;
  softMs: number;
}

/** Values shown in INFO `# Server` that describe the binary rather than the running process. */
export interface ServerIdentity {
  redisVersion: string;
  gitSha1: string;
  gitDirty: string;
  buildId: string;
  os: string;
  archBits: number;
  gccVersion: string;
  processSupervised: string;
  executable: string;
  configFile: string;
}

export interface ServerOptions {
  /** TCP port; 0 picks an ephemeral one (see RunningServer.ports). */
  port: number;
  /**
   * `bind` addresses as in redis.conf. A leading '-' marks an address whose bind may fail (e.g. no IPv6).
   * '*' = all IPv4, '::*' = all IPv6. Default: Redis 7.0's `* -::*`.
   */
  bind?: readonly string[];
  /**
   * protected-mode (default off in sentinel mode). When on and the default user has no password, non-loopback
   * clients get the -DENIED message and are disconnected (Redis 7.0 applies it whatever `bind` says).
   */
  protectedMode?: boolean;
  /** requirepass: password of the default user ('' or absent = nopass). */
  requirepass?: string;
  /** Raw `user` directives from the config: everything after the word `user`, e.g. 'app on >pw +ping &*'. */
  users?: readonly string[];
  /** maxclients (default 10000). */
  maxclients?: number;
  /** client-query-buffer-limit in bytes (default 1 GB). */
  clientQueryBufferLimitBytes?: number;
  /** proto-max-bulk-len (default 512 MB). */
  protoMaxBulkLenBytes?: number;
  /** `timeout`: close idle clients after this many ms (0 = never, the default). Pub/Sub clients are exempt. */
  idleTimeoutMs?: number;
  /** `tcp-keepalive` period in ms (default 300 s; 0 = off). */
  tcpKeepAliveMs?: number;
  /** client-output-buffer-limit for normal clients (default 0 0 0 = unlimited). */
  normalOutputLimit?: OutputBufferLimit;
  /** client-output-buffer-limit for Pub/Sub clients (default 32mb 8mb 60). */
  pubsubOutputLimit?: OutputBufferLimit;
  /** Overrides for INFO `# Server` identity fields. */
  identity?: Partial<ServerIdentity>;
  /** Log callback (the runtime plugs its logger in here). */
  logger?: (level: ServerLogLevel, message: string) => void;
  /** Wall clock in ms (injectable for tests). Default Date.now. */
  now?: () => number;
}

const DEFAULT_BIND: readonly string[] = ['*', '-::*'];

export interface ResolvedOptions {
  port: number;
  bind: readonly string[];
  protectedMode: boolean;
  requirepass: string;
  users: readonly string[];
  maxclients: number;
  clientQueryBufferLimitBytes: number;
  protoMaxBulkLenBytes: number;
  idleTimeoutMs: number;
  tcpKeepAliveMs: number;
  normalOutputLimit: OutputBufferLimit;
  pubsubOutputLimit: OutputBufferLimit;
  identity: ServerIdentity;
  logger: (level: ServerLogLevel, message: string) => void;
  now: () => number;
}

export function resolveOptions(o: ServerOptions, defaultIdentity: ServerIdentity): ResolvedOptions {
  return {
    port: o.port,
    bind: o.bind && o.bind.length > 0 ? o.bind : DEFAULT_BIND,
    protectedMode: o.protectedMode ?? false,
    requirepass: o.requirepass ?? '',
    users: o.users ?? [],
    maxclients: o.maxclients ?? 10_000,
    clientQueryBufferLimitBytes: o.clientQueryBufferLimitBytes ?? 1024 * 1024 * 1024,
    protoMaxBulkLenBytes: o.protoMaxBulkLenBytes ?? 512 * 1024 * 1024,
    idleTimeoutMs: o.idleTimeoutMs ?? 0,
    tcpKeepAliveMs: o.tcpKeepAliveMs ?? 300_000,
    normalOutputLimit: o.normalOutputLimit ?? { hardBytes: 0, softBytes: 0, softMs: 0 },
    pubsubOutputLimit: o.pubsubOutputLimit ?? {
      hardBytes: 32 * 1024 * 1024,
      softBytes: 8 * 1024 * 1024,
      softMs: 60_000,
    },
    identity: { ...defaultIdentity, ...o.identity },
    logger: o.logger ?? (() => {}),
    now: o.now ?? Date.now,
  };
}
