// A small RESP client for tests, built on our own codec. Replies come back as values (error replies are
// RespErrorReply values, not rejections) so tests can compare them; pub/sub messages go to onPush listeners.
import type { Socket } from 'node:net';
import { dial } from './ports.js';
import { ReplyDecoder, encodeCommand, RespPush, type Reply } from '../../src/resp/index.js';

export interface RespClientOptions {
  host?: string;
  /** Send `HELLO 3` right after connecting (the HELLO reply is consumed). */
  proto?: 2 | 3;
  connectTimeoutMs?: number;
  returnBuffers?: boolean;
}

interface Pending {
  resolve: (r: Reply) => void;
  reject: (e: Error) => void;
  /** Subscribe-type calls expect one confirmation per channel. */
  remaining: number;
  acc: Reply[];
}

const PUSH_KINDS = new Set(['message', 'pmessage', 'smessage']);

export class RespClient {
  private readonly decoder: ReplyDecoder;
  private readonly pending: Pending[] = [];
  private readonly pushListeners = new Set<(msg: Reply[]) => void>();
  private subscribed = false;
  private closedErr: Error | undefined;
  readonly closed: Promise<void>;

  private constructor(
    readonly socket: Socket,
    opts: RespClientOptions,
  ) {
    this.decoder = new ReplyDecoder(opts.returnBuffers ? { returnBuffers: true } : {});
    socket.setNoDelay(true);
    socket.on('data', (chunk) => this.onData(chunk));
    this.closed = new Promise((resolve) => {
      socket.on('close', () => {
        this.closedErr ??= new Error('connection closed');
        for (const p of this.pending.splice(0)) p.reject(this.closedErr);
        resolve();
      });
    });
    socket.on('error', (err) => {
      this.closedErr = err;
    });
  }

  static async connect(port: number, opts: RespClientOptions = {}): Promise<RespClient> {
    const host = opts.host ?? '127.0.0.1';
    const socket = await dial(host, port, opts.connectTimeoutMs ?? 2000);
    const c = new RespClient(socket, opts);
    if (opts.proto === 3) await c.call('HELLO', '3');
    return c;
  }

  /** Send one command; resolves with its reply (RespErrorReply for `-ERR ...`). */
  call(...args: Array<string | number | Buffer>): Promise<Reply> {
    const name = String(args[0] ?? '').toLowerCase();
    const isSub = ['subscribe', 'psubscribe', 'unsubscribe', 'punsubscribe'].includes(name);
    return this.send(encodeCommand(args), isSub ? Math.max(1, args.length - 1) : 1, isSub);
  }

  /** Write raw bytes and expect `replies` replies (0 = fire and forget). */
  raw(bytes: Buffer | string, replies = 1): Promise<Reply> {
    return this.send(Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes), replies, false);
  }

  onPush(listener: (msg: Reply[]) => void): () => void {
    this.pushListeners.add(listener);
    return () => this.pushListeners.delete(listener);
  }

  close(): void {
    this.socket.destroy();
  }

  private send(bytes: Buffer, replies: number, isSub: boolean): Promise<Reply> {
    if (this.closedErr) return Promise.reject(this.closedErr);
    if (isSub) this.subscribed = true;
    this.socket.write(bytes);
    if (replies === 0) return Promise.resolve(null);
    return new Promise((resolve, reject) => {
      this.pending.push({ resolve, reject, remaining: replies, acc: [] });
    });
  }

  private onData(chunk: Buffer): void {
    let replies: Reply[];
    try {
      replies = this.decoder.push(chunk);
    } catch (err) {
      this.closedErr = err as Error;
      this.socket.destroy();
      return;
    }
    for (const r of replies) this.dispatch(r);
  }

  private dispatch(r: Reply): void {
    // RESP3 pushes: messages go to listeners; subscribe confirmations answer the pending call.
    let items: Reply[] | undefined;
    if (r instanceof RespPush) items = r.items;
    else if (this.subscribed && Array.isArray(r) && r.length >= 3) items = r;
    if (items) {
      const kind = String(items[0]).toLowerCase();
      if (PUSH_KINDS.has(kind)) {
        for (const l of this.pushListeners) l(items);
        return;
      }
      if (r instanceof RespPush && !kind.endsWith('subscribe')) {
        for (const l of this.pushListeners) l(items);
        return;
      }
    }
    const p = this.pending[0];
    if (!p) return; // unsolicited (e.g. server closing with an error)
    p.acc.push(r);
    p.remaining--;
    if (p.remaining <= 0) {
      this.pending.shift();
      p.resolve(p.acc.length === 1 ? (p.acc[0] as Reply) : p.acc);
    }
  }
}
