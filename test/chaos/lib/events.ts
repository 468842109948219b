// Event-log checks over the sentinels' log files (Redis format, kept across restarts: both implementations append).
// One sentinel per node, so a node's log is that sentinel's history.
export interface LogEvent {
  node: number;
  /** Wall-clock ms (logs are written with TZ=UTC). */
  at: number;
  type: string;
  rest: string;
}

const MONTHS: Record<string, number> = {
  Jan: 0,
  Feb: 1,
  Mar: 2,
  Apr: 3,
  May: 4,
  Jun: 5,
  Jul: 6,
  Aug: 7,
  Sep: 8,
  Oct: 9,
  Nov: 10,
  Dec: 11,
};
const LINE = /^\d+:X (\d\d) (\w{3}) (\d{4}) (\d\d):(\d\d):(\d\d)\.(\d{3}) [#*.-] ([+-][\w-]+) ?(.*)$/;

export function parseLog(node: number, text: string): LogEvent[] {
  const out: LogEvent[] = [];
  for (const line of text.split('\n')) {
    const m = LINE.exec(line);
    if (!m) continue;
    const at = Date.UTC(
      Number(m[3]),
      MONTHS[m[2] as string] ?? 0,
      Number(m[1]),
      Number(m[4]),
      Number(m[5]),
      Number(m[6]),
      Number(m[7]),
    );
    out.push({ node, at, type: m[8] as string, rest: m[9] ?? '' });
  }
  return out;
}

export interface ElectionCheck {
  /** epoch -> nodes that logged +elected-leader for it. */
  leaders: Record<string, number[]>;
  violations: string[];
}

/**
 * At most one leader per epoch, and no sentinel voting for two candidates in one epoch (across its restarts).
 * A sentinel's failover epoch is the `+new-epoch` it logged right before its `+try-failover`.
 */
export function checkElections(perNode: LogEvent[][]): ElectionCheck {
  const leaders = new Map<number, Set<number>>();
  const violations: string[] = [];
  perNode.forEach((events, node) => {
    let lastNew = -1;
    let failoverEpoch = -1;
    const votes = new Map<number, Set<string>>();
    for (const e of events) {
      if (e.type === '+new-epoch') lastNew = Number(e.rest.trim().split(/\s+/).pop());
      else if (e.type === '+try-failover') failoverEpoch = lastNew;
      else if (e.type === '+elected-leader') {
        const s = leaders.get(failoverEpoch) ?? new Set<number>();
        s.add(node);
        leaders.set(failoverEpoch, s);
      } else if (e.type === '+vote-for-leader') {
        const [runid, epoch] = e.rest.trim().split(/\s+/).slice(-2);
        const ep = Number(epoch);
        const s = votes.get(ep) ?? new Set<string>();
        s.add(runid ?? '');
        votes.set(ep, s);
      }
    }
    for (const [ep, s] of votes)
      if (s.size > 1) violations.push(`n${node + 1} voted for ${s.size} leaders in epoch ${ep}: ${[...s].join(', ')}`);
  });
  const out: Record<string, number[]> = {};
  for (const [ep, s] of leaders) {
    out[String(ep)] = [...s].map((n) => n + 1);
    if (s.size > 1) violations.push(`epoch ${ep} has ${s.size} leaders: ${[...s].map((n) => `n${n + 1}`).join(', ')}`);
  }
  return { leaders: out, violations };
}

/** Events that mean "this sentinel is failing the master over" (it must be on a majority side). */
export const ACTING = new Set(['+elected-leader', '+failover-state-send-slaveof-noone', '+promoted-slave']);
