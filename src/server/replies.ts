// Every fixed reply string of the inbound server in one table, plus builders for the ones that echo client
// bytes (those are built as raw frames so the client's bytes come back unchanged, as Redis does). Pure.
import { R } from '../resp/index.js';
import type { Out } from '../resp/index.js';

export const ERR = {
  noauth: 'NOAUTH Authentication required.',
  helloNoauth:
    'NOAUTH HELLO must be called with the client already authenticated, otherwise the HELLO AUTH <user> <pass> option can be used to authenticate the client and select the RESP protocol version at the same time',
  wrongpass: 'WRONGPASS invalid username-password pair or user is disabled.',
  authNoPassword:
    'ERR AUTH <password> called without any password configured for the default user. Are you sure your configuration is correct?',
  noproto: 'NOPROTO unsupported protocol version',
  protoNotInt: 'ERR Protocol version is not an integer or out of range',
  syntax: 'ERR syntax error',
  notInt: 'ERR value is not an integer or out of range',
  maxClients: 'ERR max number of clients reached',
  badClientName: 'ERR Client names cannot contain spaces, newlines or special characters.',
  noSuchClient: 'ERR No such client',
  invalidClientId: 'ERR Invalid client ID',
  clientIdPositive: 'ERR client-id should be greater than 0',
  pauseTimeout: 'ERR timeout is not an integer or out of range',
  pauseMode: 'ERR CLIENT PAUSE mode must be WRITE or ALL',
  unblockReason: 'ERR CLIENT UNBLOCK reason should be TIMEOUT or ERROR',
  cachingNotTracking:
    'ERR CLIENT CACHING can be called only when the client is in tracking mode with OPTIN or OPTOUT mode enabled',
  cachingYes: 'ERR CLIENT CACHING YES is only valid when tracking is enabled in OPTIN mode.',
  cachingNo: 'ERR CLIENT CACHING NO is only valid when tracking is enabled in OPTOUT mode.',
  invalidCommand: 'ERR Invalid command specified',
  noKeyArgs: 'ERR The command has no key arguments',
  genpass: 'ERR ACL GENPASS argument must be the number of bits for the output password, a positive number up to 4096',
  aclNoFile:
    'ERR This Redis instance is not configured to use an ACL file. You may want to specify users via the ACL SETUSER command and then issue a CONFIG REWRITE (assuming you have a Redis configuration file set) in order to store users in the Redis configuration.',
  deleteDefault: "ERR The 'default' user cannot be removed",
  nopermChannel: 'NOPERM this user has no permissions to access one of the channels used as arguments',
  shutdownFailed: 'ERR Errors trying to SHUTDOWN. Check logs.',
  /** Written before closing when a client connects while protected mode applies (networking.c, 7.0). */
  denied:
    "DENIED Redis is running in protected mode because protected mode is enabled and no password is set for the default user. In this mode connections are only accepted from the loopback interface. If you want to connect from external computers to Redis you may adopt one of the following solutions: 1) Just disable protected mode sending the command 'CONFIG SET protected-mode no' from the loopback interface by connecting to Redis from the same host the server is running, however MAKE SURE Redis is not publicly accessible from internet if you do so. Use CONFIG REWRITE to make this change permanent. 2) Alternatively you can just disable the protected mode by editing the Redis configuration file, and setting the protected mode option to 'no', and then restarting the server. 3) If you started the server manually just for testing, restart it with the '--protected-mode no' option. 4) Setup a an authentication password for the default user. NOTE: You only need to do one of the above things in order for the server to start accepting connections from the outside.",
} as const;

export function err(text: string): Out {
  return R.error(text);
}

/**
 * An error line that contains client bytes. Redis formats these with %s (stops at NUL) and replaces CR/LF by
 * spaces; the bytes are written back as they came (latin1 strings here hold one byte per code unit).
 */
export function errBytes(latin1Text: string): Out {
  const clean = latin1Text.replace(/[\r\n]/g, ' ');
  return R.raw(Buffer.from(`-${clean}\r\n`, 'latin1'));
}

/** C `%.Ns` of a byte string: stops at the first NUL, at most N bytes. */
export function cstr(latin1: string, max = Infinity): string {
  const nul = latin1.indexOf('\0');
  const s = nul === -1 ? latin1 : latin1.slice(0, nul);
  return s.length > max ? s.slice(0, max) : s;
}

/** `-ERR unknown command '<cmd>', with args beginning with: '<a1>' ... ` with Redis's 128-byte truncation. */
export function unknownCommand(argv: readonly string[]): Out {
  let args = '';
  for (let i = 1; i < argv.length && args.length < 128; i++) {
    args += `'${cstr(argv[i] ?? '', 128 - args.length)}' `;
  }
  return errBytes(`ERR unknown command '${cstr(argv[0] ?? '', 128)}', with args beginning with: ${args}`);
}

export function unknownSubcommand(sub: string, container: string): Out {
  return errBytes(`ERR unknown subcommand '${cstr(sub, 128)}'. Try ${container.toUpperCase()} HELP.`);
}

export function wrongArity(fullName: string): Out {
  return err(`ERR wrong number of arguments for '${fullName}' command`);
}

export function noperm(fullName: string): Out {
  return err(`NOPERM this user has no permissions to run the '${fullName}' command`);
}

export function subscribedContext(fullName: string): Out {
  return err(
    `ERR Can't execute '${fullName}': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in this context`,
  );
}

/** A help reply: array of simple strings, the first line naming the command. */
export function helpReply(lines: readonly string[]): Out {
  return R.array(lines.map((l) => R.simple(l)));
}
