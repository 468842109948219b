// sentinel.conf parser: a lossless document (every line kept) plus the typed model, with redis-sentinel
// 7.0.15's acceptance rules and error messages (collected from the real binary, see test/unit/config-parse.test.ts).
// Pure: no I/O. The only environment question Redis asks while parsing (is a script executable?) is injected.

import { isIP } from 'node:net';
import { resolve as resolvePath } from 'node:path';
import { ConfigError } from './errors.js';
import { DEPRECATED_NAMES, SPECS, isMultiArg, splitMulti, validateGeneric, type GenericSpec } from './generic.js';
import { quoteIfNeeded, splitArgs } from './tokenize.js';
import type {
  ConfigDocument,
  ConfigLine,
  LogLevel,
  MasterConfig,
  SentinelConfig,
  SentinelGlobals,
  ServerOptions,
} from './types.js';

export interface ParseOptions {
  /**
   * Lines made from command-line options (see argvToConfigLines), appended after the file like Redis does:
   * they are numbered after the file's lines plus one (Redis joins file and options with an extra '\n').
   */
  argvLines?: readonly string[];
  /**
   * Redis checks `access(path, X_OK)` for notification-script / client-reconfig-script while parsing. Parsing
   * stays pure, so the caller supplies the check (config/store does); without it scripts are not checked.
   */
  isExecutable?: (path: string) => boolean;
  /**
   * The directory the process starts in. Redis chdir()s at each `dir` line (a relative `dir` is relative to the
   * previous one) and applies the `sentinel` directives after all other lines, so a relative script path resolves
   * against the final `dir`. With `cwd` set, `server.dir` becomes that final absolute directory and scripts are
   * checked there; without it `dir` is kept as written and scripts are checked as given.
   */
  cwd?: string;
  /** With `cwd`: why chdir() to this absolute directory would fail (strerror text), or null when it would work. */
  dirError?: (absDir: string) => string | null;
}

import { normaliseIpv4 } from './ip.js';
import { newMasterConfig } from './master.js';
export { DEFAULT_DOWN_AFTER_MS, DEFAULT_FAILOVER_TIMEOUT_MS, DEFAULT_PARALLEL_SYNCS, newMasterConfig } from './master.js';
export const SENTINEL_DEFAULT_PORT = 26379;
export const RUN_ID_SIZE = 40;

/** Commands registered in sentinel mode (reference §2.1); `rename-command` accepts only these. */
const SENTINEL_COMMANDS = new Set([
  'acl',
  'auth',
  'client',
  'command',
  'hello',
  'info',
  'ping',
  'subscribe',
  'unsubscribe',
  'psubscribe',
  'punsubscribe',
  'publish',
  'role',
  'sentinel',
  'shutdown',
]);

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

export function defaultServerOptions(): ServerOptions {
  return {
    port: SENTINEL_DEFAULT_PORT,
    bind: [],
    protectedMode: false,
    logfile: '',
    loglevel: 'notice',
    daemonize: false,
    users: [],
    renamedCommands: [],
    maxclients: 10000,
    tcpKeepaliveSec: 300,
    clientIdleTimeoutSec: 0,
    hz: 10,
    tlsPort: 0,
    tlsReplication: false,
    tls: {},
    other: {},
  };
}

export function defaultSentinelGlobals(): SentinelGlobals {
  return {
    currentEpoch: 0,
    announcePort: 0,
    denyScriptsReconfig: true,
    resolveHostnames: false,
    announceHostnames: false,
  };
}

// ---- C conversions Redis uses on sentinel directives -------------------------------------------------------

const INT64_MAX = 9223372036854775807n;
const UINT64_MAX = 18446744073709551615n;

function leadingInteger(s: string): { neg: boolean; digits: string } {
  const m = /^[ \t\n\v\f\r]*([+-]?)([0-9]*)/.exec(s) as RegExpExecArray;
  return { neg: m[1] === '-', digits: m[2] as string };
}

/** glibc atoi(): strtol (saturating at the 64-bit limits) truncated to a 32-bit int. */
export function cAtoi(s: string): number {
  const { neg, digits } = leadingInteger(s);
  if (digits === '') return 0;
  let v = BigInt(digits);
  if (neg) v = -v;
  if (v > INT64_MAX) v = INT64_MAX;
  if (v < -INT64_MAX - 1n) v = -INT64_MAX - 1n;
  return Number(BigInt.asIntN(32, v));
}

/** strtoull(s, NULL, 10): saturates at 2^64-1, a leading '-' negates modulo 2^64. */
export function cStrtoull(s: string): bigint {
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

// ---- ACL `user` lines (syntax only; command/category names are checked when ACLs are loaded) ----------------

const ACL_WORDS = new Set([
  'on',
  'off',
  'skip-sanitize-payload',
  'sanitize-payload',
  'allkeys',
  'resetkeys',
  'allchannels',
  'resetchannels',
  'allcommands',
  'nocommands',
  'nopass',
  'resetpass',
  'reset',
  'clearselectors',
]);

function aclRuleError(rule: string): string | null {
  const l = rule.toLowerCase();
  if (ACL_WORDS.has(l)) return null;
  const c = rule[0];
  if (c === '>' || c === '<') return null;
  if (c === '#' || c === '!') {
    if (!/^[0-9a-f]{64}$/.test(rule.slice(1))) {
      return 'The password hash must be exactly 64 characters and contain only lowercase hexadecimal characters';
    }
    return null;
  }
  // Patterns with whitespace or NUL are a syntax error (Redis's ACLStringHasSpaces; `user u on "~a b"`).
  if ((c === '~' || c === '&' || c === '%') && /[ \t\n\v\f\r\0]/.test(rule)) return 'Syntax error';
  if (c === '~' || c === '&') return null;
  if (c === '%') return /^%(R|W|RW)~/i.test(rule) ? null : 'Syntax error';
  if (c === '+' || c === '-') return rule.length > 1 ? null : 'Syntax error';
  if (c === '(' && rule.endsWith(')')) {
    for (const r of rule
      .slice(1, -1)
      .split(' ')
      .filter((x) => x !== '')) {
      const e = aclRuleError(r);
      if (e !== null) return e;
    }
    return null;
  }
  return 'Syntax error';
}

/** Redis 7.0 merges `(`…`)` selector arguments that were split on spaces (ACLMergeSelectorArguments). */
function mergeSelectors(rules: readonly string[]): string[] | null {
  const out: string[] = [];
  let open: string | null = null;
  for (const r of rules) {
    if (open !== null) {
      open += ' ' + r;
      if (r.endsWith(')')) {
        out.push(open);
        open = null;
      }
    } else if (r.startsWith('(') && !r.endsWith(')')) {
      open = r;
    } else {
      out.push(r);
    }
  }
  return open === null ? out : null;
}

// ---- the parser ---------------------------------------------------------------------------------------------

interface QueuedSentinel {
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

const trimRedis = (s: string): string => s.replace(/^[ \t\r\n]+|[ \t\r\n]+$/g, '');

/**
 * Parse a sentinel.conf text (plus command-line lines) the way redis-sentinel 7.0.15 loads it. Throws
 * ConfigError on the first error Redis would report (generic directives in line order first, then the
 * `sentinel` directives in their three passes).
 */
export function parseConfig(text: string, opts: ParseOptions = {}): ConfigDocument {
  const lines: ConfigLine[] = [];
  const fileLines = text.split('\n');
  fileLines.forEach((raw, i) => lines.push(classify(raw, i + 1, 'file')));
  for (const raw of opts.argvLines ?? []) lines.push(classify(raw, lines.length + 1, 'argv'));

  const server = defaultServerOptions();
  const warnings: string[] = [];
  const queue: QueuedSentinel[] = [];
  const userNames = new Set<string>();
  let effectiveDir: string | undefined;

  for (const l of lines) {
    if (l.kind !== 'directive') continue;
    const line = trimRedis(l.raw);
    const fail = (message: string, hint: string): never => {
      throw new ConfigError({ lineNo: l.lineNo, line, redisMessage: message, hint });
    };
    const args = splitArgs(line);
    if (args === null) {
      return fail(
        'Unbalanced quotes in configuration line',
        'close every quote, leave a space after a closing quote, and escape a literal " inside double quotes as \\"',
      );
    }
    if (args.length === 0) continue;
    const name = (args[0] as string).toLowerCase();
    const spec = SPECS.get(name);
    if (spec !== undefined) {
      applyGeneric(spec, args.slice(1), server, fail);
      if (spec.name === 'dir' && opts.cwd !== undefined) {
        // Redis's chdir() at this line: the next relative `dir` starts from here; a failure names this line.
        const abs = resolvePath(effectiveDir ?? opts.cwd, server.dir as string);
        const err = opts.dirError?.(abs) ?? null;
        if (err !== null) fail(err, `create the directory '${abs}' or fix 'dir'`);
        effectiveDir = abs;
        server.dir = abs;
      }
      continue;
    }
    if (DEPRECATED_NAMES.has(name)) {
      warnings.push(
        `Configuration option '${args[0] as string}' is deprecated and will be removed in a future release.`,
      );
      continue;
    }
    if (name === 'include' && args.length === 2) {
      fail('include is not supported by vigil', 'copy the included directives into this file');
    } else if (name === 'rename-command' && args.length === 3) {
      const cmd = args[1] as string;
      if (!SENTINEL_COMMANDS.has(cmd.toLowerCase())) {
        fail('No such command in rename-command', `sentinel mode only has: ${[...SENTINEL_COMMANDS].join(', ')}`);
      }
      server.renamedCommands.push({ command: cmd, renamed: args[2] as string });
    } else if (name === 'user' && args.length >= 2) {
      const uname = args[1] as string;
      const rules = mergeSelectors(args.slice(2));
      if (rules === null) fail(`Error in user declaration '${uname}': Syntax error`, 'close the ( selector with )');
      (rules as string[]).forEach((r, idx) => {
        const e = aclRuleError(r);
        // Redis names argv[<index of the bad rule>] here, not the rule itself (a 7.0 quirk kept for fidelity).
        if (e !== null)
          fail(`Error in user declaration '${args[idx] ?? ''}': ${e}`, `fix the ACL rule '${r}' (see ACL SETUSER)`);
      });
      if (userNames.has(uname)) {
        fail(
          `Error in user declaration '${uname}': Duplicate user found. A user can only be defined once in config files`,
          `merge the 'user ${uname}' lines into one`,
        );
      }
      userNames.add(uname);
      server.users.push(args.slice(1).map(quoteIfNeeded).join(' '));
    } else if (name === 'loadmodule' && args.length >= 2) {
      // redis-sentinel accepts the line and never loads modules in sentinel mode (CONFIG REWRITE then drops it).
      warnings.push(`loadmodule ignored in sentinel mode: ${args[1] as string}`);
    } else if (name.includes('.')) {
      // Module option: Redis queues it for a module; a sentinel never loads one. Kept, ignored, warned.
      warnings.push(`Module configuration '${args[0] as string}' ignored: no module is loaded.`);
    } else if (name === 'sentinel') {
      if (args.length > 1) queue.push({ args: args.slice(1), lineNo: l.lineNo, line });
    } else {
      fail('Bad directive or wrong number of arguments', badDirectiveHint(name, args.length - 1));
    }
  }

  const sentinel = defaultSentinelGlobals();
  const masters: MasterConfig[] = [];
  // Sentinel directives run after every generic line, in the final `dir` (see ParseOptions.cwd).
  const scriptDir = effectiveDir ?? opts.cwd;
  const check = opts.isExecutable;
  const isExecutable =
    check === undefined || scriptDir === undefined ? check : (p: string) => check(resolvePath(scriptDir, p));
  const ctx: SentinelCtx = { sentinel, masters, isExecutable, renamed: new Map() };
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

  const config: SentinelConfig = { server, sentinel, masters };
  return { lines, config, warnings };
}

function classify(raw: string, lineNo: number, source: 'file' | 'argv'): ConfigLine {
  const t = trimRedis(raw);
  if (t === '') return { lineNo, raw, args: [], kind: 'blank', source };
  if (t.startsWith('#')) return { lineNo, raw, args: [], kind: 'comment', source };
  return { lineNo, raw, args: splitArgs(t) ?? [], kind: 'directive', source };
}

function badDirectiveHint(name: string, nargs: number): string {
  if (name === 'include' || name === 'rename-command' || name === 'user' || name === 'loadmodule') {
    const usage: Record<string, string> = {
      include: 'include <path>',
      'rename-command': 'rename-command <command> <new-name>',
      user: 'user <username> [rules...]',
      loadmodule: 'loadmodule <path> [args...]',
    };
    return `wrong number of arguments (${nargs}); usage: ${usage[name] ?? name}`;
  }
  const near = [...SPECS.keys(), 'sentinel', 'user', 'include', 'rename-command'].find(
    (k) => k.replace(/[-_]/g, '') === name.replace(/[-_]/g, ''),
  );
  if (near !== undefined) return `did you mean '${near}'?`;
  return `'${name}' is not a directive redis-sentinel 7.0.15 knows: check the spelling or remove the line`;
}

function applyGeneric(
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

interface SentinelCtx {
  sentinel: SentinelGlobals;
  masters: MasterConfig[];
  isExecutable: ((path: string) => boolean) | undefined;
  /** master name → lower-cased renamed command names (Redis's dict is case-insensitive). */
  renamed: Map<string, Set<string>>;
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
