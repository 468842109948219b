// SENTINEL <subcommand> handling: arity, argument validation, exact reply shapes and error texts of Redis
// 7.0.15 (sentinelCommand, sentinel.c:3754-4127), built as `Out` frames (maps flatten to arrays in RESP2).
// Pure: reads and mutates the core, returns frames; effects are drained by the caller.
import type { MasterConfig } from '../config/types.js';
import type { Out } from '../resp/types.js';
import { globMatch } from './glob.js';
import type { Instance } from './instance.js';
import { isIpAddress } from './sentinel.js';
import type { SentinelCore } from './sentinel.js';
import { debugKeys, levelRank } from './types.js';
import type { LogLevel } from './types.js';

const bulk = (v: string | number): Out => ({ t: 'bulk', v: String(v) });
const err = (v: string): Out => ({ t: 'error', v });
const ok: Out = { t: 'simple', v: 'OK' };
const int = (v: number): Out => ({ t: 'int', v });
const arr = (v: Out[]): Out => ({ t: 'array', v });
const map = (pairs: Array<[string, Out]>): Out => ({ t: 'map', v: pairs.map(([k, v]) => [bulk(k), v]) });

export const ERR_NO_SUCH_MASTER = 'ERR No such master with that name';
export const ERR_NOT_INTEGER = 'ERR value is not an integer or out of range';

/** Arity as in src/commands/sentinel*.json (negative = at least). Counted including the word SENTINEL. */
const ARITY: Record<string, number> = {
  ckquorum: 3,
  failover: 3,
  'get-master-addr-by-name': 3,
  master: 3,
  remove: 3,
  replicas: 3,
  slaves: 3,
  reset: 3,
  sentinels: 3,
  config: -3,
  'info-cache': -3,
  'simulate-failure': -3,
  debug: -2,
  flushconfig: 2,
  masters: 2,
  myid: 2,
  'pending-scripts': 2,
  help: 2,
  'is-master-down-by-addr': 6,
  monitor: 6,
  set: -5,
};

/**
 * Valkey 8's names, accepted alongside Redis's (`SENTINEL PRIMARY mymaster` = `SENTINEL MASTER mymaster`); the
 * reply is Redis 7.0's, and so is an arity error (it names `sentinel|master`). Not listed in HELP (Redis 7.0's text). The server's command table keeps the same map
 * (SENTINEL_SUBCOMMAND_ALIASES in src/server/command-table.ts) so COMMAND stays Redis 7.0's.
 */
export const SUBCOMMAND_ALIASES: Readonly<Record<string, string>> = {
  primary: 'master',
  primaries: 'masters',
  'get-primary-addr-by-name': 'get-master-addr-by-name',
  'is-primary-down-by-addr': 'is-master-down-by-addr',
};

/** Redis 7.0's subcommands with their arity, for the command table's consistency test. */
export const SUBCOMMAND_ARITY: Readonly<Record<string, number>> = ARITY;

const HELP_LINES = [
  'SENTINEL <subcommand> [<arg> [value] [opt] ...]. Subcommands are:',
  'CKQUORUM <master-name>',
  '    Check if the current Sentinel configuration is able to reach the quorum',
  '    needed to failover a master and the majority needed to authorize the',
  '    failover.',
  'CONFIG SET <param> <value>',
  '    Set a global Sentinel configuration parameter.',
  'CONFIG GET <param>',
  '    Get global Sentinel configuration parameter.',
  'DEBUG [<param> <value> ...]',
  '    Show a list of configurable time parameters and their values (milliseconds).',
  '    Or update current configurable parameters values (one or more).',
  'GET-MASTER-ADDR-BY-NAME <master-name>',
  '    Return the ip and port number of the master with that name.',
  'FAILOVER <master-name>',
  '    Manually failover a master node without asking for agreement from other',
  '    Sentinels',
  'FLUSHCONFIG',
  '    Force Sentinel to rewrite its configuration on disk, including the current',
  '    Sentinel state.',
  'INFO-CACHE <master-name>',
  '    Return last cached INFO output from masters and all its replicas.',
  'IS-MASTER-DOWN-BY-ADDR <ip> <port> <current-epoch> <runid>',
  "    Check if the master specified by ip:port is down from current Sentinel's",
  '    point of view.',
  'MASTER <master-name>',
  '    Show the state and info of the specified master.',
  'MASTERS',
  '    Show a list of monitored masters and their state.',
  'MONITOR <name> <ip> <port> <quorum>',
  '    Start monitoring a new master with the specified name, ip, port and quorum.',
  'MYID',
  '    Return the ID of the Sentinel instance.',
  'PENDING-SCRIPTS',
  '    Get pending scripts information.',
  'REMOVE <master-name>',
  "    Remove master from Sentinel's monitor list.",
  'REPLICAS <master-name>',
  '    Show a list of replicas for this master and their state.',
  'RESET <pattern>',
  '    Reset masters for specific master name matching this pattern.',
  'SENTINELS <master-name>',
  '    Show a list of Sentinel instances for this master and their state.',
  'SET <master-name> <option> <value> [<option> <value> ...]',
  '    Set configuration parameters for certain masters.',
  'SIMULATE-FAILURE [CRASH-AFTER-ELECTION] [CRASH-AFTER-PROMOTION] [HELP]',
  '    Simulate a Sentinel crash.',
  'HELP',
  '    Prints this help.',
];

function parseLong(s: string): number | null {
  if (!/^-?\d+$/.test(s)) return null;
  if (s.length > 1 && s.startsWith('0')) return null;
  if (s.startsWith('-0')) return null;
  const n = Number(s);
  return Number.isSafeInteger(n) ? n : null;
}

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
  const typed = subRaw.toLowerCase();
  const sub = SUBCOMMAND_ALIASES[typed] ?? typed;
  const arity = ARITY[sub];
  if (arity === undefined) return err(`ERR unknown subcommand '${subRaw}'. Try SENTINEL HELP.`);
  const argc = args.length + 1;
  // Valkey 9's `SENTINEL FAILOVER <name> COORDINATED`; any other extra word keeps Redis 7.0's arity error.
  const coordinated = sub === 'failover' && argc === 4 && (args[2] ?? '').toLowerCase() === 'coordinated';
  if (!coordinated && ((arity > 0 && argc !== arity) || (arity < 0 && argc < -arity))) {
    return err(`ERR wrong number of arguments for 'sentinel|${sub}' command`);
  }
  const a = (i: number): string => args[i] ?? '';
  const getMaster = (name: string): Instance | null => core.masters.get(name) ?? null;

  switch (sub) {
    case 'masters':
      return arr([...core.masters.values()].map((m) => instanceRecord(core, m)));
    case 'master': {
      const m = getMaster(a(1));
      return m ? instanceRecord(core, m) : err(ERR_NO_SUCH_MASTER);
    }
    case 'slaves':
    case 'replicas': {
      const m = getMaster(a(1));
      if (!m) return err(ERR_NO_SUCH_MASTER);
      return arr([...m.replicas.values()].filter((r) => r.replicaAnnounced !== 0).map((r) => instanceRecord(core, r)));
    }
    case 'sentinels': {
      const m = getMaster(a(1));
      if (!m) return err(ERR_NO_SUCH_MASTER);
      return arr([...m.sentinels.values()].map((s) => instanceRecord(core, s)));
    }
    case 'myid':
      return bulk(core.myid);
    case 'get-master-addr-by-name': {
      const m = getMaster(a(1));
      if (!m) return { t: 'nullarray' };
      // A fenced master is not named as writable: Sentinel-aware clients ask the next sentinel (Vigil).
      if (m.fenceActive) return { t: 'nullarray' };
      const addr = core.currentMasterAddr(m);
      return arr([bulk(core.announceAddr(addr.host)), bulk(addr.port)]);
    }
    case 'is-master-down-by-addr': {
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
    case 'reset': {
      let n = 0;
      for (const m of [...core.masters.values()]) {
        if (globMatch(a(1), m.name)) {
          core.resetMaster(m, { sentinels: true, event: true });
          n++;
        }
      }
      return int(n);
    }
    case 'failover': {
      // COORDINATED (Valkey 9) asks for what every Vigil manual failover already does when the master is
      // reachable: writes paused, the chosen replica caught up, then promotion (SentinelCore.failoverCatchUp).
      const m = getMaster(a(1));
      if (!m) return err(ERR_NO_SUCH_MASTER);
      if (m.failoverInProgress) return err('INPROG Failover already in progress');
      if (core.selectSlave(m) === null) return err('NOGOODSLAVE No suitable replica to promote');
      core.forceFailover(m);
      return ok;
    }
    case 'pending-scripts':
      return ctx.pendingScripts ? ctx.pendingScripts() : arr([]);
    case 'monitor':
      return monitorCommand(core, args);
    case 'flushconfig':
      core.flush();
      return ok;
    case 'remove': {
      const m = getMaster(a(1));
      if (!m) return err(ERR_NO_SUCH_MASTER);
      core.removeMaster(m);
      return ok;
    }
    case 'ckquorum': {
      const m = getMaster(a(1));
      if (!m) return err(ERR_NO_SUCH_MASTER);
      let usable = 1;
      for (const s of m.sentinels.values()) if (!s.sdown && !s.odown) usable++;
      const voters = m.sentinels.size + 1;
      const problems: string[] = [];
      if (usable < m.quorum)
        problems.push('Not enough available Sentinels to reach the specified quorum for this master');
      if (usable < Math.floor(voters / 2) + 1)
        problems.push('Not enough available Sentinels to reach the majority and authorize a failover');
      if (problems.length > 0) return err(`NOQUORUM ${usable} usable Sentinels. ${problems.join('. ')}`);
      return { t: 'simple', v: `OK ${usable} usable Sentinels. Quorum and failover authorization can be reached` };
    }
    case 'set':
      return setCommand(core, args);
    case 'config':
      return configCommand(core, args, ctx);
    case 'info-cache': {
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
    case 'simulate-failure': {
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
    case 'debug': {
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
    case 'help':
      return arr(HELP_LINES.map((l) => ({ t: 'simple', v: l })));
    default:
      return err(`ERR unknown subcommand '${subRaw}'. Try SENTINEL HELP.`);
  }
}

function monitorCommand(core: SentinelCore, args: string[]): Out {
  const [, name = '', host = '', portS = '', quorumS = ''] = args;
  const quorum = parseLong(quorumS);
  if (quorum === null) return err('ERR Invalid quorum');
  const port = parseLong(portS);
  if (port === null) return err('ERR Invalid port');
  if (quorum <= 0) return err('ERR Quorum must be 1 or greater.');
  if (!core.resolveHostnames && !isIpAddress(host)) return err('ERR Invalid IP address or hostname specified');
  if (port < 0 || port > 65535) return err('ERR Invalid port number.');
  if (core.masters.has(name)) return err('ERR Duplicate master name.');
  const mc: MasterConfig = {
    name,
    host,
    port,
    quorum,
    downAfterMs: core.timings.defaultDownAfterMs,
    failoverTimeoutMs: core.timings.defaultFailoverTimeoutMs,
    parallelSyncs: 1,
    masterRebootDownAfterPeriodMs: 0,
    renamedCommands: [],
    configEpoch: 0,
    leaderEpoch: 0,
    knownReplicas: [],
    knownSentinels: [],
  };
  core.monitor(mc);
  return ok;
}

function setCommand(core: SentinelCore, args: string[]): Out {
  const m = core.masters.get(args[1] ?? '');
  if (!m) return err(ERR_NO_SUCH_MASTER);
  let changes = 0;
  const finish = (reply: Out): Out => {
    if (changes > 0) core.flush();
    return reply;
  };
  for (let j = 2; j < args.length; j++) {
    const moreargs = args.length - 1 - j;
    const option = args[j] ?? '';
    const lo = option.toLowerCase();
    const oldJ = j;
    const badArg = (idx: number): Out =>
      finish(err(`ERR Invalid argument '${args[idx] ?? ''}' for SENTINEL SET '${option}'`));
    if (lo === 'down-after-milliseconds' && moreargs > 0) {
      const v = parseLong(args[++j] ?? '');
      if (v === null || v <= 0) return badArg(j);
      core.setDownAfter(m, v);
      changes++;
    } else if (lo === 'failover-timeout' && moreargs > 0) {
      const v = parseLong(args[++j] ?? '');
      if (v === null || v <= 0) return badArg(j);
      m.failoverTimeoutMs = v;
      changes++;
    } else if (lo === 'parallel-syncs' && moreargs > 0) {
      const v = parseLong(args[++j] ?? '');
      if (v === null || v <= 0) return badArg(j);
      m.parallelSyncs = v;
      changes++;
    } else if ((lo === 'notification-script' || lo === 'client-reconfig-script') && moreargs > 0) {
      const value = args[++j] ?? '';
      if (core.denyScriptsReconfig) {
        return finish(
          err(
            'ERR Reconfiguration of scripts path is denied for security reasons. Check the deny-scripts-reconfig configuration directive in your Sentinel configuration',
          ),
        );
      }
      if (value.length > 0 && !core.isExecutable(value)) {
        return finish(
          err(
            lo === 'notification-script'
              ? 'ERR Notification script seems non existing or non executable'
              : 'ERR Client reconfiguration script seems non existing or non executable',
          ),
        );
      }
      const v = value.length > 0 ? value : undefined;
      if (lo === 'notification-script') m.notificationScript = v;
      else m.clientReconfigScript = v;
      changes++;
    } else if (lo === 'auth-pass' && moreargs > 0) {
      const value = args[++j] ?? '';
      m.authPass = value.length > 0 ? value : undefined;
      core.dropInstanceConnections(m);
      changes++;
    } else if (lo === 'auth-user' && moreargs > 0) {
      const value = args[++j] ?? '';
      m.authUser = value.length > 0 ? value : undefined;
      core.dropInstanceConnections(m);
      changes++;
    } else if (lo === 'quorum' && moreargs > 0) {
      const v = parseLong(args[++j] ?? '');
      if (v === null || v <= 0) return badArg(j);
      m.quorum = v;
      changes++;
    } else if (lo === 'rename-command' && moreargs > 1) {
      const oldName = args[++j] ?? '';
      const newName = args[++j] ?? '';
      if (oldName.length === 0 || newName.length === 0) return badArg(oldName.length === 0 ? j - 1 : j);
      if (oldName.toLowerCase() === newName.toLowerCase()) m.renames.delete(oldName.toLowerCase());
      else m.renames.set(oldName.toLowerCase(), { command: oldName, renamed: newName });
      changes++;
    } else if (
      (lo === 'master-reboot-down-after-period' || lo === 'primary-reboot-down-after-period') &&
      moreargs > 0
    ) {
      const v = parseLong(args[++j] ?? '');
      if (v === null || v < 0) return badArg(j);
      m.masterRebootDownAfterPeriodMs = v;
      changes++;
    } else if ((lo === 'vigil-fencing' || lo === 'vigil-empty-master-failover') && moreargs > 0) {
      const v = (args[++j] ?? '').toLowerCase();
      if (v !== 'yes' && v !== 'no') return badArg(j);
      if (lo === 'vigil-fencing') m.vigilFencing = v === 'yes';
      else m.vigilEmptyMasterFailover = v === 'yes';
      changes++;
    } else if (lo === 'vigil-fence-delay' && moreargs > 0) {
      const v = parseLong(args[++j] ?? '');
      if (v === null || v < 0) return badArg(j);
      m.vigilFenceDelayMs = v;
      changes++;
    } else {
      return finish(err(`ERR Unknown option or number of arguments for SENTINEL SET '${option}'`));
    }
    const vals = args.slice(oldJ + 1, j + 1);
    if (lo === 'auth-pass') vals[0] = '******';
    core.event('warning', '+set', m, `${core.details(m)} ${option} ${vals.join(' ')}`);
  }
  return finish(ok);
}

const CONFIG_PARAMS = [
  'resolve-hostnames',
  'announce-hostnames',
  'announce-ip',
  'announce-port',
  'sentinel-user',
  'sentinel-pass',
  'loglevel',
];

const LOG_LEVELS = Object.keys(levelRank) as LogLevel[];

function configGetValue(core: SentinelCore, p: string, ctx: CommandContext): Out | null {
  switch (p) {
    case 'resolve-hostnames':
      return bulk(core.resolveHostnames ? 'yes' : 'no');
    case 'announce-hostnames':
      return bulk(core.announceHostnames ? 'yes' : 'no');
    case 'announce-ip':
      return bulk(core.announceIp ?? '');
    case 'announce-port':
      return bulk(core.announcePort);
    case 'sentinel-user':
      return bulk(core.sentinelUser ?? '');
    case 'sentinel-pass':
      return bulk(core.sentinelPass ?? '');
    case 'loglevel':
      return ctx.logLevel ? bulk(ctx.logLevel.get()) : null;
    default:
      return null;
  }
}

/**
 * SENTINEL CONFIG GET <pattern> / SET <param> <value> [<param> <value> ...]. One pair replies exactly as Redis
 * 7.0; several pairs and `loglevel` are Redis 7.2's: every pair is checked before any is applied (a bad one
 * changes nothing), a repeated parameter is an error, and the file is rewritten once.
 */
function configCommand(core: SentinelCore, args: string[], ctx: CommandContext): Out {
  const sub = (args[1] ?? '').toLowerCase();
  if (sub === 'get' && args.length === 3) {
    const pattern = args[2] ?? '';
    const pairs: Array<[string, Out]> = [];
    for (const p of CONFIG_PARAMS) {
      if (!globMatch(pattern, p, true)) continue;
      const v = configGetValue(core, p, ctx);
      if (v !== null) pairs.push([p, v]);
    }
    // A pattern Redis 7.0 answers (`*`) keeps 7.0's reply: `loglevel` (7.2) only shows when asked for alone.
    if (pairs.length > 1) return map(pairs.filter(([p]) => p !== 'loglevel'));
    return map(pairs);
  }
  if (sub === 'set' && args.length >= 4 && args.length % 2 === 0) {
    const apply: Array<() => void> = [];
    const seen = new Set<string>();
    for (let j = 2; j < args.length; j += 2) {
      const param = (args[j] ?? '').toLowerCase();
      const value = args[j + 1] ?? '';
      const badValue = (): Out => err(`ERR Invalid value '${value}' to SENTINEL CONFIG SET '${args[j] ?? ''}'`);
      const yesno = (): boolean | null =>
        value.toLowerCase() === 'yes' ? true : value.toLowerCase() === 'no' ? false : null;
      if (!CONFIG_PARAMS.includes(param) || (param === 'loglevel' && !ctx.logLevel)) {
        return err(`ERR Invalid argument '${args[j] ?? ''}' to SENTINEL CONFIG SET`);
      }
      if (seen.has(param)) return err(`ERR Duplicate argument '${args[j] ?? ''}' to SENTINEL CONFIG SET`);
      seen.add(param);
      switch (param) {
        case 'resolve-hostnames': {
          const v = yesno();
          if (v === null) return badValue();
          apply.push(() => (core.resolveHostnames = v));
          break;
        }
        case 'announce-hostnames': {
          const v = yesno();
          if (v === null) return badValue();
          apply.push(() => (core.announceHostnames = v));
          break;
        }
        case 'announce-ip':
          apply.push(() => (core.announceIp = value.length > 0 ? value : undefined));
          break;
        case 'announce-port': {
          const v = parseLong(value);
          if (v === null || v < 0 || v > 65535) return badValue();
          apply.push(() => (core.announcePort = v));
          break;
        }
        case 'sentinel-user':
          apply.push(() => {
            core.sentinelUser = value.length > 0 ? value : undefined;
            core.dropSentinelConnections();
          });
          break;
        case 'sentinel-pass':
          apply.push(() => {
            core.sentinelPass = value.length > 0 ? value : undefined;
            core.dropSentinelConnections();
          });
          break;
        case 'loglevel': {
          const v = LOG_LEVELS.find((l) => l === value.toLowerCase());
          if (v === undefined) return badValue();
          apply.push(() => ctx.logLevel?.set(v));
          break;
        }
      }
    }
    for (const f of apply) f();
    core.flush();
    return ok;
  }
  return err('ERR Only SENTINEL CONFIG GET <option> / SET <option> <value> are supported.');
}
