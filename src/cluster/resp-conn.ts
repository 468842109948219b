// A small RESP2 connection for the cluster tools (`vigil up/status/failover/demo`): one socket, commands answered
// in order, pub/sub messages handed to a listener. Built on src/resp. Loopback only by construction: callers pass
// addresses the cluster itself announced. Every call has a deadline so a stopped process cannot hang the CLI.
import { connect, type Socket } from 'node:net';
import { ReplyDecoder, encodeCommand, replyToString, RespErrorReply, type Reply } from '../resp/index.js';

export class ClusterConnError extends Error {
  readonly code = 'VIGIL_ERR_CLUSTER_CONN';
}

interface Pending {
  resolve: (r: Reply) => void;
  reject: (e: Error) => void;
  /** Replies still expected (SUBSCRIBE-type commands get one confirmation per channel). */
  remaining: number;
  acc: Reply[];
  timer: NodeJS.Timeout;
}

const SUB_COMMANDS = new Set(['subscribe', 'psubscribe', 'unsubscribe', 'punsubscribe']);

/** Fired for every `message` / `pmessage`: channel and payload as text. */
export type MessageListener = (channel: string, payload: string) => void;

export class RespConn {
  private readonly decoder = new ReplyDecoder();
  private readonly pending: Pending[] = [];
  private subscribed = false;
  private closedErr: Error | undefined;
  private messageListener: MessageListener | undefined;
  /** Resolves when the socket is closed for any reason. */
  readonly closed: Promise<void>;

  private constructor(
    private readonly socket: Socket,
    readonly address: string,
    private readonly callTimeoutMs: number,
  ) {
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('error', (err) => {
      this.closedErr ??= err;
    });
    this.closed = new Promise((resolve) => {
      socket.on('close', () => {
        this.closedErr ??= new ClusterConnError(`connection to ${address} closed`);
        for (const p of this.pending.splice(0)) {
          clearTimeout(p.timer);
          p.reject(this.closedErr);
        }
        resolve();
      });
    });
  }

  static async open(
    host: string,
    port: number,
    opts: { connectTimeoutMs?: number; callTimeoutMs?: number } = {},
  ): Promise<RespConn> {
    const address = `${host}:${port}`;
    const socket = await new Promise<Socket>((resolve, reject) => {
      const s = connect({ host, port });
      const timer = setTimeout(() => {
        s.destroy();
        reject(new ClusterConnError(`connecting to ${address} timed out`));
      }, opts.connectTimeoutMs ?? 1000);
      s.once('connect', () => {
        clearTimeout(timer);
        s.removeAllListeners('error');
        resolve(s);
      });
      s.once('error', (err) => {
        clearTimeout(timer);
        s.destroy();
        reject(new ClusterConnError(`cannot connect to ${address}: ${err.message}`, { cause: err }));
      });
    });
    return new RespConn(socket, address, opts.callTimeoutMs ?? 2000);
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

  /** PSUBSCRIBE / SUBSCRIBE with a listener for the messages that follow. No deadline on the messages. */
  async subscribe(kind: 'subscribe' | 'psubscribe', channels: string[], listener: MessageListener): Promise<void> {
    this.messageListener = listener;
    await this.call(kind, ...channels);
  }

  close(): void {
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
        this.closedErr ??= new ClusterConnError(`${this.address} did not answer ${name.toUpperCase()} in time`);
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
      this.closedErr = new ClusterConnError(`bad reply from ${this.address}`, { cause: err });
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

/** Opens a connection, runs one command, closes. */
export async function callOnce(
  host: string,
  port: number,
  args: Array<string | number>,
  opts: { connectTimeoutMs?: number; callTimeoutMs?: number } = {},
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

/** `INFO` text as key/value pairs. */
export function parseInfo(info: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of info.split(/\r?\n/)) {
    if (!line || line.startsWith('#')) continue;
    const i = line.indexOf(':');
    if (i > 0) out[line.slice(0, i)] = line.slice(i + 1);
  }
  return out;
}

export function asText(r: Reply): string {
  return replyToString(r);
}
