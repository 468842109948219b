// CLIENT and its subcommands as a 7.0 sentinel answers them. SETINFO does not exist in 7.0 and is rejected by
// the dispatcher with the unknown-subcommand error, exactly like redis-sentinel 7.0.15 (clients tolerate it).
import { R } from '../resp/index.js';
import type { Out } from '../resp/index.js';
import type { Handler, ServerCore } from './core.js';
import type { SubcommandName } from './command-table.js';
import { validClientName } from './cmd-connection.js';
import { ERR, err, errBytes, helpReply } from './replies.js';
import { trackingOff, type Session } from './session.js';

const CLIENT_HELP = [
  'CLIENT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:',
  'CACHING (YES|NO)',
  '    Enable/disable tracking of the keys for next command in OPTIN/OPTOUT modes.',
  'GETREDIR',
  '    Return the client ID we are redirecting to when tracking is enabled.',
  'GETNAME',
  '    Return the name of the current connection.',
  'ID',
  '    Return the ID of the current connection.',
  'INFO',
  '    Return information about the current client connection.',
  'KILL <ip:port>',
  '    Kill connection made from <ip:port>.',
  'KILL <option> <value> [<option> <value> [...]]',
  '    Kill connections. Options are:',
  '    * ADDR (<ip:port>|<unixsocket>:0)',
  '      Kill connections made from the specified address',
  '    * LADDR (<ip:port>|<unixsocket>:0)',
  '      Kill connections made to specified local address',
  '    * TYPE (NORMAL|MASTER|REPLICA|PUBSUB)',
  '      Kill connections by type.',
  '    * USER <username>',
  '      Kill connections authenticated by <username>.',
  '    * SKIPME (YES|NO)',
  '      Skip killing current connection (default: yes).',
  'LIST [options ...]',
  '    Return information about client connections. Options:',
  '    * TYPE (NORMAL|MASTER|REPLICA|PUBSUB)',
  '      Return clients of specified type.',
  'UNPAUSE',
  '    Stop the current client pause, resuming traffic.',
  'PAUSE <timeout> [WRITE|ALL]',
  '    Suspend all, or just write, clients for <timeout> milliseconds.',
  'REPLY (ON|OFF|SKIP)',
  '    Control the replies sent to the current connection.',
  'SETNAME <name>',
  '    Assign the name <name> to the current connection.',
  'UNBLOCK <clientid> [TIMEOUT|ERROR]',
  '    Unblock the specified blocked client.',
  'TRACKING (ON|OFF) [REDIRECT <id>] [BCAST] [PREFIX <prefix> [...]]',
  '         [OPTIN] [OPTOUT] [NOLOOP]',
  '    Control server assisted client side caching.',
  'TRACKINGINFO',
  '    Report tracking status for the current connection.',
  'NO-EVICT (ON|OFF)',
  '    Protect current client connection from eviction.',
  'HELP',
  '    Prints this help.',
];

type ClientType = 'normal' | 'pubsub' | 'master' | 'replica';

function parseType(t: string): ClientType | undefined {
  switch (t.toLowerCase()) {
    case 'normal':
      return 'normal';
    case 'pubsub':
      return 'pubsub';
    case 'master':
      return 'master';
    case 'replica':
    case 'slave':
      return 'replica';
    default:
      return undefined;
  }
}

function typeOf(s: Session): ClientType {
  return s.subscriptionCount > 0 ? 'pubsub' : 'normal';
}

/** Strictly parsed signed 64-bit-ish integer as Redis's string2ll, or undefined. */
export function parseIntStrict(v: string): number | undefined {
  if (!/^-?(0|[1-9]\d{0,18})$/.test(v)) return undefined;
  const n = Number(v);
  return Number.isSafeInteger(n) ? n : undefined;
}

function textReply(text: string): Out {
  // CLIENT LIST / CLIENT INFO are verbatim strings in RESP3, bulk strings in RESP2.
  return R.verbatim(text, 'txt');
}

function kill(core: ServerCore, s: Session, args: string[]): Out {
  // Old form: CLIENT KILL <ip:port>
  if (args.length === 1) {
    const addr = args[0] ?? '';
    for (const t of core.sessions.values()) {
      if (t.addr === addr) {
        killOne(core, s, t);
        return R.ok;
      }
    }
    return err(ERR.noSuchClient);
  }
  if (args.length % 2 !== 0) return err(ERR.syntax);
  let id: number | undefined;
  let type: ClientType | undefined;
  let addr: string | undefined;
  let laddr: string | undefined;
  let user: string | undefined;
  let skipme = true;
  for (let i = 0; i < args.length; i += 2) {
    const opt = (args[i] ?? '').toLowerCase();
    const val = args[i + 1] ?? '';
    if (opt === 'id') {
      const n = parseIntStrict(val);
      if (n === undefined || n <= 0) return err(ERR.clientIdPositive);
      id = n;
    } else if (opt === 'type') {
      type = parseType(val);
      if (!type) return errBytes(`ERR Unknown client type '${val}'`);
    } else if (opt === 'addr') addr = val;
    else if (opt === 'laddr') laddr = val;
    else if (opt === 'user') {
      if (!core.acl.users.has(val)) return errBytes(`ERR No such user '${val}'`);
      user = val;
    } else if (opt === 'skipme') {
      const l = val.toLowerCase();
      if (l === 'yes') skipme = true;
      else if (l === 'no') skipme = false;
      else return err(ERR.syntax);
    } else return err(ERR.syntax);
  }
  let killed = 0;
  for (const t of [...core.sessions.values()]) {
    if (id !== undefined && t.id !== id) continue;
    if (type !== undefined && typeOf(t) !== type) continue;
    if (addr !== undefined && t.addr !== addr) continue;
    if (laddr !== undefined && t.transport.localAddr !== laddr) continue;
    if (user !== undefined && t.userName !== user) continue;
    if (t === s && skipme) continue;
    killOne(core, s, t);
    killed++;
  }
  return R.int(killed);
}

function killOne(core: ServerCore, self: Session, target: Session): void {
  if (target === self) self.closeAfterReply = true;
  else core.requestClose(target, false);
}

function list(core: ServerCore, s: Session, args: string[]): Out {
  let type: ClientType | undefined;
  let ids: Set<number> | undefined;
  if (args.length > 0) {
    const opt = (args[0] ?? '').toLowerCase();
    if (opt === 'type' && args.length === 2) {
      type = parseType(args[1] ?? '');
      if (!type) return errBytes(`ERR Unknown client type '${args[1] ?? ''}'`);
    } else if (opt === 'id' && args.length >= 2) {
      ids = new Set();
      for (const a of args.slice(1)) {
        const n = parseIntStrict(a);
        if (n === undefined || n <= 0) return err(ERR.invalidClientId);
        ids.add(n);
      }
    } else return err(ERR.syntax);
  }
  let text = '';
  for (const t of core.sessions.values()) {
    if (type !== undefined && typeOf(t) !== type) continue;
    if (ids !== undefined && !ids.has(t.id)) continue;
    text += core.clientInfoLine(t) + '\n';
  }
  void s;
  return textReply(text);
}

function tracking(core: ServerCore, s: Session, args: string[]): Out {
  const onoff = (args[0] ?? '').toLowerCase();
  if (onoff !== 'on' && onoff !== 'off') return err(ERR.syntax);
  let redirect = 0;
  let bcast = false;
  let optin = false;
  let optout = false;
  let noloop = false;
  const prefixes: string[] = [];
  for (let i = 1; i < args.length; i++) {
    const a = (args[i] ?? '').toLowerCase();
    const more = args.length - 1 - i;
    if (a === 'redirect' && more >= 1) {
      if (redirect !== 0) return err('ERR A client can only redirect to a single other client');
      const n = parseIntStrict(args[++i] ?? '');
      if (n === undefined) return err(ERR.notInt);
      redirect = n;
      if (redirect !== s.id && !core.sessions.has(redirect)) {
        return err('ERR The client ID you want redirect to does not exist');
      }
    } else if (a === 'bcast') bcast = true;
    else if (a === 'optin') optin = true;
    else if (a === 'optout') optout = true;
    else if (a === 'noloop') noloop = true;
    else if (a === 'prefix' && more >= 1) prefixes.push(args[++i] ?? '');
    else return err(ERR.syntax);
  }
  if (onoff === 'off') {
    s.tracking = trackingOff();
    return R.ok;
  }
  if (optin && optout) return err("ERR You can't use both OPTIN and OPTOUT");
  if (bcast && (optin || optout)) return err('ERR OPTIN and OPTOUT are not compatible with BCAST');
  if (!bcast && prefixes.length > 0) {
    return err('ERR PREFIX option requires BCAST mode to be enabled');
  }
  s.tracking = { enabled: true, redirect, bcast, optin, optout, noloop, caching: undefined, prefixes };
  return R.ok;
}

export const client: Handler = (core, s, argv, cmd) => {
  const args = argv.slice(2).map((b) => b.toString('latin1'));
  switch (cmd.name as SubcommandName<'client'>) {
    case 'client|help':
      return helpReply(CLIENT_HELP);
    case 'client|id':
      return R.int(s.id);
    case 'client|info':
      return textReply(core.clientInfoLine(s) + '\n');
    case 'client|list':
      return list(core, s, args);
    case 'client|getname':
      return s.name === '' ? R.null : R.bulk(Buffer.from(s.name, 'latin1'));
    case 'client|setname': {
      const name = argv[2] ?? Buffer.alloc(0);
      if (!validClientName(name)) return err(ERR.badClientName);
      s.name = name.toString('latin1');
      return R.ok;
    }
    case 'client|kill':
      return kill(core, s, args);
    case 'client|getredir':
      return R.int(s.tracking.enabled ? s.tracking.redirect : -1);
    case 'client|trackinginfo': {
      const t = s.tracking;
      const flags: string[] = [];
      if (!t.enabled) flags.push('off');
      else {
        flags.push('on');
        if (t.bcast) flags.push('bcast');
        if (t.optin) flags.push('optin');
        if (t.optout) flags.push('optout');
        if (t.caching === 'yes') flags.push('caching-yes');
        if (t.caching === 'no') flags.push('caching-no');
        if (t.noloop) flags.push('noloop');
      }
      return R.map([
        [R.bulk('flags'), R.set(flags.map((f) => R.bulk(f)))],
        [R.bulk('redirect'), R.int(t.enabled ? t.redirect : -1)],
        [R.bulk('prefixes'), R.array(t.prefixes.map((p) => R.bulk(Buffer.from(p, 'latin1'))))],
      ]);
    }
    case 'client|tracking':
      return tracking(core, s, args);
    case 'client|caching': {
      const v = (args[0] ?? '').toLowerCase();
      const t = s.tracking;
      if (!t.enabled || (!t.optin && !t.optout)) return err(ERR.cachingNotTracking);
      if (v === 'yes') {
        if (!t.optin) return err(ERR.cachingYes);
        t.caching = 'yes';
      } else if (v === 'no') {
        if (!t.optout) return err(ERR.cachingNo);
        t.caching = 'no';
      } else return err(ERR.syntax);
      return R.ok;
    }
    case 'client|no-evict': {
      const v = (args[0] ?? '').toLowerCase();
      if (v === 'on') s.noEvict = true;
      else if (v === 'off') s.noEvict = false;
      else return err(ERR.syntax);
      return R.ok;
    }
    case 'client|reply': {
      const v = (args[0] ?? '').toLowerCase();
      if (v === 'on') {
        s.replyMode = 'on';
        s.skipCurrent = false;
        return R.ok;
      }
      if (v === 'off') {
        s.replyMode = 'off';
        return undefined;
      }
      if (v === 'skip') {
        // Skips the *next* command's reply; this one has none either (the dispatcher arms the skip).
        s.replyMode = 'skip';
        return undefined;
      }
      return err(ERR.syntax);
    }
    case 'client|pause': {
      const ms = parseIntStrict(args[0] ?? '');
      if (ms === undefined || ms < 0) return err(ERR.pauseTimeout);
      let all = true;
      if (args.length === 2) {
        const m = (args[1] ?? '').toLowerCase();
        if (m === 'write') all = false;
        else if (m !== 'all') return err(ERR.pauseMode);
      } else if (args.length > 2) return err(ERR.syntax);
      const until = core.options.now() + ms;
      // Like Redis, a new pause never shortens an existing one, and ALL wins over WRITE.
      const cur = core.pause;
      core.pause = {
        untilMs: cur ? Math.max(cur.untilMs, until) : until,
        all: all || (cur?.all ?? false),
      };
      return R.ok;
    }
    case 'client|unpause':
      core.pause = undefined;
      core.onResumeAll?.();
      return R.ok;
    case 'client|unblock': {
      const id = parseIntStrict(args[0] ?? '');
      if (id === undefined) return err(ERR.notInt);
      if (args.length === 2) {
        const r = (args[1] ?? '').toLowerCase();
        if (r !== 'timeout' && r !== 'error') return err(ERR.unblockReason);
      }
      return R.int(0); // nothing ever blocks in sentinel mode
    }
  }
  // Unreachable: resolve() only hands this handler the captured subcommands, all handled above.
  return err(ERR.syntax);
};
