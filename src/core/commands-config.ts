// SENTINEL SET and SENTINEL CONFIG: the subcommands that change configuration, with Redis 7.0.15's argument checks
// and error texts (sentinelSetCommand, sentinel.c; CONFIG pairs and `loglevel` as Redis 7.2). Registered in the
// SENTINEL_SUBCOMMANDS table of commands.ts. Pure: mutates the core, which queues the effects (flush, events).
import type { Out } from '../resp/types.js';
import type { CommandContext } from './commands.js';
import { globMatch } from './glob.js';
import type { SentinelCore } from './sentinel.js';
import { levelRank } from './types.js';
import type { LogLevel } from './types.js';

const bulk = (v: string | number): Out => ({ t: 'bulk', v: String(v) });
const err = (v: string): Out => ({ t: 'error', v });
const ok: Out = { t: 'simple', v: 'OK' };
const map = (pairs: Array<[string, Out]>): Out => ({ t: 'map', v: pairs.map(([k, v]) => [bulk(k), v]) });

export const ERR_NO_SUCH_MASTER = 'ERR No such master with that name';

/** A Redis `long` as string2ll accepts it (no leading zeros, no `-0`, no sign-only), or null. */
export function parseLong(s: string): number | null {
  if (!/^-?\d+$/.test(s)) return null;
  if (s.length > 1 && s.startsWith('0')) return null;
  if (s.startsWith('-0')) return null;
  const n = Number(s);
  return Number.isSafeInteger(n) ? n : null;
}

export function setCommand(core: SentinelCore, args: string[]): Out {
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
export function configCommand(core: SentinelCore, args: string[], ctx: CommandContext): Out {
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
