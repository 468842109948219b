// Whether a client session may be moved to a new master at a switch instead of being closed (re-pointing).
// Pure: no I/O. Contract: `RequestTracker.idle` is true only if every request the client sent was a complete,
// canonical frame of an allow-listed command (REPOINT_COMMANDS), every one of them has been answered with exactly
// one complete reply, and no request or reply is partly seen. Anything else — an unknown or state-changing
// command, a malformed or oversized frame, a reply nobody asked for — makes the session sticky for good: it is
// closed at a switch, as before. The allow-list errs on the side of closing.
import { scanRequest, scan, INCOMPLETE, EMPTY, MUX_COMMANDS, PartialFrame, ReplyScanner, INVALID } from './frames.js';

/**
 * Commands after which a connection carries no state a new connection would lack: each is answered with exactly
 * one reply, and none reads or changes connection state (no AUTH/HELLO, SELECT, MULTI/WATCH, subscriptions,
 * CLIENT ..., READONLY, MONITOR, RESET, no blocking command, no script). The same set `--mux` may share one
 * connection for, for the same reason.
 */
export const REPOINT_COMMANDS: ReadonlySet<string> = MUX_COMMANDS;

/** True when `cmd` (a command name as sent, any case) leaves a connection re-pointable. */
export function isRepointCommand(cmd: string): boolean {
  return REPOINT_COMMANDS.has(cmd.toLowerCase());
}

/** A request frame longer than this makes the session sticky instead of being kept while it arrives (bytes). */
const PARTIAL_MAX = 1024 * 1024;

/**
 * Follows one connection's request and reply streams (fed the bytes as they are forwarded, in order) to tell
 * when it is idle and stateless. Once sticky it keeps nothing and ignores what it is fed.
 */
export class RequestTracker {
  /** Complete requests sent, and complete replies seen (RESP2: the tracked commands never switch protocol). */
  private requests = 0;
  private replies = 0;
  private partial: PartialFrame | null = new PartialFrame();
  private replyScan: ReplyScanner | null = new ReplyScanner();
  /** Why it went sticky ('' while tracking), for logs and tests. */
  stickyReason = '';

  get sticky(): boolean {
    return this.stickyReason !== '';
  }

  /** Idle and stateless: the session may be moved to another master now. */
  get idle(): boolean {
    return (
      !this.sticky &&
      this.requests === this.replies &&
      this.partial !== null &&
      this.partial.size === 0 &&
      this.replyScan !== null &&
      this.replyScan.atBoundary
    );
  }

  /** Bytes the client sent (before they are written upstream). */
  request(chunk: Buffer): void {
    const partial = this.partial;
    if (partial === null) return;
    const b = partial.take(chunk);
    if (b === null) return;
    const resume = partial.resume;
    let at = 0;
    while (at < b.length) {
      const e = scanRequest(b, at, at === 0 ? resume : null);
      if (e === INCOMPLETE) {
        if (scan.need - at > PARTIAL_MAX || b.length - at > PARTIAL_MAX) {
          this.stick('request too large to follow');
          return;
        }
        partial.keep(b, at);
        return;
      }
      if (e === EMPTY) {
        // Redis answers nothing to an empty line or `*0`.
        at = scan.need;
        continue;
      }
      if (e === INVALID || e < 0) {
        this.stick('request not in canonical form');
        return;
      }
      if (!REPOINT_COMMANDS.has(scan.cmd)) {
        this.stick(`command '${scan.cmd}' may change connection state`);
        return;
      }
      this.requests++;
      at = e;
    }
  }

  /** Bytes the server sent (before they are written to the client). */
  reply(chunk: Buffer): void {
    const rs = this.replyScan;
    if (rs === null) return;
    const end = rs.advance(chunk, 0, Number.MAX_SAFE_INTEGER);
    if (end < 0) {
      this.stick('reply not RESP2');
      return;
    }
    this.replies += rs.done;
    if (this.replies > this.requests) this.stick('reply nobody asked for');
  }

  private stick(reason: string): void {
    this.stickyReason = reason;
    this.partial = null;
    this.replyScan = null;
  }
}
