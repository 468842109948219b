// A probe client for failover benchmarks: sequential INCR on one key through a proxy, `gapMs` between ops,
// `opTimeoutMs` per op, reconnecting on any error or close. Records every acknowledgement and every error.
import { connect, type Socket } from 'node:net';
import { ReplyDecoder, encodeCommand, RespErrorReply, type Reply } from '../../src/resp/index.js';

export interface WriterReport {
  name: string;
  acks: number;
  /** Highest value an INCR returned. */
  maxValue: number;
  /** Acked values that were not greater than the previous ack (a fork: another master answered). */
  nonMonotonic: number;
  errors: Map<string, number>;
  /** Longest time between two acks (ms), and when it started (ms since epoch). */
  longestGapMs: number;
  longestGapAt: number;
  /** Ack timestamps (ms since epoch) with the value, for timelines. */
  ackTimes: number[];
}

export class IncrWriter {
  private socket: Socket | null = null;
  private decoder = new ReplyDecoder();
  private stopped = false;
  private pending: { resolve: (r: Reply) => void; reject: (e: Error) => void } | null = null;
  private lastAckAt = 0;
  private lastValue = 0;
  readonly report: WriterReport;
  private loop: Promise<void> = Promise.resolve();

  constructor(
    readonly name: string,
    private readonly port: number,
    private readonly key: string,
    private readonly opts: { gapMs: number; opTimeoutMs: number } = { gapMs: 2, opTimeoutMs: 1000 },
  ) {
    this.report = {
      name,
      acks: 0,
      maxValue: 0,
      nonMonotonic: 0,
      errors: new Map(),
      longestGapMs: 0,
      longestGapAt: 0,
      ackTimes: [],
    };
  }

  start(): void {
    this.lastAckAt = Date.now();
    this.loop = this.run();
  }

  async stop(): Promise<WriterReport> {
    this.stopped = true;
    await this.loop;
    this.socket?.destroy();
    return this.report;
  }

  private err(kind: string): void {
    this.report.errors.set(kind, (this.report.errors.get(kind) ?? 0) + 1);
  }

  private async ensureSocket(): Promise<Socket> {
    if (this.socket && !this.socket.destroyed) return this.socket;
    this.decoder = new ReplyDecoder();
    const s = await new Promise<Socket>((resolve, reject) => {
      const sock = connect({ host: '127.0.0.1', port: this.port, noDelay: true });
      const t = setTimeout(() => {
        sock.destroy();
        reject(new Error('connect timeout'));
      }, this.opts.opTimeoutMs);
      sock.once('connect', () => {
        clearTimeout(t);
        resolve(sock);
      });
      sock.once('error', (e) => {
        clearTimeout(t);
        reject(e);
      });
    });
    s.on('error', () => undefined);
    s.on('data', (chunk: Buffer) => {
      let replies: Reply[];
      try {
        replies = this.decoder.push(chunk);
      } catch {
        s.destroy();
        return;
      }
      for (const r of replies) {
        const p = this.pending;
        this.pending = null;
        p?.resolve(r);
      }
    });
    s.on('close', () => {
      const p = this.pending;
      this.pending = null;
      p?.reject(new Error('connection closed'));
    });
    this.socket = s;
    return s;
  }

  private incr(s: Socket): Promise<Reply> {
    return new Promise<Reply>((resolve, reject) => {
      const t = setTimeout(() => {
        this.pending = null;
        s.destroy();
        reject(new Error('op timeout'));
      }, this.opts.opTimeoutMs);
      this.pending = {
        resolve: (r) => {
          clearTimeout(t);
          resolve(r);
        },
        reject: (e) => {
          clearTimeout(t);
          reject(e);
        },
      };
      s.write(encodeCommand(['INCR', this.key]));
    });
  }

  private async run(): Promise<void> {
    while (!this.stopped) {
      try {
        const s = await this.ensureSocket();
        const r = await this.incr(s);
        if (typeof r === 'number') {
          const now = Date.now();
          const gap = now - this.lastAckAt;
          if (gap > this.report.longestGapMs) {
            this.report.longestGapMs = gap;
            this.report.longestGapAt = this.lastAckAt;
          }
          this.lastAckAt = now;
          this.report.acks++;
          if (r <= this.lastValue) this.report.nonMonotonic++;
          this.lastValue = r;
          if (r > this.report.maxValue) this.report.maxValue = r;
          this.report.ackTimes.push(now);
        } else if (r instanceof RespErrorReply) {
          this.err(r.message.startsWith('ERR vigil-proxy') ? 'vigil-proxy' : r.code);
        } else {
          this.err('unexpected reply');
        }
      } catch (e) {
        this.err(e instanceof Error ? e.message.replace(/connect ECONNREFUSED.*/, 'ECONNREFUSED') : 'error');
        this.socket?.destroy();
        this.socket = null;
      }
      await new Promise((r) => setTimeout(r, this.opts.gapMs));
    }
  }
}
