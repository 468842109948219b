// Follows one failover through the sentinels' events: who switched to which master, whether the leader finished,
// whether it aborted. Pure bookkeeping over SentinelEvent values (no I/O), shared by `vigil failover` and `demo`.
import { switchTarget, type SentinelEvent } from './events.js';

export class FailoverTracker {
  /** sentinel address → the master it switched to. */
  readonly switched = new Map<string, { to: string; atMs: number }>();
  failoverEndAtMs: number | undefined;
  abort: SentinelEvent | undefined;
  firstOf = new Map<string, number>();

  constructor(
    readonly masterName: string,
    readonly oldMaster: string,
  ) {}

  observe(e: SentinelEvent): void {
    if (!this.firstOf.has(e.event)) this.firstOf.set(e.event, e.elapsedMs);
    const to = switchTarget(e, this.masterName);
    if (to && to !== this.oldMaster) this.switched.set(e.sentinel, { to, atMs: e.elapsedMs });
    if (e.event === '+failover-end' && e.payload.split(' ')[1] === this.masterName)
      this.failoverEndAtMs ??= e.elapsedMs;
    if (e.event.startsWith('-failover-abort') && e.payload.split(' ')[1] === this.masterName) this.abort ??= e;
  }

  /** The new master, once any sentinel announced the switch. */
  get newMaster(): string | undefined {
    return [...this.switched.values()][0]?.to;
  }

  /** Every listed sentinel published +switch-master (the leader does so only at failover end). */
  allSwitched(sentinels: string[]): boolean {
    return sentinels.length > 0 && sentinels.every((s) => this.switched.has(s));
  }
}

/** Short labels s1..sN for sentinels in a timeline. */
export function sentinelLabels(sentinels: string[]): Map<string, string> {
  return new Map(sentinels.map((s, i) => [s, `s${i + 1} ${s}`]));
}

/** Events that tell the story of a failover; the rest (+vote-for-leader, +slave, role changes...) is detail. */
export const STORY_EVENTS = new Set([
  '+sdown',
  '+odown',
  '+try-failover',
  '+elected-leader',
  '+selected-slave',
  '+promoted-slave',
  '+slave-reconf-done',
  '+switch-master',
  '+failover-end',
  '+failover-end-for-timeout',
  '+convert-to-slave',
]);
