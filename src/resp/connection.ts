// One outbound RESP2 client connection, shared by the cluster tools (`vigil up/status/failover/demo`) and the
// proxy's control plane: connect with a deadline, optional AUTH, commands answered in order, a deadline on every
// call, SUBSCRIBE-type commands with one confirmation per channel, pub/sub messages handed to a listener.
// Shell code (node:net). Callers pass addresses they were given (loopback in this project); errors close this
// connection only. Every failure of the connection itself is a RespConnError (code VIGIL_ERR_RESP_CONN).
import { connect, type Socket } from 'node:net';
import { connect as tlsConnect, type ConnectionOptions } from 'node:tls';
import { ReplyDecoder } from './decoder.js';
import { encodeCommand, replyToString } from './encoder.js';
import { RespErrorReply, type Reply } from './types.js';

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
  tls?: ConnectionOptions | undefined;
  /** Source address of the connection (`bind-source-addr`); default: the kernel's choice. */
  localAddress?: string | undefined;
}

/** Fired for every `message` / `pmessage`: channel and payload as text. */
export type MessageListener = (channel: string, payload: string) => void;

interface Pending {
  resolve: (r: Reply) => void;
  reject: (e: Error) => void;
  /** Replies still expected (SUBSCRIBE-type commands get one confirmation per channel). */
  remaining: number;
  acc: Reply[];
  timer: NodeJS.Timeout;
}

const SUB_COMMANDS = new Set(['subscribe', 'psubscribe', 'unsubscribe', 'punsubscribe']);

export class RespConn {
  private readonly decoder = new ReplyDecoder();
  private readonly pending: Pending[] = [];
  private subscribed = false;
  private closedErr: Error | undefined;
  private messageListener: MessageListener | undefined;
  /** Resolves, with the reason, when the socket is closed for any reason (close() included). */
  readonly closed: Promise<Error>;

  private constructor(
    private readonly socket: Socket,
    readonly address: string,
    private readonly callTimeoutMs: number,
  ) {
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('error', (err) => {
      this.closedErr ??= new RespConnError('socket', err.message, { cause: err });
    });
    this.closed = new Promise((resolve) => {
      socket.on('close', () => {
        const err = (this.closedErr ??= new RespConnError('closed', `connection to ${address} closed`));
        for (const p of this.pending.splice(0)) {
          clearTimeout(p.timer);
          p.reject(err);
        }
        resolve(err);
      });
    });
  }

  static async open(host: string, port: number, opts: RespConnOptions = {}): Promise<RespConn> {
    const address = `${host}:${port}`;
    const socket = await new Promise<Socket>((resolve, reject) => {
      const local = opts.localAddress !== undefined ? { localAddress: opts.localAddress } : {};
      const s = opts.tls ? tlsConnect({ ...opts.tls, host, port, ...local }) : connect({ host, port, ...local });
      const timer = setTimeout(() => {
        s.destroy();
        reject(new RespConnError('connect-timeout', `connecting to ${address} timed out`));
      }, opts.connectTimeoutMs ?? 1000);
      s.once(opts.tls ? 'secureConnect' : 'connect', () => {
        clearTimeout(timer);
        s.removeAllListeners('error');
        resolve(s);
      });
      s.once('error', (err) => {
        clearTimeout(timer);
        s.destroy();
        reject(new RespConnError('connect', `cannot connect to ${address}: ${err.message}`, { cause: err }));
      });
    });
    const conn = new RespConn(socket, address, opts.callTimeoutMs ?? 2000);
    if (opts.password !== undefined && opts.password !== '') {
      const args = opts.username ? ['AUTH', opts.username, opts.password] : ['AUTH', opts.password];
      const r = await conn.callRaw(...args).catch((err: unknown) => {
        conn.close();
        throw err;
      });
      if (r instanceof RespErrorReply) {
        conn.close();
        throw new RespConnError('auth', `AUTH to ${address} failed: ${r.message}`);
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
    this.closedErr ??= new RespConnError('closed', `connection to ${this.address} closed`);
    this.socket.destroy();
  }

  private send(args: Array<string | number>): Promise<Reply> {
    if (this.closedErr) return Promise.reject(this.closedErr);
    const name = String(args[0] ?? '').toLowerCase();
    const isSub = SUB_COMMANDS.has(name);
    if (isSub) this.subscribed = true;
    return new Promise<Reply>((resolve, reject) => {
      const timer = setTimeout(() => {
        // A missing reply desynchronises the stream: close rather than guess which reply belongs to whom.
        this.closedErr ??= new RespConnError(
          'call-timeout',
          `${this.address} did not answer ${name.toUpperCase()} in time`,
        );
        reject(this.closedErr);
        this.socket.destroy();
      }, this.callTimeoutMs);
      this.pending.push({ resolve, reject, remaining: isSub ? Math.max(1, args.length - 1) : 1, acc: [], timer });
      this.socket.write(encodeCommand(args));
    });
  }

  private onData(chunk: Buffer): void {
    let replies: Reply[];
    try {
      replies = this.decoder.push(chunk);
    } catch (err) {
      this.closedErr ??= new RespConnError('protocol', `bad reply from ${this.address}`, { cause: err });
      this.socket.destroy();
      return;
    }
    for (const r of replies) this.dispatch(r);
  }

  private dispatch(r: Reply): void {
    if (this.subscribed && Array.isArray(r)) {
      const kind = typeof r[0] === 'string' ? r[0].toLowerCase() : '';
      if (kind === 'message' && r.length === 3) {
        this.messageListener?.(text(r[1]), text(r[2]));
        return;
      }
      if (kind === 'pmessage' && r.length === 4) {
        this.messageListener?.(text(r[2]), text(r[3]));
        return;
      }
    }
    const p = this.pending[0];
    if (!p) return;
    p.acc.push(r);
    p.remaining--;
    if (p.remaining <= 0) {
      this.pending.shift();
      clearTimeout(p.timer);
      p.resolve(p.acc.length === 1 ? (p.acc[0] as Reply) : p.acc);
    }
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
