// SENTINEL <subcommand> handling: arity, argument validation, exact reply shapes and error texts of Redis
// 7.0.15 (sentinelCommand, sentinel.c:3754-4127), built as `Out` frames (maps flatten to arrays in RESP2).
// Pure: reads and mutates the core, returns frames; effects are drained by the caller.
import { normaliseIpv4 } from '../config/ip.js';
import { newMasterConfig } from '../config/master.js';
import type { Out } from '../resp/types.js';
import { globMatch } from './glob.js';
import type { Instance } from './instance.js';
import { isIpAddress } from './sentinel.js';
import type { SentinelCore } from './sentinel.js';
import { ERR_NO_SUCH_MASTER, configCommand, parseLong, setCommand } from './commands-config.js';
import { debugKeys } from './types.js';
import type { LogLevel } from './types.js';

const bulk = (v: string | number): Out => ({ t: 'bulk', v: String(v) });
const err = (v: string): Out => ({ t: 'error', v });
const ok: Out = { t: 'simple', v: 'OK' };
const int = (v: number): Out => ({ t: 'int', v });
const arr = (v: Out[]): Out => ({ t: 'array', v });
const map = (pairs: Array<[string, Out]>): Out => ({ t: 'map', v: pairs.map(([k, v]) => [bulk(k), v]) });

const ERR_NOT_INTEGER = 'ERR value is not an integer or out of range';

/** A subcommand's handler: `args` is argv after the word SENTINEL (args[0] = the subcommand), arity checked. */
type SubcommandHandler = (core: SentinelCore, args: string[], ctx: CommandContext) => Out;

/**
 * One SENTINEL subcommand: the one place to declare it (docs/server.md, "Adding a SENTINEL subcommand"). The
 * server's command table (flags, ACL categories, COMMAND DOCS) is captured from a real redis-sentinel by
 * scripts/gen-command-data.mjs; test/unit/command-table.test.ts fails when this table and that data disagree
 * (a name in one only, or another arity), which is what would otherwise surface as a silent "unknown subcommand".
 */
export interface SentinelSubcommand {
  /** Lowercase, as COMMAND names it after `sentinel|`. */
  readonly name: string;
  /** Redis arity counted including the word SENTINEL: N = exactly N, -N = at least N. */
  readonly arity: number;
  /** Its lines in SENTINEL HELP (Redis 7.0's text), which lists subcommands in this table's order; [] = unlisted. */
  readonly help: readonly string[];
  readonly handler: SubcommandHandler;
  /**
   * Valkey 8's names for it, run (and ACL-checked) as this subcommand; the reply and an arity error are Redis
   * 7.0's (the error names `sentinel|master`). Not in HELP or COMMAND, so those stay Redis 7.0's.
   */
  readonly aliases?: readonly string[];
  /** Argument lists the Redis 7.0 arity rejects but this subcommand takes (same `args` as the handler). */
  readonly alsoAccepts?: (args: readonly string[]) => boolean;
}

/** The subcommands, in SENTINEL HELP order. */
export const SENTINEL_SUBCOMMANDS: readonly SentinelSubcommand[] = [
  {
    name: 'ckquorum',
    arity: 3,
    help: [
      'CKQUORUM <master-name>',
      '    Check if the current Sentinel configuration is able to reach the quorum',
      '    needed to failover a master and the majority needed to authorize the',
      '    failover.',
    ],
    handler: ckquorumCommand,
  },
  {
    name: 'config',
    arity: -3,
    help: [
      'CONFIG SET <param> <value>',
      '    Set a global Sentinel configuration parameter.',
      'CONFIG GET <param>',
      '    Get global Sentinel configuration parameter.',
    ],
    handler: configCommand,
  },
  {
    name: 'debug',
    arity: -2,
    help: [
      'DEBUG [<param> <value> ...]',
      '    Show a list of configurable time parameters and their values (milliseconds).',
      '    Or update current configurable parameters values (one or more).',
    ],
    handler: debugCommand,
  },
  {
    name: 'get-master-addr-by-name',
    arity: 3,
    help: ['GET-MASTER-ADDR-BY-NAME <master-name>', '    Return the ip and port number of the master with that name.'],
    handler: getMasterAddrCommand,
    aliases: ['get-primary-addr-by-name'],
  },
  {
    name: 'failover',
    arity: 3,
    help: [
      'FAILOVER <master-name>',
      '    Manually failover a master node without asking for agreement from other',
      '    Sentinels',
    ],
    handler: failoverCommand,
    // Valkey 9's `SENTINEL FAILOVER <name> COORDINATED`; any other extra word keeps Redis 7.0's arity error.
    alsoAccepts: (args) => args.length === 3 && (args[2] ?? '').toLowerCase() === 'coordinated',
  },
  {
    name: 'flushconfig',
    arity: 2,
    help: [
      'FLUSHCONFIG',
      '    Force Sentinel to rewrite its configuration on disk, including the current',
      '    Sentinel state.',
    ],
    handler: flushconfigCommand,
  },
  {
    name: 'info-cache',
    arity: -3,
    help: ['INFO-CACHE <master-name>', '    Return last cached INFO output from masters and all its replicas.'],
    handler: infoCacheCommand,
  },
  {
    name: 'is-master-down-by-addr',
    arity: 6,
    help: [
      'IS-MASTER-DOWN-BY-ADDR <ip> <port> <current-epoch> <runid>',
      "    Check if the master specified by ip:port is down from current Sentinel's",
      '    point of view.',
    ],
    handler: isMasterDownCommand,
    aliases: ['is-primary-down-by-addr'],
  },
  {
    name: 'master',
    arity: 3,
    help: ['MASTER <master-name>', '    Show the state and info of the specified master.'],
    handler: masterCommand,
    aliases: ['primary'],
  },
  {
    name: 'masters',
    arity: 2,
    help: ['MASTERS', '    Show a list of monitored masters and their state.'],
    handler: mastersCommand,
    aliases: ['primaries'],
  },
  {
    name: 'monitor',
    arity: 6,
    help: [
      'MONITOR <name> <ip> <port> <quorum>',
      '    Start monitoring a new master with the specified name, ip, port and quorum.',
    ],
    handler: monitorCommand,
  },
  {
    name: 'myid',
    arity: 2,
    help: ['MYID', '    Return the ID of the Sentinel instance.'],
    handler: myidCommand,
  },
  {
    name: 'pending-scripts',
    arity: 2,
    help: ['PENDING-SCRIPTS', '    Get pending scripts information.'],
    handler: pendingScriptsCommand,
  },
  {
    name: 'remove',
    arity: 3,
    help: ['REMOVE <master-name>', "    Remove master from Sentinel's monitor list."],
    handler: removeCommand,
  },
  {
    name: 'replicas',
    arity: 3,
    help: ['REPLICAS <master-name>', '    Show a list of replicas for this master and their state.'],
    handler: replicasCommand,
  },
  // The old name of REPLICAS; Redis 7.0's HELP does not list it.
  { name: 'slaves', arity: 3, help: [], handler: replicasCommand },
  {
    name: 'reset',
    arity: 3,
    help: ['RESET <pattern>', '    Reset masters for specific master name matching this pattern.'],
    handler: resetCommand,
  },
  {
    name: 'sentinels',
    arity: 3,
    help: ['SENTINELS <master-name>', '    Show a list of Sentinel instances for this master and their state.'],
    handler: sentinelsCommand,
  },
  {
    name: 'set',
    arity: -5,
    help: [
      'SET <master-name> <option> <value> [<option> <value> ...]',
      '    Set configuration parameters for certain masters.',
    ],
    handler: setCommand,
  },
  {
    name: 'simulate-failure',
    arity: -3,
    help: ['SIMULATE-FAILURE [CRASH-AFTER-ELECTION] [CRASH-AFTER-PROMOTION] [HELP]', '    Simulate a Sentinel crash.'],
    handler: simulateFailureCommand,
  },
  { name: 'help', arity: 2, help: ['HELP', '    Prints this help.'], handler: helpCommand },
];

const byName = new Map<string, SentinelSubcommand>();
for (const s of SENTINEL_SUBCOMMANDS) {
  byName.set(s.name, s);
  for (const a of s.aliases ?? []) byName.set(a, s);
}

/** The subcommand `typed` names (any case; Valkey aliases included), or undefined. */
export function lookupSubcommand(typed: string): SentinelSubcommand | undefined {
  return byName.get(typed.toLowerCase());
}

const HELP_LINES = [
  'SENTINEL <subcommand> [<arg> [value] [opt] ...]. Subcommands are:',
  ...SENTINEL_SUBCOMMANDS.flatMap((s) => s.help),
];

/** One instance record (addReplySentinelRedisInstance, sentinel.c:3290). */
export function instanceRecord(core: SentinelCore, ri: Instance): Out {
  const now = core.clock.now();
  const f: Array<[string, Out]> = [
    ['name', bulk(ri.name)],
    ['ip', bulk(core.announceAddr(ri.host))],
    ['port', bulk(ri.port)],
    ['runid', bulk(ri.runId ?? '')],
    ['flags', bulk(ri.flagsString())],
    ['link-pending-commands', bulk(ri.link.pendingCommands)],
    ['link-refcount', bulk(ri.link.refcount)],
  ];
  if (ri.failoverInProgress) f.push(['failover-state', bulk(ri.failoverState)]);
  f.push(['last-ping-sent', bulk(ri.link.actPingAt !== 0 ? now - ri.link.actPingAt : 0)]);
  f.push(['last-ok-ping-reply', bulk(now - ri.link.lastAvailAt)]);
  f.push(['last-ping-reply', bulk(now - ri.link.lastPongAt)]);
  if (ri.sdown) f.push(['s-down-time', bulk(now - ri.sdownSince)]);
  if (ri.odown) f.push(['o-down-time', bulk(now - ri.odownSince)]);
  f.push(['down-after-milliseconds', bulk(ri.downAfterMs)]);
  if (ri.kind !== 'sentinel') {
    f.push(['info-refresh', bulk(ri.infoRefreshAt !== 0 ? now - ri.infoRefreshAt : 0)]);
    f.push(['role-reported', bulk(ri.roleReported)]);
    f.push(['role-reported-time', bulk(now - ri.roleReportedAt)]);
  }
  if (ri.kind === 'master') {
    f.push(['config-epoch', bulk(ri.configEpoch)]);
    f.push(['num-slaves', bulk(ri.replicas.size)]);
    f.push(['num-other-sentinels', bulk(ri.sentinels.size)]);
    f.push(['quorum', bulk(ri.quorum)]);
    f.push(['failover-timeout', bulk(ri.failoverTimeoutMs)]);
    f.push(['parallel-syncs', bulk(ri.parallelSyncs)]);
    if (ri.notificationScript !== undefined) f.push(['notification-script', bulk(ri.notificationScript)]);
    if (ri.clientReconfigScript !== undefined) f.push(['client-reconfig-script', bulk(ri.clientReconfigScript)]);
  }
  if (ri.kind === 'replica') {
    f.push(['master-link-down-time', bulk(ri.masterLinkDownMs)]);
    f.push(['master-link-status', bulk(ri.slaveMasterLinkUp ? 'ok' : 'err')]);
    f.push(['master-host', bulk(ri.slaveMasterHost ?? '?')]);
    f.push(['master-port', bulk(ri.slaveMasterPort)]);
    f.push(['slave-priority', bulk(ri.slavePriority)]);
    f.push(['slave-repl-offset', bulk(ri.slaveReplOffset)]);
    f.push(['replica-announced', bulk(ri.replicaAnnounced)]);
  }
  if (ri.kind === 'sentinel') {
    f.push(['last-hello-message', bulk(now - ri.lastHelloAt)]);
    f.push(['voted-leader', bulk(ri.leader ?? '?')]);
    f.push(['voted-leader-epoch', bulk(ri.leaderEpoch)]);
  }
  return map(f);
}

export interface CommandContext {
  /** Scripts state for PENDING-SCRIPTS (owned by the runtime). */
  pendingScripts?: () => Out;
  /** The process log level, for `SENTINEL CONFIG GET/SET loglevel` (Redis 7.2; owned by the runtime). */
  logLevel?: { get(): LogLevel; set(level: LogLevel): void };
}

/** Handle `SENTINEL <args...>`; args[0] is the subcommand. Effects stay queued in the core (drain them). */
export function sentinelCommand(core: SentinelCore, args: string[], ctx: CommandContext = {}): Out {
  const subRaw = args[0] ?? '';
  const spec = lookupSubcommand(subRaw);
  if (spec === undefined) return err(`ERR unknown subcommand '${subRaw}'. Try SENTINEL HELP.`);
  const argc = args.length + 1;
  const { arity } = spec;
  const arityOk = arity > 0 ? argc === arity : argc >= -arity;
  if (!arityOk && !(spec.alsoAccepts?.(args) ?? false)) {
    return err(`ERR wrong number of arguments for 'sentinel|${spec.name}' command`);
  }
  return spec.handler(core, args, ctx);
}

const getMaster = (core: SentinelCore, name: string | undefined): Instance | null =>
  core.masters.get(name ?? '') ?? null;

function mastersCommand(core: SentinelCore): Out {
  return arr([...core.masters.values()].map((m) => instanceRecord(core, m)));
}

function masterCommand(core: SentinelCore, args: string[]): Out {
  const m = getMaster(core, args[1]);
  return m ? instanceRecord(core, m) : err(ERR_NO_SUCH_MASTER);
}

/** REPLICAS and SLAVES. */
function replicasCommand(core: SentinelCore, args: string[]): Out {
  const m = getMaster(core, args[1]);
  if (!m) return err(ERR_NO_SUCH_MASTER);
  return arr([...m.replicas.values()].filter((r) => r.replicaAnnounced !== 0).map((r) => instanceRecord(core, r)));
}

function sentinelsCommand(core: SentinelCore, args: string[]): Out {
  const m = getMaster(core, args[1]);
  if (!m) return err(ERR_NO_SUCH_MASTER);
  return arr([...m.sentinels.values()].map((s) => instanceRecord(core, s)));
}

function myidCommand(core: SentinelCore): Out {
  return bulk(core.myid);
}

function getMasterAddrCommand(core: SentinelCore, args: string[]): Out {
  const m = getMaster(core, args[1]);
  if (!m) return { t: 'nullarray' };
  // A fenced master is not named as writable: Sentinel-aware clients ask the next sentinel (Vigil).
  if (m.fenceActive) return { t: 'nullarray' };
  const addr = core.currentMasterAddr(m);
  return arr([bulk(core.announceAddr(addr.host)), bulk(addr.port)]);
}

function isMasterDownCommand(core: SentinelCore, args: string[]): Out {
  const a = (i: number): string => args[i] ?? '';
  const port = parseLong(a(2));
  if (port === null) return err(ERR_NOT_INTEGER);
  const reqEpoch = parseLong(a(3));
  if (reqEpoch === null) return err(ERR_NOT_INTEGER);
  const runid = a(4);
  // The asker names the master as it announces it: the configured name or the IP it resolved to.
  const ri =
    [...core.masters.values()].find(
      (m) => (m.host === a(1) || core.announceAddr(m.host) === a(1)) && m.port === port,
    ) ?? null;
  const isDown = !core.tilt && ri !== null && ri.sdown ? 1 : 0;
  let leader: string | null = null;
  let leaderEpoch = 0;
  if (ri && runid !== '*') {
    const v = core.voteLeader(ri, reqEpoch, runid);
    leader = v.leader;
    leaderEpoch = v.leaderEpoch;
  }
  return arr([int(isDown), bulk(leader ?? '*'), int(leaderEpoch)]);
}

function resetCommand(core: SentinelCore, args: string[]): Out {
  let n = 0;
  for (const m of [...core.masters.values()]) {
    if (globMatch(args[1] ?? '', m.name)) {
      core.resetMaster(m, { sentinels: true, event: true });
      n++;
    }
  }
  return int(n);
}

function failoverCommand(core: SentinelCore, args: string[]): Out {
  // COORDINATED (Valkey 9) asks for what every Vigil manual failover already does when the master is
  // reachable: writes paused, the chosen replica caught up, then promotion (SentinelCore.failoverCatchUp).
  const m = getMaster(core, args[1]);
  if (!m) return err(ERR_NO_SUCH_MASTER);
  if (m.failoverInProgress) return err('INPROG Failover already in progress');
  if (core.selectSlave(m) === null) return err('NOGOODSLAVE No suitable replica to promote');
  core.forceFailover(m);
  return ok;
}

function pendingScriptsCommand(_core: SentinelCore, _args: string[], ctx: CommandContext): Out {
  return ctx.pendingScripts ? ctx.pendingScripts() : arr([]);
}

function flushconfigCommand(core: SentinelCore): Out {
  core.flush();
  return ok;
}

function removeCommand(core: SentinelCore, args: string[]): Out {
  const m = getMaster(core, args[1]);
  if (!m) return err(ERR_NO_SUCH_MASTER);
  core.removeMaster(m);
  return ok;
}

function ckquorumCommand(core: SentinelCore, args: string[]): Out {
  const m = getMaster(core, args[1]);
  if (!m) return err(ERR_NO_SUCH_MASTER);
  let usable = 1;
  for (const s of m.sentinels.values()) if (!s.sdown && !s.odown) usable++;
  const voters = m.sentinels.size + 1;
  const problems: string[] = [];
  if (usable < m.quorum) problems.push('Not enough available Sentinels to reach the specified quorum for this master');
  if (usable < Math.floor(voters / 2) + 1)
    problems.push('Not enough available Sentinels to reach the majority and authorize a failover');
  if (problems.length > 0) return err(`NOQUORUM ${usable} usable Sentinels. ${problems.join('. ')}`);
  return { t: 'simple', v: `OK ${usable} usable Sentinels. Quorum and failover authorization can be reached` };
}

function infoCacheCommand(core: SentinelCore, args: string[]): Out {
  const out: Out[] = [];
  const now = core.clock.now();
  const names = args.slice(1);
  const seen = new Set<string>();
  for (const name of names) {
    const m = core.masters.get(name);
    if (!m || seen.has(name)) continue;
    seen.add(name);
    const entry = (ri: Instance): Out =>
      arr([
        int(m.infoRefreshAt !== 0 && ri.infoRefreshAt !== 0 ? now - ri.infoRefreshAt : 0),
        ri.info !== null ? bulk(ri.info) : { t: 'null' },
      ]);
    out.push(bulk(m.name));
    out.push(arr([entry(m), ...[...m.replicas.values()].map(entry)]));
  }
  return arr(out);
}

function simulateFailureCommand(core: SentinelCore, args: string[]): Out {
  // Like Redis, every call starts from no flags (SIMULATE-FAILURE HELP clears them).
  core.simFailure.crashAfterElection = false;
  core.simFailure.crashAfterPromotion = false;
  for (const f of args.slice(1)) {
    const lf = f.toLowerCase();
    if (lf === 'crash-after-election') {
      core.simFailure.crashAfterElection = true;
      core.log(
        'warning',
        'Failure simulation: this Sentinel will crash after being successfully elected as failover leader',
      );
    } else if (lf === 'crash-after-promotion') {
      core.simFailure.crashAfterPromotion = true;
      core.log(
        'warning',
        'Failure simulation: this Sentinel will crash after promoting the selected replica to master',
      );
    } else if (lf === 'help') {
      return arr([bulk('crash-after-election'), bulk('crash-after-promotion')]);
    } else {
      return err('ERR Unknown failure simulation specified');
    }
  }
  return ok;
}

function debugCommand(core: SentinelCore, args: string[]): Out {
  const a = (i: number): string => args[i] ?? '';
  if (args.length === 1) return map(debugKeys.map(([k, field]) => [k, bulk(core.timings[field])]));
  for (let j = 1; j < args.length; j += 2) {
    const key = a(j).toLowerCase();
    const entry = debugKeys.find(([k]) => k.toLowerCase() === key);
    if (!entry || j + 1 >= args.length) {
      return err(`ERR Unknown option or number of arguments for SENTINEL DEBUG '${a(j)}'`);
    }
    const v = parseLong(a(j + 1));
    if (v === null || v <= 0) return err(`ERR Invalid argument '${a(j + 1)}' for SENTINEL DEBUG '${a(j)}'`);
    core.timings[entry[1]] = v;
  }
  return ok;
}

function helpCommand(): Out {
  return arr(HELP_LINES.map((l) => ({ t: 'simple', v: l })));
}

function monitorCommand(core: SentinelCore, args: string[]): Out {
  const [, name = '', given = '', portS = '', quorumS = ''] = args;
  // Redis resolves the address at once: an IPv4 literal in inet_aton form is stored (and answered, and written)
  // as its dotted quad (measured: MONITOR m 127.1 -> 127.0.0.1, m 0 -> 0.0.0.0).
  const host = normaliseIpv4(given) ?? given;
  const quorum = parseLong(quorumS);
  if (quorum === null) return err('ERR Invalid quorum');
  const port = parseLong(portS);
  if (port === null) return err('ERR Invalid port');
  if (quorum <= 0) return err('ERR Quorum must be 1 or greater.');
  if (!core.resolveHostnames && !isIpAddress(host)) return err('ERR Invalid IP address or hostname specified');
  if (port < 0 || port > 65535) return err('ERR Invalid port number.');
  if (core.masters.has(name)) return err('ERR Duplicate master name.');
  const mc = newMasterConfig(name, host, port, quorum, {
    downAfterMs: core.timings.defaultDownAfterMs,
    failoverTimeoutMs: core.timings.defaultFailoverTimeoutMs,
  });
  core.monitor(mc);
  return ok;
}
