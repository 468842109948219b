// waitFor: poll a named condition until it holds or its deadline passes. Never a fixed sleep.

export interface WaitForOptions {
  /** What we are waiting for; appears in the timeout error. */
  name: string;
  timeoutMs: number;
  /** Poll period in ms (default 25). */
  intervalMs?: number;
  /** Extra context appended to the timeout error (e.g. process log tails). */
  context?: () => string;
}

/**
 * Resolves with the first truthy value `cond` returns (sync or async). A throwing `cond` counts as "not yet" and
 * its last error is reported on timeout.
 */
export async function waitFor<T>(cond: () => T | Promise<T>, opts: WaitForOptions): Promise<NonNullable<T>> {
  const deadline = Date.now() + opts.timeoutMs;
  const interval = opts.intervalMs ?? 25;
  let lastErr: unknown;
  for (;;) {
    try {
      const v = await cond();
      if (v) return v as NonNullable<T>;
    } catch (err) {
      lastErr = err;
    }
    if (Date.now() >= deadline) break;
    await new Promise((r) => setTimeout(r, Math.min(interval, Math.max(1, deadline - Date.now()))));
  }
  const why = lastErr instanceof Error ? ` (last error: ${lastErr.message})` : '';
  const ctx = opts.context ? `\n${opts.context()}` : '';
  throw new Error(`timed out after ${opts.timeoutMs} ms waiting for: ${opts.name}${why}${ctx}`);
}
