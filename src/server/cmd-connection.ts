// PING, AUTH, HELLO: connection-level commands with Redis 7.0 sentinel-mode replies.
import { R } from '../resp/index.js';
import type { Command, Out } from '../resp/index.js';
import type { Handler, ServerCore } from './core.js';
import { ERR, err, errBytes, cstr, wrongArity } from './replies.js';
import type { Session } from './session.js';

export const ping: Handler = (_core, s, argv) => {
  if (argv.length > 2) return wrongArity('ping');
  const msg = argv[1];
  if (s.inRestrictedPubSub) return R.array([R.bulk('pong'), R.bulk(msg ?? '')]);
  return msg === undefined ? R.pong : R.bulk(msg);
};

/** Try to authenticate `s` as user/pass. On failure logs to ACL LOG (object = AUTH/HELLO) as Redis does. */
function tryAuth(core: ServerCore, s: Session, user: string, pass: Buffer, object: string): boolean {
  const u = core.acl.authenticate(user, pass);
  if (!u) {
    core.aclLog(s, 'auth', object, user);
    return false;
  }
  s.userName = u.name;
  s.authenticated = true;
  return true;
}

export const auth: Handler = (core, s, argv) => {
  if (argv.length > 3) return err(ERR.syntax);
  let user = 'default';
  let pass: Buffer;
  if (argv.length === 2) {
    if (core.acl.defaultUser.nopass) return err(ERR.authNoPassword);
    pass = argv[1] ?? Buffer.alloc(0);
  } else {
    user = (argv[1] ?? Buffer.alloc(0)).toString('latin1');
    pass = argv[2] ?? Buffer.alloc(0);
  }
  return tryAuth(core, s, user, pass, 'AUTH') ? R.ok : err(ERR.wrongpass);
};

/** CLIENT SETNAME / HELLO SETNAME rule: bytes '!'..'~' only (no spaces, newlines, specials). */
export function validClientName(name: Buffer): boolean {
  for (const b of name) if (b < 0x21 || b > 0x7e) return false;
  return true;
}

function helloReply(core: ServerCore, s: Session): Out {
  return R.map([
    [R.bulk('server'), R.bulk('redis')],
    [R.bulk('version'), R.bulk(core.options.identity.redisVersion)],
    [R.bulk('proto'), R.int(s.proto)],
    [R.bulk('id'), R.int(s.id)],
    [R.bulk('mode'), R.bulk('sentinel')],
    // Sentinel mode has no `role` field (networking.c helloCommand skips it in sentinel mode).
    [R.bulk('modules'), R.array([])],
  ]);
}

export const hello: Handler = (core, s, argv: Command) => {
  let ver = s.proto as number;
  if (argv.length >= 2) {
    const raw = (argv[1] ?? Buffer.alloc(0)).toString('latin1');
    if (!/^-?\d+$/.test(raw) || raw.length > 20) return err(ERR.protoNotInt);
    ver = Number(raw);
    if (ver < 2 || ver > 3) return err(ERR.noproto);
  }
  let authUser: string | undefined;
  let authPass: Buffer | undefined;
  let setName: Buffer | undefined;
  for (let j = 2; j < argv.length; j++) {
    const opt = (argv[j] ?? Buffer.alloc(0)).toString('latin1');
    const more = argv.length - 1 - j;
    if (opt.toLowerCase() === 'auth' && more >= 2) {
      authUser = (argv[j + 1] ?? Buffer.alloc(0)).toString('latin1');
      authPass = argv[j + 2];
      j += 2;
    } else if (opt.toLowerCase() === 'setname' && more >= 1) {
      setName = argv[j + 1];
      j += 1;
    } else {
      return errBytes(`ERR Syntax error in HELLO option '${cstr(opt)}'`);
    }
  }
  if (authUser !== undefined && authPass !== undefined) {
    if (!tryAuth(core, s, authUser, authPass, 'HELLO')) return err(ERR.wrongpass);
  }
  if (!s.authenticated) return err(ERR.helloNoauth);
  if (setName !== undefined) {
    if (!validClientName(setName)) return err(ERR.badClientName);
    s.name = setName.toString('latin1');
  }
  s.proto = ver === 3 ? 3 : 2;
  return helloReply(core, s);
};
