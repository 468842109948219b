// The one outbound RESP client. One transport with two faces: `Link` (callbacks; the sentinel's links to
// monitored servers and peer sentinels, Redis's instanceLink cc/pc) and `RespConn` (promises; the cluster tools
// and the proxy's control plane), a thin layer over a Link. Shell code (node:net/tls); it decides nothing.
//
// Contract of the transport (Link):
// - Connects at construction (TCP, or TLS counted up after its handshake; `localAddress` if given) with a
//   connect deadline; onUp once connected.
// - Writes the handshake commands first, then each command it is given, in order; every link's queued commands go
//   out in one write per link from one shared microtask (no write waits beyond the current synchronous batch).
// - Matches replies to commands in FIFO order: a command's reply goes to onReply with its tag; a handshake
//   command's reply is dropped, except that the first error reply to one (AUTH refused, CLIENT SETNAME unknown)
//   goes to onHandshakeError, once per connection: the link carries on, as Redis Sentinel does. Everything else
//   goes to onPush: frames with no command waiting, and after subscribe(), message/pmessage frames always.
// - Decodes under LINK_LIMITS: malformed RESP or an oversized reply closes this connection only (kind 'protocol').
// - Contains every socket error; onDown exactly once, unless close() came first (then never); no handler runs
//   after onDown or close(). Hot path (PING/INFO at 200 masters): no allocation per command beyond its encoding.
// RespConn adds a connect promise, AUTH, a deadline per call, SUBSCRIBE confirmations and a message listener; every
// failure of its connection is one RespConnError (code VIGIL_ERR_RESP_CONN) that rejects every waiting call.
import net from 'node:net';
import tls from 'node:tls';
import { ReplyDecoder } from '../resp/decoder.js';
import { encodeCommandText, replyToString } from '../resp/encoder.js';
import { RespErrorReply, RespProtocolError, type Reply } from '../resp/types.js';

/** Why a link went down: the connect deadline, a socket error, a close by the peer, or bad RESP from it. */
export type DownKind = 'connect-timeout' | 'socket' | 'closed' | 'protocol';

export interface LinkHandlers<Tag> {
  /** Connected; `localIp` is our address on this socket, `remoteIp` the address a hostname resolved to. */
  onUp(localIp: string, remoteIp: string): void;
  /**
   * Connection failed or closed (never called after close()). `kind` 'protocol': we closed it because the peer
   * sent malformed RESP or a reply over LINK_LIMITS (worth a log line). `cause`: the error behind it, if any.
   */
  onDown(reason: string, kind: DownKind, cause?: unknown): void;
  /** A reply to a command sent with `send(cmd, tag)` (or each confirmation of a `subscribe`). */
  onReply(tag: Tag, reply: Reply): void;
  /** Frames not matching a command (pub/sub messages, subscribe confirmations of a pub/sub link). */
  onPush(frame: Reply): void;
  /** The first error reply to a handshake command on this connection (`cmdName` as sent, no arguments). */
  onHandshakeError?(cmdName: string, errorText: string): void;
}

export interface LinkOptions {
  host: string;
  port: number;
  /** Commands written before anything else; their replies are dropped (errors: see onHandshakeError). */
  handshake: string[][];
  /** A pub/sub link: the last handshake command (SUBSCRIBE) and everything after it arrive via onPush. */
  pubsub: boolean;
  connectTimeoutMs: number;
  /** Source address for outbound connections (`bind-source-addr`). */
  localAddress?: string;
  /** TLS options (`tls-replication yes`): the connection is TLS and counts as up once the handshake is done. */
  tls?: tls.ConnectionOptions;
}

/**
 * What a monitored instance, a peer sentinel or any server we call may send us, per reply. The largest
 * legitimate replies are `CLIENT LIST` (fencing, manual failover: ~300 bytes per client, so 32 MB is ~100k
 * clients) and INFO (a few KB); everything else is a handful of short elements. A fake redis-server announcing a
 * 512 MB bulk or `*2147483647` is closed at the header, not after it has filled our memory.
 */
export const LINK_LIMITS = Object.freeze({
  /** Longest bulk string (and simple line). */
  maxBulkLength: 32 * 1024 * 1024,
  /** Most elements in one array/map/set (ROLE lists replicas, CONFIG GET pairs). */
  maxMultibulkLength: 65_536,
  /** Deepest nesting (ROLE is 3 deep). */
  maxDepth: 16,
  /** Most bytes received for one unfinished reply, whatever its shape. */
  maxReplyBytes: 64 * 1024 * 1024,
});

/**
 * Plain-TCP links read into this one buffer (`onread`), bypassing the Readable stream: at 200 masters the
 * stream's per-read machinery (Readable.push, addChunk, emit, maybeReadMore) was ~3 % of the sentinel's CPU
 * (bench/scale profile, docs/benchmarks.md). Reads are delivered synchronously and each is copied out before the
 * callback returns (the decoder may keep slices of what it is given), so one buffer serves every link.
 */
const READ_BUFFER = Buffer.allocUnsafe(64 * 1024);

/** Links with queued commands, written by one microtask (see Link.write). */
let dirtyLinks: Array<Link<unknown>> = [];

function flushDirtyLinks(): void {
  const links = dirtyLinks;
  dirtyLinks = [];
  for (const l of links) Link.flush(l);
}

/** A handshake command's place in the FIFO (made once per connection; tags are the caller's values). */
class HandshakeSlot {
  constructor(readonly cmdName: string) {}
}

/** A pub/sub `message` (3 elements) or `pmessage` (4): channel and payload are its last two. */
function isPubsubMessage(r: Reply): r is Reply[] {
  if (!Array.isArray(r) || typeof r[0] !== 'string') return false;
  const kind = r[0].toLowerCase();
  return (kind === 'message' && r.length === 3) || (kind === 'pmessage' && r.length === 4);
}

export class Link<Tag> {
  private readonly socket: net.Socket;
  private readonly decoder = new ReplyDecoder({
    limits: {
      maxBulkLength: LINK_LIMITS.maxBulkLength,
      maxMultibulkLength: LINK_LIMITS.maxMultibulkLength,
      maxDepth: LINK_LIMITS.maxDepth,
    },
  });
  /** Bytes received for the reply being decoded (an upper bound: a chunk that completes a reply resets it). */
  private unfinishedBytes = 0;
  private readonly fifo: Array<Tag | HandshakeSlot> = [];
  /** Commands queued in this turn, encoded (see write). */
  private outq = '';
  private closed = false;
  /** After subscribe(): message/pmessage frames go to onPush even while replies are awaited. */
  private subscribed = false;
  private handshakeErrorReported = false;
  private connectTimer: NodeJS.Timeout | null;

  constructor(
    opts: LinkOptions,
    private readonly handlers: LinkHandlers<Tag>,
  ) {
    const connectOpts: net.NetConnectOpts = {
      host: opts.host,
      port: opts.port,
      onread: {
        buffer: READ_BUFFER,
        callback: (n, buf) => {
          this.onData(Buffer.from(buf.subarray(0, n)));
          return true;
        },
      },
    };
    if (opts.localAddress !== undefined) connectOpts.localAddress = opts.localAddress;
    this.socket =
      opts.tls === undefined
        ? net.connect(connectOpts)
        : tls.connect({
            ...opts.tls,
            host: opts.host,
            port: opts.port,
            ...(opts.localAddress !== undefined ? { localAddress: opts.localAddress } : {}),
          });
    this.socket.setNoDelay(true);
    this.socket.on('error', (e) => this.fail(e.message, 'socket', e));
    this.socket.on('close', () => this.fail('connection closed', 'closed'));
    this.socket.on('end', () => this.fail('connection closed by peer', 'closed'));
    // TLS links (no `onread` in tls.connect) read through the stream.
    if (opts.tls !== undefined) this.socket.on('data', (chunk: Buffer) => this.onData(chunk));
    this.socket.on(opts.tls === undefined ? 'connect' : 'secureConnect', () => {
      if (this.connectTimer) clearTimeout(this.connectTimer);
      this.connectTimer = null;
      if (!this.closed) this.handlers.onUp(this.socket.localAddress ?? '127.0.0.1', this.socket.remoteAddress ?? '');
    });
    this.connectTimer = setTimeout(() => this.fail('connect timeout', 'connect-timeout'), opts.connectTimeoutMs);
    this.connectTimer.unref();
    const hs = opts.handshake;
    hs.forEach((cmd, i) => {
      const isSubscribe = opts.pubsub && i === hs.length - 1;
      this.write(cmd);
      if (!isSubscribe) this.fifo.push(new HandshakeSlot(cmd[0] ?? ''));
    });
  }

  send(cmd: ReadonlyArray<string | number>, tag: Tag): void {
    if (this.closed) return;
    this.fifo.push(tag);
    this.write(cmd);
  }

  /**
   * A SUBSCRIBE-type command: each of its confirmations (one per channel) goes to onReply with `tag`, and from now
   * on pub/sub messages go to onPush whatever is waiting.
   */
  subscribe(cmd: ReadonlyArray<string | number>, tag: Tag): void {
    if (this.closed) return;
    this.subscribed = true;
    for (let i = Math.max(1, cmd.length - 1); i > 0; i--) this.fifo.push(tag);
    this.write(cmd);
  }

  /** Close without reporting onDown (the owner already knows). */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    if (this.connectTimer) clearTimeout(this.connectTimer);
    this.socket.destroy();
  }

  /**
   * Commands are queued and written once per turn of the event loop (a microtask after the first): a tick that
   * PINGs and publishes hellos for 200 masters over one shared peer link makes one write, not 400 (bench/scale).
   * Order is kept; nothing waits longer than the current synchronous batch of effects.
   */
  private write(cmd: ReadonlyArray<string | number>): void {
    if (this.closed) return;
    const first = this.outq.length === 0;
    this.outq += encodeCommandText(cmd);
    if (first) {
      // One microtask for every link written in this batch, not one per link (each costs an async-context
      // wrapper: ~2 % of the profile's samples at 200 masters, whose sentinel PINGs 200 links per second).
      dirtyLinks.push(this);
      if (dirtyLinks.length === 1) queueMicrotask(flushDirtyLinks);
    }
  }

  /** @internal Called by flushDirtyLinks. */
  static flush(l: Link<unknown>): void {
    l.flushOut();
  }

  private flushOut(): void {
    const q = this.outq;
    this.outq = '';
    if (this.closed || q.length === 0) return;
    // One string, written as UTF-8 by the socket (no Buffer per command, no concat).
    this.socket.write(q);
  }

  private onData(chunk: Buffer): void {
    if (this.closed) return;
    let replies: Reply[];
    try {
      replies = this.decoder.push(chunk);
      // What is left undecoded started in this chunk if the chunk completed a reply, else it continues a reply.
      if (this.decoder.idle) this.unfinishedBytes = 0;
      else this.unfinishedBytes = replies.length > 0 ? chunk.length : this.unfinishedBytes + chunk.length;
      if (this.unfinishedBytes > LINK_LIMITS.maxReplyBytes)
        throw new RespProtocolError(`reply larger than ${LINK_LIMITS.maxReplyBytes} bytes`);
    } catch (e) {
      this.fail(`protocol error: ${(e as Error).message}`, 'protocol', e);
      return;
    }
    for (const r of replies) {
      if (this.closed) return;
      if (this.fifo.length === 0 || (this.subscribed && isPubsubMessage(r))) {
        this.handlers.onPush(r);
        continue;
      }
      const p = this.fifo.shift() as Tag | HandshakeSlot;
      if (!(p instanceof HandshakeSlot)) this.handlers.onReply(p, r);
      else if (r instanceof RespErrorReply && !this.handshakeErrorReported) {
        this.handshakeErrorReported = true;
        this.handlers.onHandshakeError?.(p.cmdName, r.message);
      }
    }
  }

  private fail(reason: string, kind: DownKind, cause?: unknown): void {
    if (this.closed) return;
    this.closed = true;
    if (this.connectTimer) clearTimeout(this.connectTimer);
    this.socket.destroy();
    this.handlers.onDown(reason, kind, cause);
  }
}

// ---- The promise face

/** What went wrong, for callers that react differently; the message says it for people. */
export type RespConnReason = 'connect-timeout' | 'connect' | 'auth' | 'call-timeout' | 'protocol' | 'socket' | 'closed';

export class RespConnError extends Error {
  readonly code = 'VIGIL_ERR_RESP_CONN';
  constructor(
    readonly reason: RespConnReason,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'RespConnError';
  }
}

export interface RespConnOptions {
  /** Deadline for the TCP connect (ms). Default 1000. */
  connectTimeoutMs?: number | undefined;
  /** Deadline for each call (ms). Default 2000. A missed deadline closes the connection. */
  callTimeoutMs?: number | undefined;
  /** With a non-empty password, `AUTH [username] password` is sent before open() resolves. */
  username?: string | undefined;
  password?: string | undefined;
  /** Connect over TLS with these options (the connection counts as open once the handshake is done). */
  tls?: tls.ConnectionOptions | undefined;
  /** Source address of the connection (`bind-source-addr`); default: the kernel's choice. */
  localAddress?: string | undefined;
}

/** Fired for every `message` / `pmessage`: channel and payload as text. */
export type MessageListener = (channel: string, payload: string) => void;

interface Call {
  resolve: (r: Reply) => void;
  reject: (e: Error) => void;
  /** Replies still expected (SUBSCRIBE-type commands get one confirmation per channel). */
  remaining: number;
  acc: Reply[];
  timer: NodeJS.Timeout;
}

const SUB_COMMANDS = new Set(['subscribe', 'psubscribe', 'unsubscribe', 'punsubscribe']);

export class RespConn {
  /** Resolves, with the reason, when the connection is closed for any reason (close() included). */
  readonly closed: Promise<Error>;
  readonly address: string;
  private resolveClosed!: (err: Error) => void;
  private readonly link: Link<Call>;
  /** Calls in the order they were sent (the link's FIFO order). */
  private readonly pending: Call[] = [];
  private closedErr: RespConnError | undefined;
  private messageListener: MessageListener | undefined;
  private readonly callTimeoutMs: number;

  private constructor(host: string, port: number, opts: RespConnOptions, opened: (err?: RespConnError) => void) {
    const address = (this.address = `${host}:${port}`);
    this.callTimeoutMs = opts.callTimeoutMs ?? 2000;
    this.closed = new Promise((resolve) => (this.resolveClosed = resolve));
    const linkOpts: LinkOptions = {
      host,
      port,
      handshake: [],
      pubsub: false,
      connectTimeoutMs: opts.connectTimeoutMs ?? 1000,
    };
    if (opts.localAddress !== undefined) linkOpts.localAddress = opts.localAddress;
    if (opts.tls !== undefined) linkOpts.tls = opts.tls;
    let up = false;
    this.link = new Link<Call>(linkOpts, {
      onUp: () => {
        up = true;
        opened();
      },
      onDown: (reason, kind, cause) => {
        const err = !up
          ? kind === 'connect-timeout'
            ? new RespConnError('connect-timeout', `connecting to ${address} timed out`)
            : new RespConnError('connect', `cannot connect to ${address}: ${reason}`, { cause })
          : kind === 'protocol'
            ? new RespConnError('protocol', `bad reply from ${address}`, { cause })
            : kind === 'socket'
              ? new RespConnError('socket', reason, { cause })
              : new RespConnError('closed', `connection to ${address} closed`);
        this.fail(err);
        if (!up) opened(err);
      },
      onReply: (call, r) => {
        call.acc.push(r);
        if (--call.remaining > 0) return;
        this.pending.shift();
        clearTimeout(call.timer);
        call.resolve(call.acc.length === 1 ? call.acc[0]! : call.acc);
      },
      onPush: (frame) => {
        if (isPubsubMessage(frame))
          this.messageListener?.(text(frame[frame.length - 2]), text(frame[frame.length - 1]));
      },
    });
  }

  static async open(host: string, port: number, opts: RespConnOptions = {}): Promise<RespConn> {
    const conn = await new Promise<RespConn>((resolve, reject) => {
      const c: RespConn = new RespConn(host, port, opts, (err) => (err ? reject(err) : resolve(c)));
    });
    if (opts.password !== undefined && opts.password !== '') {
      const args = opts.username ? ['AUTH', opts.username, opts.password] : ['AUTH', opts.password];
      const r = await conn.callRaw(...args).catch((err: unknown) => {
        conn.close();
        throw err;
      });
      if (r instanceof RespErrorReply) {
        conn.close();
        throw new RespConnError('auth', `AUTH to ${conn.address} failed: ${r.message}`);
      }
    }
    return conn;
  }

  /** Sends one command. Error replies reject with RespErrorReply. */
  async call(...args: Array<string | number>): Promise<Reply> {
    const r = await this.send(args);
    if (r instanceof RespErrorReply) throw r;
    return r;
  }

  /** Like call, but an error reply is returned as a value. */
  callRaw(...args: Array<string | number>): Promise<Reply> {
    return this.send(args);
  }

  /**
   * SUBSCRIBE / PSUBSCRIBE: resolves once every channel is confirmed (one deadline for all of them); the messages
   * that follow go to the listener, without a deadline.
   */
  async subscribe(
    kind: 'subscribe' | 'psubscribe',
    channels: readonly string[],
    listener: MessageListener,
  ): Promise<void> {
    this.messageListener = listener;
    await this.call(kind, ...channels);
  }

  close(): void {
    this.fail(new RespConnError('closed', `connection to ${this.address} closed`));
  }

  private send(args: Array<string | number>): Promise<Reply> {
    if (this.closedErr) return Promise.reject(this.closedErr);
    const name = String(args[0] ?? '').toLowerCase();
    return new Promise<Reply>((resolve, reject) => {
      // A missing reply desynchronises the stream: close rather than guess which reply belongs to whom.
      const timer = setTimeout(
        () =>
          this.fail(new RespConnError('call-timeout', `${this.address} did not answer ${name.toUpperCase()} in time`)),
        this.callTimeoutMs,
      );
      const call: Call = { resolve, reject, remaining: 1, acc: [], timer };
      this.pending.push(call);
      if (!SUB_COMMANDS.has(name)) return this.link.send(args, call);
      call.remaining = Math.max(1, args.length - 1);
      this.link.subscribe(args, call);
    });
  }

  /** The first failure wins: the link is closed, every waiting call rejects with it, `closed` resolves. */
  private fail(err: RespConnError): void {
    if (this.closedErr) return;
    this.closedErr = err;
    this.link.close();
    for (const c of this.pending.splice(0)) {
      clearTimeout(c.timer);
      c.reject(err);
    }
    this.resolveClosed(err);
  }
}

function text(r: Reply | undefined): string {
  return r === undefined ? '' : replyToString(r);
}

/** Opens a connection, runs one command (error replies reject), closes. */
export async function callOnce(
  host: string,
  port: number,
  args: Array<string | number>,
  opts: RespConnOptions = {},
): Promise<Reply> {
  const c = await RespConn.open(host, port, opts);
  try {
    return await c.call(...args);
  } finally {
    c.close();
  }
}

/** A RESP2 flat field/value array (SENTINEL MASTER / REPLICAS records) as a string record. */
export function fieldsOf(r: Reply): Record<string, string> {
  const out: Record<string, string> = {};
  if (!Array.isArray(r)) return out;
  for (let i = 0; i + 1 < r.length; i += 2) out[text(r[i])] = text(r[i + 1]);
  return out;
}

/** `INFO` text as raw key/value pairs (src/core/info.ts parses the fields Sentinel acts on). */
export function infoFields(info: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of info.split(/\r?\n/)) {
    if (!line || line.startsWith('#')) continue;
    const i = line.indexOf(':');
    if (i > 0) out[line.slice(0, i)] = line.slice(i + 1);
  }
  return out;
}
