// Generic (non-`sentinel`) directives: the table of what redis-server 7.0.15 accepts, validation with Redis's
// messages (and a hint) for the directives a sentinel uses, and applying a valid line to ServerOptions; the
// rewriter (rewrite.ts) reads the same table. Pure: no I/O.
// Directives marked 'loose' are accepted by name (Redis knows them; a sentinel ignores them) and kept verbatim.

import { createHash } from 'node:crypto';
import type { LogLevel, ServerOptions } from './types.js';

export type GenericKind =
  | { t: 'bool' }
  | { t: 'int'; min: bigint; max: bigint }
  | { t: 'mem'; min: bigint; max: bigint }
  | { t: 'enum'; values: readonly string[] }
  /** Nullable string: written sdscatrepr-quoted; unset (undefined) removes the line on rewrite. */
  | { t: 'string' }
  | { t: 'bind' }
  | { t: 'percentiles' }
  | { t: 'dir' }
  /** Accepted, not interpreted; `multi` = accepts any number of arguments (≥ 1 as one split string). */
  | { t: 'loose'; multi?: boolean };

export interface GenericSpec {
  name: string;
  kind: GenericKind;
  /** Redis's compiled-in default as it would be written (undefined = NULL for nullable strings). */
  def?: string;
}

const INT_MAX = 2147483647n;
const LONG_MAX = 9223372036854775807n;
const UINT_MAX = 4294967295n;
const int = (min: bigint, max: bigint): GenericKind => ({ t: 'int', min, max });
const bool: GenericKind = { t: 'bool' };
const str: GenericKind = { t: 'string' };
const en = (...values: string[]): GenericKind => ({ t: 'enum', values });

/**
 * Typed directives, in the order our rewriter appends them. (Redis appends new generic lines in the iteration
 * order of a hash table seeded randomly at start-up, i.e. a different order in every process; any fixed order is
 * as faithful as Redis is to itself.)
 */
export const TYPED_SPECS: readonly GenericSpec[] = [
  { name: 'protected-mode', kind: bool, def: 'yes' },
  { name: 'port', kind: int(0n, 65535n), def: '6379' },
  { name: 'bind', kind: { t: 'bind' }, def: '* -::*' },
  { name: 'bind-source-addr', kind: str },
  { name: 'daemonize', kind: bool, def: 'no' },
  { name: 'supervised', kind: en('upstart', 'systemd', 'auto', 'no'), def: 'no' },
  { name: 'pidfile', kind: str },
  { name: 'logfile', kind: str, def: '' },
  { name: 'loglevel', kind: en('debug', 'verbose', 'notice', 'warning'), def: 'notice' },
  { name: 'syslog-enabled', kind: bool, def: 'no' },
  { name: 'syslog-ident', kind: str, def: 'redis' },
  {
    name: 'syslog-facility',
    kind: en('user', 'local0', 'local1', 'local2', 'local3', 'local4', 'local5', 'local6', 'local7'),
    def: 'local0',
  },
  { name: 'crash-log-enabled', kind: bool, def: 'yes' },
  { name: 'crash-memcheck-enabled', kind: bool, def: 'yes' },
  { name: 'always-show-logo', kind: bool, def: 'no' },
  { name: 'set-proc-title', kind: bool, def: 'yes' },
  { name: 'proc-title-template', kind: str, def: '{title} {listen-addr} {server-mode}' },
  { name: 'unixsocket', kind: str },
  { name: 'requirepass', kind: str },
  { name: 'aclfile', kind: str, def: '' },
  { name: 'acllog-max-len', kind: int(0n, LONG_MAX), def: '128' },
  { name: 'maxclients', kind: int(1n, UINT_MAX), def: '10000' },
  { name: 'timeout', kind: int(0n, INT_MAX), def: '0' },
  { name: 'tcp-keepalive', kind: int(0n, INT_MAX), def: '300' },
  { name: 'tcp-backlog', kind: int(0n, INT_MAX), def: '511' },
  { name: 'hz', kind: int(0n, INT_MAX), def: '10' },
  { name: 'client-query-buffer-limit', kind: { t: 'mem', min: 1048576n, max: LONG_MAX }, def: '1gb' },
  { name: 'tls-port', kind: int(0n, 65535n), def: '0' },
  { name: 'tls-replication', kind: bool, def: 'no' },
  { name: 'tls-cluster', kind: bool, def: 'no' },
  { name: 'tls-auth-clients', kind: en('no', 'yes', 'optional'), def: 'yes' },
  { name: 'tls-prefer-server-ciphers', kind: bool, def: 'no' },
  { name: 'tls-session-caching', kind: bool, def: 'yes' },
  { name: 'tls-session-cache-size', kind: int(0n, INT_MAX), def: '20480' },
  { name: 'tls-session-cache-timeout', kind: int(0n, INT_MAX), def: '300' },
  { name: 'tls-cert-file', kind: str },
  { name: 'tls-key-file', kind: str },
  { name: 'tls-key-file-pass', kind: str },
  { name: 'tls-client-cert-file', kind: str },
  { name: 'tls-client-key-file', kind: str },
  { name: 'tls-client-key-file-pass', kind: str },
  { name: 'tls-dh-params-file', kind: str },
  { name: 'tls-ca-cert-file', kind: str },
  { name: 'tls-ca-cert-dir', kind: str },
  { name: 'tls-protocols', kind: str },
  { name: 'tls-ciphers', kind: str },
  { name: 'tls-ciphersuites', kind: str },
  { name: 'latency-tracking', kind: bool, def: 'yes' },
  { name: 'latency-tracking-info-percentiles', kind: { t: 'percentiles' }, def: '50 99 99.9' },
  { name: 'dir', kind: { t: 'dir' } },
];

/** Everything else redis-server 7.0.15 accepts (from `CONFIG GET *`), aliases included. */
const LOOSE_NAMES = `acl-pubsub-default active-defrag-cycle-max active-defrag-cycle-min active-defrag-ignore-bytes
active-defrag-max-scan-fields active-defrag-threshold-lower active-defrag-threshold-upper active-expire-effort
activedefrag activerehashing aof-disable-auto-gc aof-load-truncated aof-rewrite-incremental-fsync
aof-timestamp-enabled aof-use-rdb-preamble aof_rewrite_cpulist appenddirname appendfilename appendfsync appendonly
auto-aof-rewrite-min-size auto-aof-rewrite-percentage bgsave_cpulist bio_cpulist busy-reply-threshold
cluster-allow-pubsubshard-when-down cluster-allow-reads-when-down cluster-allow-replica-migration
cluster-announce-bus-port cluster-announce-hostname cluster-announce-ip cluster-announce-port
cluster-announce-tls-port cluster-config-file cluster-enabled cluster-link-sendbuf-limit cluster-migration-barrier
cluster-node-timeout cluster-port cluster-preferred-endpoint-type cluster-replica-no-failover
cluster-replica-validity-factor cluster-require-full-coverage cluster-slave-no-failover
cluster-slave-validity-factor databases dbfilename disable-thp dynamic-hz enable-debug-command
enable-module-command enable-protected-configs hash-max-listpack-entries hash-max-listpack-value
hash-max-ziplist-entries hash-max-ziplist-value hll-sparse-max-bytes ignore-warnings io-threads io-threads-do-reads
jemalloc-bg-thread latency-monitor-threshold lazyfree-lazy-eviction lazyfree-lazy-expire lazyfree-lazy-server-del
lazyfree-lazy-user-del lazyfree-lazy-user-flush lfu-decay-time lfu-log-factor list-compress-depth
list-max-listpack-size list-max-ziplist-size lua-time-limit masterauth masteruser maxmemory maxmemory-clients
maxmemory-eviction-tenacity maxmemory-policy maxmemory-samples min-replicas-max-lag min-replicas-to-write
min-slaves-max-lag min-slaves-to-write no-appendfsync-on-rewrite notify-keyspace-events oom-score-adj
propagation-error-behavior proto-max-bulk-len rdb-del-sync-files rdb-save-incremental-fsync rdbchecksum
rdbcompression repl-backlog-size repl-backlog-ttl repl-disable-tcp-nodelay repl-diskless-load repl-diskless-sync
repl-diskless-sync-delay repl-diskless-sync-max-replicas repl-ping-replica-period repl-ping-slave-period
repl-timeout replica-announce-ip replica-announce-port replica-announced replica-ignore-disk-write-errors
replica-ignore-maxmemory replica-lazy-flush replica-priority replica-read-only replica-serve-stale-data
sanitize-dump-payload server_cpulist set-max-intset-entries shutdown-on-sigint shutdown-on-sigterm
shutdown-timeout slave-announce-ip slave-announce-port slave-ignore-maxmemory slave-lazy-flush slave-priority
slave-read-only slave-serve-stale-data slowlog-log-slower-than slowlog-max-len socket-mark-id
stop-writes-on-bgsave-error stream-node-max-bytes stream-node-max-entries tracking-table-max-keys unixsocketperm
zset-max-listpack-entries zset-max-listpack-value zset-max-ziplist-entries zset-max-ziplist-value`;

/** Multi-argument directives Redis accepts with any argument count (a single argument is split on spaces). */
const LOOSE_MULTI = ['save', 'client-output-buffer-limit', 'oom-score-adj-values', 'replicaof', 'slaveof'];

/** Accepted by Redis 7.0 with a deprecation warning and otherwise ignored (CONFIG REWRITE comments them out). */
export const DEPRECATED_NAMES: ReadonlySet<string> = new Set([
  'list-max-ziplist-entries',
  'list-max-ziplist-value',
  'lua-replicate-commands',
]);

export const SPECS: ReadonlyMap<string, GenericSpec> = new Map<string, GenericSpec>([
  ...TYPED_SPECS.map((s) => [s.name, s] as [string, GenericSpec]),
  ...LOOSE_NAMES.split(/\s+/).map((n) => [n, { name: n, kind: { t: 'loose' } }] as [string, GenericSpec]),
  ...LOOSE_MULTI.map((n) => [n, { name: n, kind: { t: 'loose', multi: true } }] as [string, GenericSpec]),
]);

/** Redis's string2ll: optional '-', digits, no leading zeros (except "0"), no spaces. */
function parseStrictInt(s: string): bigint | null {
  if (!/^-?(0|[1-9][0-9]*)$/.test(s) || s === '-0') return null;
  const v = BigInt(s);
  if (v > LONG_MAX || v < -LONG_MAX - 1n) return null;
  return v;
}

/** Redis's memtoull: `<digits>[b|k|kb|m|mb|g|gb]`, units case-insensitive (k = 1000, kb = 1024). */
export function parseMemory(s: string): bigint | null {
  const m = /^([0-9]+)(b|k|kb|m|mb|g|gb)?$/i.exec(s);
  if (!m) return null;
  const mul: Record<string, bigint> = {
    b: 1n,
    k: 1000n,
    kb: 1024n,
    m: 1000000n,
    mb: 1048576n,
    g: 1000000000n,
    gb: 1073741824n,
  };
  return BigInt(m[1] as string) * (mul[(m[2] ?? 'b').toLowerCase()] as bigint);
}

/** rewriteConfigFormatMemory: the largest of gb/mb/kb that divides the value, else plain bytes. */
function formatMemory(v: bigint): string {
  const gb = 1073741824n,
    mb = 1048576n,
    kb = 1024n;
  if (v !== 0n && v % gb === 0n) return `${v / gb}gb`;
  if (v !== 0n && v % mb === 0n) return `${v / mb}mb`;
  if (v !== 0n && v % kb === 0n) return `${v / kb}kb`;
  return `${v}`;
}

function formatPercentiles(ps: readonly number[]): string {
  return ps.map((p) => String(p)).join(' ');
}

/**
 * Validate a typed directive's arguments (args excludes the name). Returns the normalised value (as the
 * rewriter writes it, unquoted) or a Redis error message.
 */
function validateGeneric(spec: GenericSpec, args: readonly string[]): { value: string } | { error: string } {
  const k = spec.kind;
  switch (k.t) {
    case 'bool': {
      const v = (args[0] as string).toLowerCase();
      if (v !== 'yes' && v !== 'no') return { error: "argument must be 'yes' or 'no'" };
      return { value: v };
    }
    case 'int': {
      const v = parseStrictInt(args[0] as string);
      if (v === null) return { error: "argument couldn't be parsed into an integer" };
      if (v < k.min || v > k.max) return { error: `argument must be between ${k.min} and ${k.max} inclusive` };
      return { value: v.toString() };
    }
    case 'mem': {
      const v = parseMemory(args[0] as string);
      if (v === null) return { error: 'argument must be a memory value' };
      if (v < k.min || v > k.max) return { error: `argument must be between ${k.min} and ${k.max} inclusive` };
      return { value: formatMemory(v) };
    }
    case 'enum': {
      const v = (args[0] as string).toLowerCase();
      if (!k.values.includes(v)) return { error: `argument(s) must be one of the following: ${k.values.join(', ')}` };
      return { value: v };
    }
    case 'string':
    case 'dir':
      return { value: args[0] as string };
    case 'bind':
      return { value: splitMulti(args).join(' ') };
    case 'percentiles': {
      const ps: number[] = [];
      for (const a of splitMulti(args)) {
        const n = /^\s*[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(a) ? Number(a) : NaN;
        if (Number.isNaN(n)) return { error: 'Invalid latency-tracking-info-percentiles parameters' };
        if (n < 0 || n > 100)
          return { error: 'latency-tracking-info-percentiles parameters should sit between [0.0,100.0]' };
        ps.push(n);
      }
      return { value: formatPercentiles(ps) };
    }
    case 'loose':
      return { value: args.join(' ') };
  }
}

/** MULTI_ARG configs given one non-empty argument split it on spaces (config.c). */
function splitMulti(args: readonly string[]): string[] {
  if (args.length === 1 && (args[0] as string).length > 0) {
    return (args[0] as string).split(' ').filter((s) => s !== '');
  }
  // A single empty argument (`bind ""`, `latency-tracking-info-percentiles ""`) means an empty list.
  return args.filter((a) => a !== '');
}

export function isMultiArg(spec: GenericSpec): boolean {
  return (
    spec.kind.t === 'bind' || spec.kind.t === 'percentiles' || (spec.kind.t === 'loose' && spec.kind.multi === true)
  );
}

/** Redis's stored password hash: lower-case hex SHA-256. */
export function sha256Hex(s: string): string {
  return createHash('sha256').update(s, 'utf8').digest('hex');
}

/** Applies a generic directive line (arguments after the name) to the model, or fails with Redis's message. */
export function applyGeneric(
  spec: GenericSpec,
  rawArgs: string[],
  server: ServerOptions,
  fail: (m: string, h: string) => never,
): void {
  const multi = isMultiArg(spec);
  if (!multi && rawArgs.length !== 1) {
    fail(
      'wrong number of arguments',
      `'${spec.name}' takes exactly one argument; put a value that contains spaces in double quotes`,
    );
  }
  const args = multi ? splitMulti(rawArgs) : rawArgs;
  const r = validateGeneric(spec, args);
  if ('error' in r) {
    fail(r.error, genericHint(spec, r.error));
    return;
  }
  const v = r.value;
  switch (spec.name) {
    case 'port':
      server.port = Number(v);
      return;
    case 'bind':
      server.bind = v === '' ? [] : v.split(' ');
      return;
    case 'bind-source-addr':
      server.bindSourceAddr = v;
      return;
    case 'protected-mode':
      server.protectedMode = v === 'yes';
      return;
    case 'dir':
      server.dir = v;
      return;
    case 'logfile':
      server.logfile = v;
      return;
    case 'loglevel':
      server.loglevel = v as LogLevel;
      return;
    case 'pidfile':
      server.pidfile = v;
      return;
    case 'daemonize':
      server.daemonize = v === 'yes';
      return;
    case 'requirepass':
      // An empty password means "no password" (Redis stores NULL and CONFIG REWRITE drops the line).
      if (v === '') delete server.requirepass;
      else server.requirepass = v;
      return;
    case 'aclfile':
      if (v === '') delete server.aclfile;
      else server.aclfile = v;
      return;
    case 'maxclients':
      server.maxclients = Number(v);
      return;
    case 'tcp-keepalive':
      server.tcpKeepaliveSec = Number(v);
      return;
    case 'timeout':
      server.clientIdleTimeoutSec = Number(v);
      return;
    case 'hz':
      server.hz = Number(v);
      return;
    case 'tls-port':
      server.tlsPort = Number(v);
      server.tls[spec.name] = v;
      return;
    case 'tls-replication':
      server.tlsReplication = v === 'yes';
      server.tls[spec.name] = v;
      return;
    default:
      if (spec.name.startsWith('tls-')) server.tls[spec.name] = v;
      // Each `client-output-buffer-limit <class> ...` line sets its class(es), as in Redis: lines accumulate.
      else if (spec.name === 'client-output-buffer-limit')
        server.other[spec.name] = [...(server.other[spec.name] ?? []), ...rawArgs];
      else server.other[spec.name] = spec.kind.t === 'loose' ? [...rawArgs] : [v];
  }
}

function genericHint(spec: GenericSpec, error: string): string {
  switch (spec.kind.t) {
    case 'bool':
      return `use '${spec.name} yes' or '${spec.name} no'`;
    case 'int':
      return error.startsWith('argument must be between')
        ? `use a value between ${spec.kind.min} and ${spec.kind.max}`
        : 'use a plain decimal integer (no units, no leading zeros)';
    case 'mem':
      return 'use a byte count, optionally with a unit: 1048576, 1mb, 2gb (k/m/g = 1000s, kb/mb/gb = 1024s)';
    case 'enum':
      return `use one of: ${spec.kind.values.join(', ')}`;
    case 'percentiles':
      return 'use numbers between 0 and 100 separated by spaces, e.g. 50 99 99.9';
    case 'string':
    case 'dir':
    case 'bind':
    case 'loose':
      return `check the value of '${spec.name}'`;
  }
}
