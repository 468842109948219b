// The CLIENT LIST reply of a monitored instance, read for one purpose: which connections a coordinated manual
// failover should drop when it demotes the old master. Pure; the text is hostile input (bounded, never trusted
// beyond the two fields used).

/** More clients than this and the demotion falls back to Redis's `CLIENT KILL TYPE` (one command per client). */
export const MAX_KILL_IDS = 2000;

/**
 * Client ids to kill from one `CLIENT LIST TYPE ...` reply: every connection except sentinels' own, which name
 * themselves `sentinel-<8 hex>-cmd|pubsub` (Vigil and redis-sentinel alike). Returns null when the reply is not
 * usable (not a client list, too many clients), so the caller can fall back.
 */
export function clientIdsToKill(text: string): string[] | null {
  const ids: string[] = [];
  for (const line of text.split('\n')) {
    const l = line.trim();
    if (l === '') continue;
    const id = /(?:^| )id=(\d{1,20})(?: |$)/.exec(l)?.[1];
    if (id === undefined) return null;
    const name = /(?:^| )name=(\S*)/.exec(l)?.[1] ?? '';
    if (/^sentinel-[0-9a-f]{8}-(?:cmd|pubsub)$/.test(name)) continue;
    ids.push(id);
    if (ids.length > MAX_KILL_IDS) return null;
  }
  return ids;
}
