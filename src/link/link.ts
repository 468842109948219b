// One outbound RESP connection from the sentinel to a monitored server or a peer sentinel (Redis's
// instanceLink cc/pc). Dumb by design: it writes the handshake and the commands it is given, matches replies
// to commands in FIFO order, hands everything else (pub/sub frames) to onPush, and reports up/down once.
// It never decides anything; the core does. Every socket error is contained here.
import net from 'node:net';
import tls from 'node:tls';
import { ReplyDecoder, encodeCommand } from '../resp/index.js';
import type { Reply } from '../resp/types.js';

export interface LinkHandlers<Tag> {
  /** TCP connected; `localIp` is our address on this socket, `remoteIp` the address a hostname resolved to. */
  onUp(localIp: string, remoteIp: string): void;
  /**
   * Connection failed or closed by the other side (never called after close()). `protocol` is true when we
   * closed it because the peer sent malformed RESP or a reply over LINK_LIMITS (worth a log line).
   */
  onDown(reason: string, protocol: boolean): void;
  /** A reply to a command sent with `send(cmd, tag)`. */
  onReply(tag: Tag, reply: Reply): void;
  /** Frames not matching a command (pub/sub messages, subscribe confirmations). */
  onPush(frame: Reply): void;
}

export interface LinkOptions {
  host: string;
  port: number;
  /** Commands written before anything else; their replies are swallowed. */
  handshake: string[][];
  /** A pub/sub link: the last handshake command (SUBSCRIBE) and everything after it arrive via onPush. */
  pubsub: boolean;
  connectTimeoutMs: number;
  /** Source address for outbound connections (`bind-source-addr`). */
  localAddress?: string;
  /** TLS options (`tls-replication yes`): the connection is TLS and counts as up once the handshake is done. */
  tls?: tls.ConnectionOptions;
}

type Pending<Tag> = { internal: true } | { internal: false; tag: Tag };

/**
 * What a monitored instance or a peer sentinel may send us, per reply. The largest legitimate replies are
 * `CLIENT LIST` (fencing, manual failover: ~300 bytes per client, so 32 MB is ~100k clients) and INFO (a few KB);
 * everything else is a handful of short elements. A fake redis-server announcing a 512 MB bulk or
 * `*2147483647` is closed at the header, not after it has filled our memory.
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
  private readonly fifo: Array<Pending<Tag>> = [];
  private outq: Buffer[] = [];
  private closed = false;
  private connectTimer: NodeJS.Timeout | null;

  constructor(
    private readonly opts: LinkOptions,
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
    this.socket.on('error', (e) => this.fail(e.message));
    this.socket.on('close', () => this.fail('connection closed'));
    this.socket.on('end', () => this.fail('connection closed by peer'));
    // TLS links (no `onread` in tls.connect) read through the stream.
    if (opts.tls !== undefined) this.socket.on('data', (chunk: Buffer) => this.onData(chunk));
    this.socket.on(opts.tls === undefined ? 'connect' : 'secureConnect', () => {
      if (this.connectTimer) clearTimeout(this.connectTimer);
      this.connectTimer = null;
      if (!this.closed) this.handlers.onUp(this.socket.localAddress ?? '127.0.0.1', this.socket.remoteAddress ?? '');
    });
    this.connectTimer = setTimeout(() => this.fail('connect timeout'), opts.connectTimeoutMs);
    this.connectTimer.unref();
    const hs = opts.handshake;
    hs.forEach((cmd, i) => {
      const isSubscribe = opts.pubsub && i === hs.length - 1;
      this.write(cmd);
      if (!isSubscribe) this.fifo.push({ internal: true });
    });
  }

  send(cmd: string[], tag: Tag): void {
    if (this.closed) return;
    this.fifo.push({ internal: false, tag });
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
  private write(cmd: string[]): void {
    if (this.closed) return;
    this.outq.push(encodeCommand(cmd));
    if (this.outq.length === 1) {
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
    this.outq = [];
    if (this.closed || q.length === 0) return;
    this.socket.write(q.length === 1 ? q[0]! : Buffer.concat(q));
  }

  private onData(chunk: Buffer): void {
    if (this.closed) return;
    let replies: Reply[];
    try {
      replies = this.decoder.push(chunk);
    } catch (e) {
      this.fail(`protocol error: ${(e as Error).message}`, true);
      return;
    }
    // What is left undecoded started in this chunk if the chunk completed a reply, else it continues a reply.
    if (this.decoder.idle) this.unfinishedBytes = 0;
    else this.unfinishedBytes = replies.length > 0 ? chunk.length : this.unfinishedBytes + chunk.length;
    if (this.unfinishedBytes > LINK_LIMITS.maxReplyBytes) {
      this.fail(`protocol error: reply larger than ${LINK_LIMITS.maxReplyBytes} bytes`, true);
      return;
    }
    for (const r of replies) {
      if (this.closed) return;
      const p = this.fifo.shift();
      if (p === undefined) {
        this.handlers.onPush(r);
        continue;
      }
      if (!p.internal) this.handlers.onReply(p.tag, r);
    }
  }

  private fail(reason: string, protocol = false): void {
    if (this.closed) return;
    this.closed = true;
    if (this.connectTimer) clearTimeout(this.connectTimer);
    this.socket.destroy();
    this.handlers.onDown(reason, protocol);
  }
}
