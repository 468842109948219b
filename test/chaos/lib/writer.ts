// Set workload (reliability.md §6.2-6.3): a client SADDs unique ids every ~20 ms and records each op as ok / fail
// / info. Definite error replies (READONLY, NOREPLICAS, ...) are `fail`; timeouts and closed connections are
// `info` (indeterminate). The WAIT variant counts a write `ok` only when `WAIT 1 200` confirms a replica has it.
import { Redis, ReplyError, type RedisOptions } from 'ioredis';

export interface Op {
  v: string;
  type: 'ok' | 'fail' | 'info';
  call: number;
  ret: number;
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

  private async one(v: string): Promise<void> {
    const call = Date.now();
    try {
      await this.client.sadd(this.key, v);
      if (this.wait) {
        const n = Number(await this.client.call('WAIT', '1', '200'));
        if (!(n >= 1)) {
          this.ops.push({ v, type: 'info', call, ret: Date.now(), err: 'WAIT 0' });
          return;
        }
      }
      this.ops.push({ v, type: 'ok', call, ret: Date.now() });
    } catch (err) {
      const msg = err instanceof Error ? err.message : String(err);
      // A WAIT error after a successful SADD is indeterminate, like a timeout.
      const definite = err instanceof ReplyError && !msg.startsWith('WAIT');
      this.ops.push({ v, type: definite ? 'fail' : 'info', call, ret: Date.now(), err: msg.slice(0, 60) });
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
  };
}
