// `vigil failover`: SENTINEL FAILOVER on one sentinel of DIR, with every sentinel's events printed as they arrive
// (PSUBSCRIBE * on all of them), stamped with the milliseconds since the command was sent.
import { EventWatch, formatEvent, type SentinelEvent } from '../cluster/events.js';
import { masterAddrFrom, parseAddr } from '../cluster/inspect.js';
import { callOnce } from '../link/link.js';
import { FailoverTracker, sentinelLabels, STORY_EVENTS } from '../cluster/timeline.js';
import { parse, clusterDir, requireState, out, err, UserError } from './common.js';

export const FAILOVER_HELP = `vigil failover [--dir DIR] [--brief]   SENTINEL FAILOVER with a live event timeline`;

export async function runFailover(argv: string[]): Promise<number> {
  const { values: v } = parse(argv, { dir: { type: 'string' }, brief: { type: 'boolean' } } as const, 'failover');
  const dir = clusterDir(v.dir);
  const s = requireState(dir);
  const name = s.options.masterName;
  const sentinels = s.processes.filter((p) => p.role === 'sentinel').map((p) => `${p.host}:${p.port}`);

  // The sentinel we ask is the leader of a forced failover; pick the first one that answers.
  let leader: string | undefined;
  let oldMaster: string | undefined;
  for (const a of sentinels) {
    try {
      oldMaster = await masterAddrFrom(parseAddr(a), name);
      leader = a;
      break;
    } catch {
      // try the next one
    }
  }
  if (!leader || !oldMaster)
    throw new UserError(`no sentinel of ${dir} answers: is the cluster running? (\`vigil status --dir ${dir}\`)`);

  const labels = sentinelLabels(sentinels);
  const tracker = new FailoverTracker(name, oldMaster);
  let wake: () => void = () => {};
  const onEvent = (e: SentinelEvent): void => {
    tracker.observe(e);
    if (!v.brief || STORY_EVENTS.has(e.event) || e.event.startsWith('-failover-abort'))
      out(formatEvent(e, labels.get(e.sentinel)));
    wake();
  };
  const { watch, unreachable } = await EventWatch.start(sentinels.map(parseAddr), onEvent);
  for (const u of unreachable) err(`vigil: not watching ${u.sentinel}: ${u.error}`);
  const watching = sentinels.filter((a) => !unreachable.some((u) => u.sentinel === a));
  try {
    out(
      `failover of ${name} (master ${oldMaster}) requested from ${labels.get(leader) ?? leader}; events from ${watching.length} sentinel(s):`,
    );
    watch.resetClock();
    let reply: string;
    try {
      const r = await callOnce(parseAddr(leader).host, parseAddr(leader).port, ['SENTINEL', 'FAILOVER', name]);
      reply = String(r);
    } catch (e) {
      throw new UserError(`SENTINEL FAILOVER refused by ${leader}: ${(e as Error).message}`);
    }
    out(`${`${watch.elapsedMs()} ms`.padStart(9)}  ${labels.get(leader) ?? leader}  SENTINEL FAILOVER -> ${reply}`);

    // Done when every watched sentinel switched and the leader ended the failover; bounded by failover-timeout.
    const deadlineMs = 2 * s.options.failoverTimeoutMs + 5000;
    const t0 = Date.now();
    while (!(tracker.allSwitched(watching) && tracker.failoverEndAtMs !== undefined) && !tracker.abort) {
      const left = deadlineMs - (Date.now() - t0);
      if (left <= 0) break;
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, Math.min(left, 500));
        wake = () => {
          clearTimeout(t);
          resolve();
        };
      });
    }
    out('');
    if (tracker.abort) {
      throw new UserError(
        `failover aborted: ${tracker.abort.event} ${tracker.abort.payload} (see the sentinel logs in ${dir})`,
      );
    }
    const to = tracker.newMaster;
    if (!to)
      throw new UserError(
        `no sentinel announced a new master within ${deadlineMs} ms: check \`vigil status --dir ${dir}\``,
      );
    const times = [...tracker.switched.values()].map((x) => x.atMs);
    out(`new master ${to} (was ${oldMaster})`);
    out(
      `  first +switch-master after ${Math.min(...times)} ms; all ${tracker.switched.size}/${watching.length} sentinels after ${Math.max(...times)} ms`,
    );
    if (tracker.failoverEndAtMs !== undefined) out(`  leader +failover-end after ${tracker.failoverEndAtMs} ms`);
    else out(`  the leader has not reported +failover-end yet`);
    out(`  the old master becomes a replica once the sentinels reconfigure it (+convert-to-slave, ~10 s)`);
    return tracker.allSwitched(watching) ? 0 : 1;
  } finally {
    watch.close();
  }
}
