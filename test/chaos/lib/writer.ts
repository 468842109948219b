// Set workload (reliability.md §6.2-6.3): a client SADDs unique ids every ~20 ms and records each op as ok / fail
// / info. Definite error replies (READONLY, NOREPLICAS, ...) are `fail`; timeouts and closed connections are
// `info` (indeterminate). The WAIT variant counts a write `ok` only when `WAIT 1 200` confirms a replica has it.
import { Redis, ReplyError, type RedisOptions } from 'ioredis';

export interface Op {
  v: string;
  type: 'ok' | 'fail' | 'info';
  call: number;
  ret: number;
  /** Address of the server the client was connected to when the reply came (or the op failed). */
  node?: string;
  err?: string;
}

export type WriterTarget =
  { sentinels: Array<{ host: string; port: number }>; name: string } | { host: string; port: number };

export class SetWriter {
  readonly ops: Op[] = [];
  private readonly client: Redis;
  private running = false;
  private loop: Promise<void> | undefined;
  private n = 0;

  constructor(
    target: WriterTarget,
    readonly key: string,
    readonly wait: boolean,
    readonly intervalMs = 20,
  ) {
    const common: RedisOptions = {
      commandTimeout: 1000,
      connectTimeout: 1000,
      maxRetriesPerRequest: null,
      enableOfflineQueue: true,
      lazyConnect: false,
      retryStrategy: () => 100,
      // A command sent to a server that then went away is not silently re-sent elsewhere (it stays indeterminate).
      autoResendUnfulfilledCommands: false,
      // A demoted master answers READONLY: reconnect, so a Sentinel-aware client asks the sentinels again.
      reconnectOnError: (err) => err.message.startsWith('READONLY'),
    };
    this.client =
      'sentinels' in target
        ? new Redis({
            ...common,
            sentinels: target.sentinels,
            name: target.name,
            sentinelCommandTimeout: 300,
            sentinelRetryStrategy: () => 100,
          })
        : new Redis({ ...common, host: target.host, port: target.port });
    this.client.on('error', () => {});
  }

  start(): void {
    this.running = true;
    this.loop = this.run();
  }

  private async run(): Promise<void> {
    while (this.running) {
      const started = Date.now();
      await this.one(`${this.key}-${this.n++}`);
      const rest = this.intervalMs - (Date.now() - started);
      if (rest > 0) await new Promise((r) => setTimeout(r, rest));
    }
  }

  private where(): string {
    const st = this.client.stream as { remoteAddress?: string; remotePort?: number } | undefined;
    return st?.remoteAddress ? `${st.remoteAddress}:${st.remotePort ?? ''}` : '?';
  }

  private async one(v: string): Promise<void> {
    const call = Date.now();
    try {
      if (!this.wait) {
        await this.client.sadd(this.key, v);
        this.ops.push({ v, type: 'ok', call, ret: Date.now(), node: this.where() });
        return;
      }
      // SADD and WAIT must run on ONE connection: a WAIT resent on a new connection (after a reconnect) counts
      // replicas for that connection's writes, i.e. none, and confirms nothing.
      const stream = this.client.stream;
      const replies = await this.client.pipeline().sadd(this.key, v).call('WAIT', '1', '200').exec();
      const same = this.client.stream === stream;
      const [saddErr] = replies?.[0] ?? [new Error('no reply')];
      const [waitErr, waitN] = replies?.[1] ?? [new Error('no reply'), 0];
      if (saddErr) throw saddErr;
      if (waitErr || !same || !(Number(waitN) >= 1)) {
        const why = waitErr ? waitErr.message : !same ? 'reconnected between SADD and WAIT' : 'WAIT 0';
        this.ops.push({ v, type: 'info', call, ret: Date.now(), node: this.where(), err: why.slice(0, 60) });
        return;
      }
      this.ops.push({ v, type: 'ok', call, ret: Date.now(), node: this.where() });
    } catch (err) {
      const msg = err instanceof Error ? err.message : String(err);
      const definite = err instanceof ReplyError;
      this.ops.push({
        v,
        type: definite ? 'fail' : 'info',
        call,
        ret: Date.now(),
        node: this.where(),
        err: msg.slice(0, 60),
      });
    }
  }

  async stop(): Promise<void> {
    this.running = false;
    await this.loop;
    this.client.disconnect();
  }
}

export interface SetCheck {
  key: string;
  attempted: number;
  ok: number;
  fail: number;
  info: number;
  lost: number;
  lostPct: number;
  unexpected: number;
  failedButPresent: number;
  recovered: number;
  /** First call / last return of lost ops, ms relative to the cluster start. */
  lostWindow: [number, number] | null;
  /** Lost acknowledged writes per acknowledging server. */
  lostByNode: Record<string, number>;
  /** A few lost ops, for the report. */
  lostSample: Op[];
}

/** The set checker of reliability.md §6.3. */
export function checkSet(key: string, ops: Op[], present: Set<string>, t0: number): SetCheck {
  const attempted = new Set(ops.map((o) => o.v));
  const okOps = ops.filter((o) => o.type === 'ok');
  const lostOps = okOps.filter((o) => !present.has(o.v));
  let unexpected = 0;
  for (const v of present) if (!attempted.has(v)) unexpected++;
  const lostWindow: [number, number] | null = lostOps.length
    ? [Math.min(...lostOps.map((o) => o.call)) - t0, Math.max(...lostOps.map((o) => o.ret)) - t0]
    : null;
  return {
    key,
    attempted: ops.length,
    ok: okOps.length,
    fail: ops.filter((o) => o.type === 'fail').length,
    info: ops.filter((o) => o.type === 'info').length,
    lost: lostOps.length,
    lostPct: okOps.length ? Math.round((1000 * lostOps.length) / okOps.length) / 10 : 0,
    unexpected,
    failedButPresent: ops.filter((o) => o.type === 'fail' && present.has(o.v)).length,
    recovered: ops.filter((o) => o.type === 'info' && present.has(o.v)).length,
    lostWindow,
    lostByNode: lostOps.reduce<Record<string, number>>((acc, o) => {
      const k = o.node ?? '?';
      acc[k] = (acc[k] ?? 0) + 1;
      return acc;
    }, {}),
    lostSample: lostOps.slice(0, 5).map((o) => ({ ...o, call: o.call - t0, ret: o.ret - t0 })),
  };
}
