// Client limits from sentinel.conf: client-query-buffer-limit, proto-max-bulk-len and client-output-buffer-limit
// (normal and pubsub classes) as ServerOptions. They reach the parsed config as generic directives (arguments
// kept as written); this turns them into numbers. Pure.
import { parseMemory } from '../config/generic.js';
import type { OutputBufferLimit, ServerOptions } from './options.js';

/**
 * Pending output above which the server stops reading from a client (and stops running its queued commands'
 * successors) until the socket drains. Redis never stops reading a normal client and leaves its output
 * unlimited by default; this bounds a client that pipelines commands and never reads its replies to about this
 * much plus the replies to one read.
 */
export const OUTPUT_HIGH_WATER_BYTES = 1024 * 1024;

function mem(s: string | undefined): number | undefined {
  if (s === undefined) return undefined;
  const v = parseMemory(s);
  return v === null ? undefined : Number(v);
}

/** The limit options set in the file (`other` holds generic directives: name → arguments). */
export function limitOptions(other: Record<string, readonly string[]>): Partial<ServerOptions> {
  const out: Partial<ServerOptions> = {};
  const q = mem(other['client-query-buffer-limit']?.[0]);
  if (q !== undefined) out.clientQueryBufferLimitBytes = q;
  const b = mem(other['proto-max-bulk-len']?.[0]);
  if (b !== undefined) out.protoMaxBulkLenBytes = b;
  // `client-output-buffer-limit <class> <hard> <soft> <seconds> [<class> ...]`; replica/slave does not apply
  // to a sentinel. Several lines accumulate (src/config/parse.ts), a later class setting overriding an earlier.
  const args = other['client-output-buffer-limit'] ?? [];
  for (let i = 0; i + 3 < args.length; i += 4) {
    const cls = (args[i] as string).toLowerCase();
    const hard = mem(args[i + 1]);
    const soft = mem(args[i + 2]);
    const secs = Number(args[i + 3]);
    if (hard === undefined || soft === undefined || !Number.isInteger(secs) || secs < 0) continue;
    const limit: OutputBufferLimit = { hardBytes: hard, softBytes: soft, softMs: secs * 1000 };
    if (cls === 'normal') out.normalOutputLimit = limit;
    else if (cls === 'pubsub') out.pubsubOutputLimit = limit;
  }
  return out;
}
