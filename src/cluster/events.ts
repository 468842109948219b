// Sentinel events as they happen: PSUBSCRIBE * on every sentinel, each message stamped with the elapsed time
// since a reference instant. Used by `vigil failover`, `vigil demo` and the supervisor of `vigil up`.
import { RespConn } from '../link/link.js';
import type { Addr } from './inspect.js';

export interface SentinelEvent {
  /** Milliseconds since the watch's reference time (monotonic clock). */
  elapsedMs: number;
  /** The sentinel that published it, host:port. */
  sentinel: string;
  /** Event name = channel, e.g. `+switch-master`. */
  event: string;
  payload: string;
}

export class EventWatch {
  private readonly conns: RespConn[] = [];
  private t0Ms: number;

  private constructor(private readonly onEvent: (e: SentinelEvent) => void) {
    this.t0Ms = performance.now();
  }

  /** Subscribes on every reachable sentinel; returns the watch and the sentinels it could not reach. */
  static async start(
    sentinels: Addr[],
    onEvent: (e: SentinelEvent) => void,
  ): Promise<{ watch: EventWatch; unreachable: Array<{ sentinel: string; error: string }> }> {
    const watch = new EventWatch(onEvent);
    const unreachable: Array<{ sentinel: string; error: string }> = [];
    await Promise.all(
      sentinels.map(async (s) => {
        const name = `${s.host}:${s.port}`;
        try {
          const c = await RespConn.open(s.host, s.port, { connectTimeoutMs: 1000, callTimeoutMs: 2000 });
          watch.conns.push(c);
          await c.subscribe('psubscribe', ['*'], (channel, payload) => {
            watch.onEvent({
              elapsedMs: Math.round(performance.now() - watch.t0Ms),
              sentinel: name,
              event: channel,
              payload,
            });
          });
        } catch (err) {
          unreachable.push({ sentinel: name, error: err instanceof Error ? err.message : String(err) });
        }
      }),
    );
    return { watch, unreachable };
  }

  /** Restart the clock: elapsed times count from now. */
  resetClock(): void {
    this.t0Ms = performance.now();
  }

  elapsedMs(): number {
    return Math.round(performance.now() - this.t0Ms);
  }

  close(): void {
    for (const c of this.conns) c.close();
  }
}

/** `+switch-master <name> <old-ip> <old-port> <new-ip> <new-port>` → new master address, if for `masterName`. */
export function switchTarget(e: SentinelEvent, masterName: string): string | undefined {
  if (e.event !== '+switch-master') return undefined;
  const p = e.payload.split(' ');
  if (p[0] !== masterName || p.length < 5) return undefined;
  return `${p[3]}:${p[4]}`;
}

export function formatEvent(e: SentinelEvent, label?: string): string {
  const t = `${e.elapsedMs} ms`.padStart(9);
  return `${t}  ${label ?? e.sentinel}  ${e.event} ${e.payload}`;
}
