// The `sentinel` directives of sentinel.conf, applied the way redis-sentinel 7.0.15's
// loadSentinelConfigFromQueue does: the global settings first, then every `monitor`, then the per-master settings,
// each pass in file order, with Redis's acceptance rules and error messages plus a hint per error. Takes the queued
// `sentinel` lines and a context (globals and masters to fill, the injected executable check); throws ConfigError
// naming the first line Redis would reject. Pure: no I/O.

import { isIP } from 'node:net';
import { ConfigError } from './errors.js';
import { normaliseIpv4 } from './ip.js';
import { newMasterConfig } from './master.js';
import type { MasterConfig, SentinelGlobals } from './types.js';

const RUN_ID_SIZE = 40;

/** sentinel directives handled in the first pass (sentinel.c loadSentinelConfigFromQueue). */
const PRE_MONITOR = new Set([
  'announce-ip',
  'announce-port',
  'deny-scripts-reconfig',
  'sentinel-user',
  'sentinel-pass',
  'current-epoch',
  'myid',
  'resolve-hostnames',
  'announce-hostnames',
  'state-config-file',
  'vigil-http-port',
  'vigil-http-bind',
  'vigil-http-token',
]);

/** Expected usage per sentinel directive, for hints (argument count → Redis says only "Unrecognized ..."). */
const SENTINEL_USAGE: Record<string, string> = {
  monitor: 'sentinel monitor <master-name> <ip> <port> <quorum>',
  'down-after-milliseconds': 'sentinel down-after-milliseconds <master-name> <milliseconds>',
  'failover-timeout': 'sentinel failover-timeout <master-name> <milliseconds>',
  'parallel-syncs': 'sentinel parallel-syncs <master-name> <numreplicas>',
  'notification-script': 'sentinel notification-script <master-name> <script-path>',
  'client-reconfig-script': 'sentinel client-reconfig-script <master-name> <script-path>',
  'auth-pass': 'sentinel auth-pass <master-name> <password>',
  'auth-user': 'sentinel auth-user <master-name> <username>',
  'master-reboot-down-after-period': 'sentinel master-reboot-down-after-period <master-name> <milliseconds>',
  'primary-reboot-down-after-period': 'sentinel primary-reboot-down-after-period <master-name> <milliseconds>',
  'rename-command': 'sentinel rename-command <master-name> <command> <renamed-command>',
  'vigil-fencing': 'sentinel vigil-fencing <master-name> yes|no',
  'vigil-fence-delay': 'sentinel vigil-fence-delay <master-name> <milliseconds>',
  'vigil-empty-master-failover': 'sentinel vigil-empty-master-failover <master-name> yes|no',
  'config-epoch': 'sentinel config-epoch <master-name> <epoch>',
  'leader-epoch': 'sentinel leader-epoch <master-name> <epoch>',
  'known-replica': 'sentinel known-replica <master-name> <ip> <port>',
  'known-slave': 'sentinel known-slave <master-name> <ip> <port>',
  'known-sentinel': 'sentinel known-sentinel <master-name> <ip> <port> <runid>',
  'current-epoch': 'sentinel current-epoch <epoch>',
  'state-config-file': 'sentinel state-config-file <path>',
  myid: 'sentinel myid <40-character-id>',
  'announce-ip': 'sentinel announce-ip <ip>',
  'announce-port': 'sentinel announce-port <port>',
  'deny-scripts-reconfig': 'sentinel deny-scripts-reconfig yes|no',
  'sentinel-user': 'sentinel sentinel-user <username>',
  'sentinel-pass': 'sentinel sentinel-pass <password>',
  'resolve-hostnames': 'sentinel resolve-hostnames yes|no',
  'announce-hostnames': 'sentinel announce-hostnames yes|no',
  'vigil-http-port': 'sentinel vigil-http-port <port>',
  'vigil-http-bind': 'sentinel vigil-http-bind <address>',
  'vigil-http-token': 'sentinel vigil-http-token <token>',
};

// ---- C conversions Redis uses on sentinel directives -------------------------------------------------------

const INT64_MAX = 9223372036854775807n;
const UINT64_MAX = 18446744073709551615n;

function leadingInteger(s: string): { neg: boolean; digits: string } {
  const m = /^[ \t\n\v\f\r]*([+-]?)([0-9]*)/.exec(s) as RegExpExecArray;
  return { neg: m[1] === '-', digits: m[2] as string };
}

/** glibc atoi(): strtol (saturating at the 64-bit limits) truncated to a 32-bit int. */
function cAtoi(s: string): number {
  const { neg, digits } = leadingInteger(s);
  if (digits === '') return 0;
  let v = BigInt(digits);
  if (neg) v = -v;
  if (v > INT64_MAX) v = INT64_MAX;
  if (v < -INT64_MAX - 1n) v = -INT64_MAX - 1n;
  return Number(BigInt.asIntN(32, v));
}

/** strtoull(s, NULL, 10): saturates at 2^64-1, a leading '-' negates modulo 2^64. */
function cStrtoull(s: string): bigint {
  const { neg, digits } = leadingInteger(s);
  if (digits === '') return 0n;
  let v = BigInt(digits);
  if (v > UINT64_MAX) return UINT64_MAX;
  if (neg) v = BigInt.asUintN(64, -v);
  return v;
}

/** Redis's yesnotoi(): case-insensitive yes/no, else -1. */
function yesNo(s: string): boolean | null {
  const l = s.toLowerCase();
  return l === 'yes' ? true : l === 'no' ? false : null;
}

/** IPv6 literals are kept as written; IPv4 in inet_aton form becomes a dotted quad (ip.ts). Null for non-IPs. */
export function normaliseIpLiteral(host: string): string | null {
  return isIP(host) === 6 ? host : normaliseIpv4(host);
}

/** A `sentinel ...` line queued by the first pass: its arguments after `sentinel`, for the three passes. */
export interface QueuedSentinel {
  args: string[];
  lineNo: number;
  line: string;
}

class Fail {
  constructor(
    readonly message: string,
    readonly hint: string,
  ) {}
}

export interface SentinelCtx {
  sentinel: SentinelGlobals;
  masters: MasterConfig[];
  isExecutable: ((path: string) => boolean) | undefined;
  /** master name → lower-cased renamed command names (Redis's dict is case-insensitive). */
  renamed: Map<string, Set<string>>;
}

/** Applies the queued lines in Redis's three passes; the first rejected line throws its ConfigError. */
export function runSentinelPasses(queue: readonly QueuedSentinel[], ctx: SentinelCtx): void {
  const passes: Array<(q: QueuedSentinel) => boolean> = [
    (q) => PRE_MONITOR.has((q.args[0] as string).toLowerCase()),
    (q) => (q.args[0] as string).toLowerCase() === 'monitor',
    (q) => {
      const d = (q.args[0] as string).toLowerCase();
      return !PRE_MONITOR.has(d) && d !== 'monitor';
    },
  ];
  for (const inPass of passes) {
    for (const q of queue) {
      if (!inPass(q)) continue;
      try {
        handleSentinel(q.args, ctx);
      } catch (e) {
        if (e instanceof Fail)
          throw new ConfigError({ lineNo: q.lineNo, line: q.line, redisMessage: e.message, hint: e.hint });
        throw e;
      }
    }
  }
}

function epoch(s: string, what: string): number {
  const v = cStrtoull(s);
  if (v > BigInt(Number.MAX_SAFE_INTEGER)) {
    throw new Fail(
      `${what} is too large for vigil (above 2^53-1).`,
      'epochs that large mean a corrupted file: fix the value (it is only ever increased by failovers)',
    );
  }
  return Number(v);
}

function addrKey(host: string, port: number): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}

/** Instance address check of createSentinelRedisInstance: port range, then IP literal unless resolve-hostnames. */
function checkAddr(host: string, port: number, resolveHostnames: boolean): string {
  if (port < 0 || port > 65535) throw new Fail('Invalid port number.', 'ports are 0..65535');
  const ip = normaliseIpLiteral(host);
  if (ip !== null) return ip;
  if (resolveHostnames) return host;
  throw new Fail(
    "Can't resolve instance hostname.",
    `'${host}' is not an IP address: use an IP, or add 'sentinel resolve-hostnames yes' to monitor by hostname`,
  );
}

function handleSentinel(argv: string[], ctx: SentinelCtx): void {
  const d = (argv[0] as string).toLowerCase();
  const argc = argv.length;
  const a = (i: number): string => argv[i] as string;
  const unrecognized = (): never => {
    const usage = SENTINEL_USAGE[d];
    throw new Fail(
      'Unrecognized sentinel configuration statement.',
      usage !== undefined
        ? `wrong number of arguments; usage: ${usage}`
        : `'sentinel ${a(0)}' is not a sentinel directive; known: ${Object.keys(SENTINEL_USAGE).join(', ')}`,
    );
  };
  const master = (): MasterConfig => {
    const m = ctx.masters.find((x) => x.name === a(1));
    if (m === undefined) {
      throw new Fail(
        'No such master with specified name.',
        `no 'sentinel monitor ${a(1)} ...' line: add one or fix the name (names are case-sensitive)`,
      );
    }
    return m;
  };
  const positiveMs = (v: number): number => {
    if (v <= 0) throw new Fail('negative or zero time parameter.', 'use a positive number of milliseconds');
    return v;
  };
  const script = (kind: 'notification' | 'client-reconfig'): string => {
    const path = a(2);
    if (ctx.isExecutable !== undefined && !ctx.isExecutable(path)) {
      throw new Fail(
        kind === 'notification'
          ? 'Notification script seems non existing or non executable.'
          : 'Client reconfiguration script seems non existing or non executable.',
        `make sure '${path}' exists and is executable (chmod +x)`,
      );
    }
    return path;
  };
  const yesNoOpt = (msg: string): boolean => {
    const v = yesNo(a(1));
    if (v === null) throw new Fail(msg, `use 'sentinel ${d} yes' or 'sentinel ${d} no'`);
    return v;
  };

  switch (d) {
    case 'monitor': {
      if (argc !== 5) return unrecognized();
      const quorum = cAtoi(a(4));
      if (quorum <= 0) {
        throw new Fail(
          'Quorum must be 1 or greater.',
          'the quorum is how many sentinels must agree the master is down: use a positive integer (usually a majority)',
        );
      }
      const port = cAtoi(a(3));
      const host = checkAddr(a(2), port, ctx.sentinel.resolveHostnames);
      if (ctx.masters.some((m) => m.name === a(1))) {
        throw new Fail(
          'Duplicate master name.',
          `'${a(1)}' is monitored twice: remove or rename one 'sentinel monitor' line`,
        );
      }
      ctx.masters.push(newMasterConfig(a(1), host, port, quorum));
      return;
    }
    case 'down-after-milliseconds':
      if (argc !== 3) return unrecognized();
      master().downAfterMs = positiveMs(cAtoi(a(2)));
      return;
    case 'failover-timeout':
      if (argc !== 3) return unrecognized();
      master().failoverTimeoutMs = positiveMs(cAtoi(a(2)));
      return;
    case 'parallel-syncs':
      if (argc !== 3) return unrecognized();
      master().parallelSyncs = cAtoi(a(2)); // Redis does not validate it here
      return;
    case 'notification-script':
      if (argc !== 3) return unrecognized();
      master().notificationScript = script('notification');
      return;
    case 'client-reconfig-script':
      if (argc !== 3) return unrecognized();
      master().clientReconfigScript = script('client-reconfig');
      return;
    case 'auth-pass':
      if (argc !== 3) return unrecognized();
      master().authPass = a(2);
      return;
    case 'auth-user':
      if (argc !== 3) return unrecognized();
      master().authUser = a(2);
      return;
    case 'current-epoch': {
      if (argc !== 2) return unrecognized();
      const e = epoch(a(1), 'current-epoch');
      if (e > ctx.sentinel.currentEpoch) ctx.sentinel.currentEpoch = e;
      return;
    }
    case 'myid':
      if (argc !== 2) return unrecognized();
      if (Buffer.byteLength(a(1)) !== RUN_ID_SIZE) {
        throw new Fail(
          'Malformed Sentinel id in myid option.',
          'myid must be exactly 40 characters; delete the line to have a new id generated',
        );
      }
      ctx.sentinel.myid = a(1);
      return;
    case 'config-epoch': {
      if (argc !== 3) return unrecognized();
      const m = master();
      m.configEpoch = epoch(a(2), 'config-epoch');
      if (m.configEpoch > ctx.sentinel.currentEpoch) ctx.sentinel.currentEpoch = m.configEpoch;
      return;
    }
    case 'leader-epoch':
      if (argc !== 3) return unrecognized();
      master().leaderEpoch = epoch(a(2), 'leader-epoch');
      return;
    case 'known-slave':
    case 'known-replica': {
      if (argc !== 4) return unrecognized();
      const m = master();
      const port = cAtoi(a(3));
      const host = checkAddr(a(2), port, ctx.sentinel.resolveHostnames);
      if (m.knownReplicas.some((r) => addrKey(r.host, r.port) === addrKey(host, port))) {
        throw new Fail(
          'Duplicate hostname and port for replica.',
          `remove the repeated known-replica line for ${addrKey(host, port)}`,
        );
      }
      m.knownReplicas.push({ host, port });
      return;
    }
    case 'known-sentinel': {
      if (argc !== 4 && argc !== 5) return unrecognized();
      if (argc === 4) return; // the old form without run id is silently ignored
      const m = master();
      const port = cAtoi(a(3));
      const host = checkAddr(a(2), port, ctx.sentinel.resolveHostnames);
      if (m.knownSentinels.some((s) => s.runId === a(4))) {
        throw new Fail('Duplicate runid for sentinel.', `remove the repeated known-sentinel line with run id ${a(4)}`);
      }
      m.knownSentinels.push({ host, port, runId: a(4) });
      return;
    }
    case 'rename-command': {
      if (argc !== 4) return unrecognized();
      const m = master();
      const set = ctx.renamed.get(m.name) ?? new Set<string>();
      ctx.renamed.set(m.name, set);
      if (set.has(a(2).toLowerCase())) {
        throw new Fail(
          'Same command renamed multiple times with rename-command.',
          `keep one 'sentinel rename-command ${m.name} ${a(2)} ...' line`,
        );
      }
      set.add(a(2).toLowerCase());
      m.renamedCommands.push({ command: a(2), renamed: a(3) });
      return;
    }
    // Vigil (the name proposed for Redis and Valkey): the state goes to this file; see src/config/state-file.ts.
    case 'state-config-file':
      if (argc !== 2) return unrecognized();
      if (a(1).length === 0)
        throw new Fail(
          'Empty state-config-file path.',
          "give a path, e.g. 'sentinel state-config-file /var/lib/vigil/sentinel-state.conf'",
        );
      ctx.sentinel.stateConfigFile = a(1);
      return;
    case 'announce-ip':
      if (argc !== 2) return unrecognized();
      if (a(1).length > 0) ctx.sentinel.announceIp = a(1);
      return;
    case 'announce-port':
      if (argc !== 2) return unrecognized();
      ctx.sentinel.announcePort = cAtoi(a(1)); // Redis does not validate it
      return;
    case 'deny-scripts-reconfig':
      if (argc !== 2) return unrecognized();
      ctx.sentinel.denyScriptsReconfig = yesNoOpt('Please specify yes or no for the deny-scripts-reconfig options.');
      return;
    case 'sentinel-user':
      if (argc !== 2) return unrecognized();
      if (a(1).length > 0) ctx.sentinel.sentinelUser = a(1);
      return;
    case 'sentinel-pass':
      if (argc !== 2) return unrecognized();
      if (a(1).length > 0) ctx.sentinel.sentinelPass = a(1);
      return;
    case 'resolve-hostnames':
      if (argc !== 2) return unrecognized();
      ctx.sentinel.resolveHostnames = yesNoOpt('Please specify yes or no for the resolve-hostnames option.');
      return;
    case 'announce-hostnames':
      if (argc !== 2) return unrecognized();
      ctx.sentinel.announceHostnames = yesNoOpt('Please specify yes or no for the announce-hostnames option.');
      return;
    case 'vigil-http-port': {
      if (argc !== 2) return unrecognized();
      const v = /^\d{1,5}$/.test(a(1)) ? Number(a(1)) : -1;
      if (v < 0 || v > 65535) throw new Fail('Invalid port number for vigil-http-port.', 'use 0 (off) or 1-65535');
      ctx.sentinel.vigilHttpPort = v;
      return;
    }
    case 'vigil-http-bind':
      if (argc !== 2) return unrecognized();
      if (isIP(a(1)) === 0 && a(1) !== 'localhost')
        throw new Fail('Invalid address for vigil-http-bind.', 'use an IP address such as 127.0.0.1 or ::1');
      ctx.sentinel.vigilHttpBind = a(1);
      return;
    case 'vigil-http-token':
      if (argc !== 2) return unrecognized();
      if (a(1).length > 0) ctx.sentinel.vigilHttpToken = a(1);
      return;
    // Valkey 8's name, read as Redis's; the rewrite writes Redis's name in its place.
    case 'primary-reboot-down-after-period':
    case 'master-reboot-down-after-period': {
      if (argc !== 3) return unrecognized();
      const m = master();
      const v = cAtoi(a(2));
      if (v < 0) throw new Fail('negative time parameter.', 'use 0 (disabled) or a positive number of milliseconds');
      m.masterRebootDownAfterPeriodMs = v;
      return;
    }
    case 'vigil-fencing':
    case 'vigil-empty-master-failover': {
      if (argc !== 3) return unrecognized();
      const m = master();
      const v = yesNo(a(2));
      if (v === null)
        throw new Fail(`Please specify yes or no for ${d}.`, `use 'sentinel ${d} ${a(1)} yes' or '... no'`);
      m.vigil = { ...m.vigil, [d === 'vigil-fencing' ? 'fencing' : 'emptyMasterFailover']: v };
      return;
    }
    case 'vigil-fence-delay': {
      if (argc !== 3) return unrecognized();
      const m = master();
      const v = cAtoi(a(2));
      if (v < 0) {
        throw new Fail(
          'negative time parameter.',
          'use 0 (half of down-after-milliseconds) or a positive number of milliseconds',
        );
      }
      m.vigil = { ...m.vigil, fenceDelayMs: v };
      return;
    }
    default:
      return unrecognized();
  }
}
