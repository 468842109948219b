// ServerCore: the socket-free heart of the inbound server. Owns the session table, the ACL, the pub/sub registry,
// the statistics and command dispatch (lookup, arity, auth, ACL, RESP2 subscribed-mode rules, then the handler).
// Sockets, listeners and timers live in server.ts; unit tests drive ServerCore with fake transports.
import type { Command, Out } from '../resp/index.js';
import { Acl } from './acl.js';
import { resolve, type CommandEntry } from './command-table.js';
import type { ClientContext, SentinelEvent, SentinelHost } from './host.js';
import type { ResolvedOptions } from './options.js';
import {
  ERR,
  err,
  errBytes,
  noperm,
  subscribedContext,
  unknownCommand,
  unknownSubcommand,
  wrongArity,
} from './replies.js';
import { Session, type Transport } from './session.js';
import { HANDLERS } from './handlers.js';
import { encode, R } from '../resp/index.js';
import { globMatch } from '../core/glob.js';
import { OUTPUT_HIGH_WATER_BYTES } from './limits.js';

export type HandlerResult = Out | undefined | Promise<Out | undefined>;
export type Handler = (core: ServerCore, s: Session, argv: Command, cmd: CommandEntry) => HandlerResult;

export interface ServerStats {
  totalConnectionsReceived: number;
  totalCommandsProcessed: number;
  totalNetInputBytes: number;
  totalNetOutputBytes: number;
  rejectedConnections: number;
  totalErrorReplies: number;
  totalReadsProcessed: number;
  totalWritesProcessed: number;
  /** Connections closed for exceeding the query buffer or output buffer limits. */
  clientsClosedForLimits: number;
  protocolErrors: number;
  clientRecentMaxInputBuffer: number;
  clientRecentMaxOutputBuffer: number;
  /** Samples for instantaneous_* (Redis keeps 16 samples taken every 100 ms). */
  instantaneousOpsPerSec: number;
  instantaneousInputKbps: number;
  instantaneousOutputKbps: number;
}

const NO_AUTH_FLAG = 'no_auth';
/** Pipeline backpressure: stop reading a client whose queue (waiting on an async reply) passes the high mark. */
export const QUEUE_HIGH_WATER = 1024;
const QUEUE_LOW_WATER = 128;
/** Commands allowed in RESP2 subscribed mode (RESET and SSUBSCRIBE do not exist in sentinel mode). */
const PUBSUB_ALLOWED = new Set(['ping', 'subscribe', 'psubscribe', 'unsubscribe', 'punsubscribe']);
/** Commands whose arguments are channels (checked against the user's channel rules). */
const CHANNEL_COMMANDS: Record<string, { first: number; step: number; last: number; pattern: boolean }> = {
  subscribe: { first: 1, step: 1, last: -1, pattern: false },
  psubscribe: { first: 1, step: 1, last: -1, pattern: true },
  publish: { first: 1, step: 1, last: 1, pattern: false },
};

export class ServerCore {
  readonly acl = new Acl();
  readonly sessions = new Map<number, Session>();
  /** channel -> subscribed sessions (insertion order = subscription order, as Redis delivers). */
  readonly channelSubs = new Map<string, Set<Session>>();
  /** pattern -> subscribed sessions. */
  readonly patternSubs = new Map<string, Set<Session>>();
  readonly stats: ServerStats = {
    totalConnectionsReceived: 0,
    totalCommandsProcessed: 0,
    totalNetInputBytes: 0,
    totalNetOutputBytes: 0,
    rejectedConnections: 0,
    totalErrorReplies: 0,
    totalReadsProcessed: 0,
    totalWritesProcessed: 0,
    clientsClosedForLimits: 0,
    protocolErrors: 0,
    clientRecentMaxInputBuffer: 0,
    clientRecentMaxOutputBuffer: 0,
    instantaneousOpsPerSec: 0,
    instantaneousInputKbps: 0,
    instantaneousOutputKbps: 0,
  };
  readonly startedAtMs: number;
  /** CLIENT PAUSE: until when (ms) and which commands. */
  pause: { untilMs: number; all: boolean } | undefined;
  /** Bound TCP port (INFO tcp_port); set by server.ts after listen. */
  tcpPort: number;
  private nextClientId = 1;
  private readonly unsubscribeHost: () => void;
  /** Called when a session must be closed by the network layer. */
  onCloseRequest: ((s: Session, graceful: boolean) => void) | undefined;
  /** Called when a paused session may continue (CLIENT UNPAUSE / pause expiry). */
  onResumeAll: (() => void) | undefined;

  constructor(
    readonly options: ResolvedOptions,
    readonly host: SentinelHost,
  ) {
    this.startedAtMs = options.now();
    this.tcpPort = options.port;
    if (options.requirepass !== '') this.acl.setRequirePass(options.requirepass);
    for (const line of options.users) this.acl.loadUserLine(splitConfigArgs(line));
    this.unsubscribeHost = host.onEvent((ev) => this.publishEvent(ev));
  }

  dispose(): void {
    this.unsubscribeHost();
  }

  get authRequired(): boolean {
    return !this.acl.defaultUser.nopass || !this.acl.defaultUser.enabled;
  }

  createSession(transport: Transport): Session {
    const s = new Session(this.nextClientId++, transport, this.options.now(), this.authRequired);
    s.onWrite = (bytes, isError) => {
      this.stats.totalNetOutputBytes += bytes;
      this.stats.totalWritesProcessed++;
      if (isError) this.stats.totalErrorReplies++;
    };
    this.sessions.set(s.id, s);
    return s;
  }

  /** Forget a closed session: subscriptions and table entry. */
  removeSession(s: Session): void {
    s.closed = true;
    for (const ch of s.channels) this.dropSub(this.channelSubs, ch, s);
    for (const p of s.patterns) this.dropSub(this.patternSubs, p, s);
    s.channels.clear();
    s.patterns.clear();
    this.sessions.delete(s.id);
  }

  dropSub(map: Map<string, Set<Session>>, key: string, s: Session): void {
    const set = map.get(key);
    if (!set) return;
    set.delete(s);
    if (set.size === 0) map.delete(key);
  }

  clientContext(s: Session): ClientContext {
    return { id: s.id, proto: s.proto, user: s.userName, addr: s.addr };
  }

  /** Ask the network layer to close `s` (after flushing when graceful). */
  requestClose(s: Session, graceful: boolean): void {
    if (s.closed) return;
    if (this.onCloseRequest) this.onCloseRequest(s, graceful);
    else this.removeSession(s);
  }

  isPaused(): boolean {
    const p = this.pause;
    if (!p) return false;
    if (this.options.now() >= p.untilMs) {
      this.pause = undefined;
      return false;
    }
    return p.all;
  }

  // ---- dispatch -------------------------------------------------------------------------------------------

  /** Run every queued command of `s` that can run now, in order; stops at an async one until it settles. */
  drain(s: Session): void {
    while (!s.busy && !s.closed && s.queue.length > 0) {
      if (this.isPaused()) return; // resumed by onResumeAll / the pause timer in server.ts
      if (s.transport.pendingBytes > OUTPUT_HIGH_WATER_BYTES) {
        // The client is not reading its replies: run nothing more and read nothing more until the socket
        // drains (server.ts calls drain again then).
        if (!s.outputPaused) {
          s.outputPaused = true;
          s.transport.pause();
        }
        return;
      }
      const argv = s.queue.shift();
      if (!argv) break;
      let res: Out | undefined | Promise<Out | undefined>;
      try {
        res = this.execute(s, argv);
      } catch (e) {
        // A bug in a handler or in the host must cost one error reply, never the process.
        this.options.logger('warning', `command failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
        res = err('ERR internal error');
      }
      if (res instanceof Promise) {
        s.busy = true;
        res.then(
          (out) => this.finish(s, out),
          (e: unknown) => {
            this.options.logger('warning', `command failed: ${e instanceof Error ? e.message : String(e)}`);
            this.finish(s, err('ERR internal error'));
          },
        );
        return;
      }
      this.finish(s, res, true);
    }
    if (s.readPaused && s.queue.length < QUEUE_LOW_WATER) {
      s.readPaused = false;
      if (!s.outputPaused) s.transport.resume();
    }
    if (s.closed || s.busy || s.queue.length > 0) return;
    if (s.protocolError !== undefined) {
      s.replyMode = 'on';
      s.skipCurrent = false;
      s.reply(errBytes(`ERR ${s.protocolError}`));
      this.requestClose(s, true);
      return;
    }
    if (s.closeAfterReply) this.requestClose(s, true);
  }

  private finish(s: Session, out: Out | undefined, sync = false): void {
    if (out !== undefined) {
      s.reply(out);
      this.checkOutputLimit(s);
      if (s.closed) return;
    }
    if (s.skipCurrent) s.skipCurrent = false;
    s.busy = false;
    if (s.closeAfterReply) {
      s.queue.length = 0;
      this.requestClose(s, true);
      return;
    }
    if (!sync) this.drain(s);
  }

  /** One command: the checks processCommand makes, in Redis 7.0's order, then the handler. */
  execute(s: Session, argvBuf: Command): Out | undefined | Promise<Out | undefined> {
    const now = this.options.now();
    s.lastInteractionAtMs = now;
    s.argvBytes = argvBuf.reduce((n, b) => n + b.length, 0);
    // CLIENT REPLY SKIP affects the command after it.
    if (s.replyMode === 'skip') {
      s.replyMode = 'on';
      s.skipCurrent = true;
    }
    const argv = argvBuf.map((b) => b.toString('latin1'));
    const name = (argv[0] ?? '').toLowerCase();
    // QUIT: Redis 7.0 does not know it in sentinel mode; we deliberately answer +OK and close (docs/server.md).
    if (name === 'quit') {
      this.stats.totalCommandsProcessed++;
      s.lastCmd = 'quit';
      s.closeAfterReply = true;
      return R.ok;
    }
    const r = resolve(argv);
    if (r.kind === 'unknown-command') return unknownCommand(argv);
    if (r.kind === 'unknown-subcommand') return unknownSubcommand(argv[1] ?? '', argv[0] ?? '');
    const cmd = r.cmd;
    s.lastCmd = cmd.name;
    if (r.kind === 'arity') return wrongArity(cmd.name);
    if (!s.authenticated && !cmd.flags.includes(NO_AUTH_FLAG)) {
      return cmd.name === 'hello' ? err(ERR.helloNoauth) : err(ERR.noauth);
    }
    const denied = this.checkAcl(s, cmd, argv);
    if (denied) return denied;
    if (s.inRestrictedPubSub && !PUBSUB_ALLOWED.has(cmd.parent ? cmd.parent.name : cmd.name)) {
      return subscribedContext(cmd.name);
    }
    const top = cmd.parent ?? cmd;
    const handler = HANDLERS[top.name];
    if (!handler) return unknownCommand(argv);
    // Like Redis, only commands that reach their implementation count as processed.
    this.stats.totalCommandsProcessed++;
    return handler(this, s, argvBuf, cmd);
  }

  /** ACL check (command bit, then channels); logs denials to ACL LOG. Undefined = allowed. */
  checkAcl(s: Session, cmd: CommandEntry, argv: readonly string[]): Out | undefined {
    const user = this.acl.users.get(s.userName);
    if (!user) return noperm(cmd.name); // user deleted under us (clients are killed on ACL DELUSER)
    const firstArg = cmd.parent ? undefined : argv[1];
    if (!user.canRun(cmd, firstArg)) {
      this.aclLog(s, 'command', cmd.name);
      return noperm(cmd.name);
    }
    const spec = CHANNEL_COMMANDS[cmd.name];
    if (spec && !user.allChannels) {
      const last = spec.last < 0 ? argv.length - 1 : spec.last;
      for (let i = spec.first; i <= last; i += spec.step) {
        const ch = argv[i] ?? '';
        if (!user.canUseChannel(ch, spec.pattern)) {
          this.aclLog(s, 'channel', ch);
          return err(ERR.nopermChannel);
        }
      }
    }
    return undefined;
  }

  aclLog(s: Session, reason: 'auth' | 'command' | 'channel', object: string, username = s.userName): void {
    this.acl.addLog({ reason, context: 'toplevel', object, username, clientInfo: '' }, this.options.now());
    const first = this.acl.log[0];
    if (first) first.clientInfo = this.clientInfoLine(s);
  }

  // ---- pub/sub --------------------------------------------------------------------------------------------

  /** Fan a sentinel event out to channel subscribers, then pattern subscribers (Redis's order). */
  publishEvent(ev: SentinelEvent): number {
    // Subscriptions are keyed by latin1 strings of the client's bytes; events arrive as JS (UTF-8) strings.
    const channel = Buffer.from(ev.channel, 'utf8').toString('latin1');
    const chBuf = Buffer.from(ev.channel, 'utf8');
    const payload = Buffer.from(ev.payload, 'utf8');
    let receivers = 0;
    const subs = this.channelSubs.get(channel);
    if (subs && subs.size > 0) {
      const frame = [R.bulk('message'), R.bulk(chBuf), R.bulk(payload)];
      const enc2 = encode(R.push(frame), 2);
      const enc3 = encode(R.push(frame), 3);
      for (const s of subs) {
        s.writeEncoded(s.proto === 3 ? enc3 : enc2);
        receivers++;
        this.checkOutputLimit(s);
      }
    }
    for (const [pattern, set] of this.patternSubs) {
      if (!globMatch(pattern, channel)) continue;
      const frame = [R.bulk('pmessage'), R.bulk(Buffer.from(pattern, 'latin1')), R.bulk(chBuf), R.bulk(payload)];
      const enc2 = encode(R.push(frame), 2);
      const enc3 = encode(R.push(frame), 3);
      for (const s of set) {
        s.writeEncoded(s.proto === 3 ? enc3 : enc2);
        receivers++;
        this.checkOutputLimit(s);
      }
    }
    return receivers;
  }

  /** client-output-buffer-limit: hard limit closes at once, soft limit after it has held for softMs. */
  checkOutputLimit(s: Session): void {
    if (s.closed) return;
    const limit = s.subscriptionCount > 0 ? this.options.pubsubOutputLimit : this.options.normalOutputLimit;
    const pending = s.transport.pendingBytes;
    if (pending > this.stats.clientRecentMaxOutputBuffer) this.stats.clientRecentMaxOutputBuffer = pending;
    const now = this.options.now();
    let over = false;
    if (limit.hardBytes > 0 && pending >= limit.hardBytes) over = true;
    if (limit.softBytes > 0 && pending >= limit.softBytes) {
      if (s.softLimitSinceMs === 0) s.softLimitSinceMs = now;
      else if (now - s.softLimitSinceMs >= limit.softMs) over = true;
    } else {
      s.softLimitSinceMs = 0;
    }
    if (over) {
      this.stats.clientsClosedForLimits++;
      this.options.logger(
        'warning',
        `Client id=${s.id} addr=${s.addr} scheduled to be closed ASAP for overcoming of output buffer limits.`,
      );
      this.requestClose(s, false);
    }
  }

  // ---- CLIENT LIST -------------------------------------------------------------------------------------------

  clientInfoLine(s: Session): string {
    const now = this.options.now();
    let flags = '';
    if (s.subscriptionCount > 0) flags += 'P';
    if (s.tracking.enabled) flags += 't';
    if (s.closeAfterReply) flags += 'c';
    if (s.noEvict) flags += 'e';
    if (flags === '') flags = 'N';
    const omem = s.transport.pendingBytes;
    const fields = [
      `id=${s.id}`,
      `addr=${s.addr}`,
      `laddr=${s.transport.localAddr}`,
      `fd=${s.id + 7}`,
      `name=${s.name}`,
      `age=${Math.floor((now - s.createdAtMs) / 1000)}`,
      `idle=${Math.floor((now - s.lastInteractionAtMs) / 1000)}`,
      `flags=${flags}`,
      'db=0',
      `sub=${s.channels.size}`,
      `psub=${s.patterns.size}`,
      'ssub=0',
      'multi=-1',
      `qbuf=${s.queryBufferBytes}`,
      'qbuf-free=0',
      `argv-mem=${s.argvBytes}`,
      'multi-mem=0',
      'rbs=0',
      'rbp=0',
      `obl=0`,
      `oll=0`,
      `omem=${omem}`,
      `tot-mem=${s.queryBufferBytes + s.argvBytes + omem}`,
      `events=${omem > 0 ? 'rw' : 'r'}`,
      `cmd=${s.lastCmd}`,
      `user=${s.userName}`,
      `redir=${s.tracking.enabled ? s.tracking.redirect : -1}`,
      `resp=${s.proto}`,
    ];
    return fields.join(' ');
  }
}

/** Split a config line the way Redis's sdssplitargs does for the common cases (quotes, escapes). */
function splitConfigArgs(line: string): string[] {
  const out: string[] = [];
  let i = 0;
  while (i < line.length) {
    while (i < line.length && /\s/.test(line[i] ?? '')) i++;
    if (i >= line.length) break;
    let cur = '';
    const q = line[i];
    if (q === '"' || q === "'") {
      i++;
      while (i < line.length && line[i] !== q) {
        if (q === '"' && line[i] === '\\' && i + 1 < line.length) {
          i++;
          const c = line[i];
          cur += c === 'n' ? '\n' : c === 'r' ? '\r' : c === 't' ? '\t' : (c ?? '');
        } else cur += line[i];
        i++;
      }
      i++;
    } else {
      while (i < line.length && !/\s/.test(line[i] ?? '')) cur += line[i++];
    }
    out.push(cur);
  }
  return out;
}
