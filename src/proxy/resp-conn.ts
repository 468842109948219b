// A minimal RESP2 connection for the proxy's control plane: request/reply in order, pub/sub messages to a
// callback, a deadline on every call. Shell code (node:net). Errors close this connection only.
import { connect, type Socket } from 'node:net';
import { ReplyDecoder, encodeCommand, RespErrorReply, type Reply } from '../resp/index.js';
import type { Addr } from './events.js';

export class ProxyConnError extends Error {
  readonly code: string;
  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ProxyConnError';
    this.code = code;
  }
}

interface Pending {
  resolve: (r: Reply) => void;
  reject: (e: Error) => void;
  timer: NodeJS.Timeout;
}

export interface RespConnOptions {
  connectTimeoutMs: number;
  /** Deadline for each call (ms). A call that misses it closes the connection. */
  callTimeoutMs: number;
  username?: string | undefined;
  password?: string | undefined;
  onMessage?: (channel: string, payload: string) => void;
  onClose?: (err: Error | undefined) => void;
}

export class RespConn {
  private readonly decoder = new ReplyDecoder();
  private readonly pending: Pending[] = [];
  private closedErr: Error | undefined;
  private subscribed = false;

  private constructor(
    private readonly socket: Socket,
    private readonly opts: RespConnOptions,
  ) {
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('error', (err) => {
      this.closedErr ??= err;
    });
    socket.on('close', () => {
      const err = this.closedErr ?? new ProxyConnError('VIGIL_ERR_PROXY_CONN_CLOSED', 'connection closed');
      this.closedErr = err;
      for (const p of this.pending.splice(0)) {
        clearTimeout(p.timer);
        p.reject(err);
      }
      opts.onClose?.(err);
    });
  }

  static async open(addr: Addr, opts: RespConnOptions): Promise<RespConn> {
    const socket = await new Promise<Socket>((resolve, reject) => {
      const s = connect({ host: addr.host, port: addr.port });
      const timer = setTimeout(() => {
        s.destroy();
        reject(new ProxyConnError('VIGIL_ERR_PROXY_CONNECT_TIMEOUT', `connect to ${addr.host}:${addr.port} timed out`));
      }, opts.connectTimeoutMs);
      s.once('connect', () => {
        clearTimeout(timer);
        s.removeAllListeners('error');
        resolve(s);
      });
      s.once('error', (err) => {
        clearTimeout(timer);
        s.destroy();
        reject(new ProxyConnError('VIGIL_ERR_PROXY_CONNECT', `connect to ${addr.host}:${addr.port}: ${err.message}`, { cause: err }));
      });
    });
    const conn = new RespConn(socket, opts);
    if (opts.password !== undefined && opts.password !== '') {
      const args = opts.username ? ['AUTH', opts.username, opts.password] : ['AUTH', opts.password];
      const r = await conn.call(args).catch((err: unknown) => {
        conn.close();
        throw err;
      });
      if (r instanceof RespErrorReply) {
        conn.close();
        throw new ProxyConnError('VIGIL_ERR_PROXY_AUTH', `AUTH to ${addr.host}:${addr.port} failed: ${r.message}`);
      }
    }
    return conn;
  }

  get isOpen(): boolean {
    return this.closedErr === undefined;
  }

  /** Send a command; resolves with its reply (error replies are RespErrorReply values). */
  call(args: ReadonlyArray<string | number>): Promise<Reply> {
    if (this.closedErr) return Promise.reject(this.closedErr);
    return new Promise<Reply>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.closedErr ??= new ProxyConnError('VIGIL_ERR_PROXY_CALL_TIMEOUT', `${String(args[0])} timed out`);
        this.socket.destroy();
      }, this.opts.callTimeoutMs);
      this.pending.push({ resolve, reject, timer });
      this.socket.write(encodeCommand(args));
    });
  }

  /** PSUBSCRIBE; afterwards replies that are pub/sub messages go to onMessage. */
  async psubscribe(patterns: readonly string[]): Promise<void> {
    this.subscribed = true;
    // One confirmation per pattern, each answered as a separate reply.
    const waits = patterns.map(
      () =>
        new Promise<Reply>((resolve, reject) => {
          const timer = setTimeout(() => this.socket.destroy(), this.opts.callTimeoutMs);
          this.pending.push({ resolve, reject, timer });
        }),
    );
    this.socket.write(encodeCommand(['PSUBSCRIBE', ...patterns]));
    await Promise.all(waits);
  }

  close(): void {
    this.closedErr ??= new ProxyConnError('VIGIL_ERR_PROXY_CONN_CLOSED', 'closed by proxy');
    this.socket.destroy();
  }

  private onData(chunk: Buffer): void {
    let replies: Reply[];
    try {
      replies = this.decoder.push(chunk);
    } catch (err) {
      this.closedErr ??= new ProxyConnError('VIGIL_ERR_PROXY_PROTOCOL', 'malformed reply', { cause: err });
      this.socket.destroy();
      return;
    }
    for (const r of replies) {
      if (this.subscribed && Array.isArray(r) && (r[0] === 'pmessage' || r[0] === 'message')) {
        const channel = r[0] === 'pmessage' ? r[2] : r[1];
        const payload = r[0] === 'pmessage' ? r[3] : r[2];
        this.opts.onMessage?.(String(channel), String(payload));
        continue;
      }
      const p = this.pending.shift();
      if (!p) continue;
      clearTimeout(p.timer);
      p.resolve(r);
    }
  }
}

/** One-shot `ROLE` on addr: returns 'master' | 'slave' | 'sentinel' | 'error:<why>'. */
export async function checkRole(
  addr: Addr,
  opts: { timeoutMs: number; username?: string | undefined; password?: string | undefined },
): Promise<string> {
  let conn: RespConn | undefined;
  try {
    conn = await RespConn.open(addr, {
      connectTimeoutMs: opts.timeoutMs,
      callTimeoutMs: opts.timeoutMs,
      username: opts.username,
      password: opts.password,
    });
    const r = await conn.call(['ROLE']);
    if (Array.isArray(r) && typeof r[0] === 'string') return r[0];
    if (r instanceof RespErrorReply) return `error:${r.message}`;
    return 'error:unexpected ROLE reply';
  } catch (err) {
    return `error:${err instanceof Error ? err.message : String(err)}`;
  } finally {
    conn?.close();
  }
}
