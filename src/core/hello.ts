// Validation of `__sentinel__:hello` payloads and the caps on what discovery may add. A hello reaches us from
// anyone who can PUBLISH on a monitored master or connect to our port, and what it says ends up in sentinel.conf
// (known-sentinel, current-epoch, config-epoch, the master address): so every field is checked here, before the
// core touches its state. Pure: no I/O.

/** Most sentinels remembered per master; hellos from further new run ids are ignored (Redis has no cap). */
export const MAX_SENTINELS_PER_MASTER = 64;
/** Most replicas remembered per master; further replicas listed in INFO are ignored (Redis has no cap). */
export const MAX_REPLICAS_PER_MASTER = 256;
/**
 * Largest step above our current epoch a hello may announce (current or config epoch). Epochs grow by one per
 * failover attempt, so a real group never jumps by a million; a hello that does is a poison (`1e23`, 2^64-1)
 * meant to pin the group's epochs at a value nothing can exceed. The bound still lets a sentinel that was away
 * through any realistic number of elections rejoin.
 */
export const MAX_EPOCH_JUMP = 1_000_000;
/** Longest hostname accepted (DNS: 253 characters for the name, 255 on the wire). */
export const MAX_HOSTNAME_LEN = 255;

export interface Hello {
  ip: string;
  port: number;
  runId: string;
  currentEpoch: number;
  masterName: string;
  masterIp: string;
  masterPort: number;
  configEpoch: number;
}

export interface HelloContext {
  /** Our current epoch: the base for the jump bound. */
  currentEpoch: number;
  /** `sentinel resolve-hostnames`: hostnames are valid addresses only then (as on config load). */
  resolveHostnames: boolean;
}

export type HelloResult = { ok: true; hello: Hello } | { ok: false; reason: string };

/** Strict dotted-quad IPv4: four decimal parts 0..255 without leading zeros. */
export function isIpv4Literal(s: string): boolean {
  // One pass over the characters (every hello carries two addresses; splitting and a regex per part was ~2 % of
  // the CPU at 200 masters). Same language as `split('.')` into 4 parts each matching /^(0|[1-9][0-9]{0,2})$/
  // with a value <= 255 (test/unit/hello-ipv4.test.ts checks the two agree).
  let parts = 0;
  let digits = 0;
  let value = 0;
  for (let i = 0; i <= s.length; i++) {
    const c = i < s.length ? s.charCodeAt(i) : 0x2e; // the end closes the last part like a dot
    if (c === 0x2e) {
      if (digits === 0 || ++parts > 4) return false;
      digits = 0;
      value = 0;
    } else {
      if (c < 0x30 || c > 0x39) return false;
      if (digits > 0 && value === 0) return false; // a leading zero
      if (++digits > 3) return false;
      value = value * 10 + (c - 0x30);
      if (value > 255) return false;
    }
  }
  return parts === 4;
}

/** IPv6 literal (RFC 4291 text forms, optionally ending in a dotted quad); no zone id, no brackets. */
export function isIpv6Literal(s: string): boolean {
  if (s.length < 2 || s.length > 45) return false;
  const halves = s.split('::');
  if (halves.length > 2) return false;
  const groupsOf = (h: string): string[] | null => (h === '' ? [] : h.split(':'));
  const head = groupsOf(halves[0] as string);
  const tail = halves.length === 2 ? groupsOf(halves[1] as string) : [];
  if (head === null || tail === null) return false;
  const all = [...head, ...tail];
  let count = 0;
  for (let i = 0; i < all.length; i++) {
    const g = all[i] as string;
    if (i === all.length - 1 && g.includes('.')) {
      if (!isIpv4Literal(g)) return false;
      count += 2;
    } else if (/^[0-9a-fA-F]{1,4}$/.test(g)) {
      count += 1;
    } else {
      return false;
    }
  }
  return halves.length === 2 ? count <= 7 : count === 8;
}

export function isIpLiteral(s: string): boolean {
  return isIpv4Literal(s) || isIpv6Literal(s);
}

/**
 * A hostname that can be written to sentinel.conf and resolved later: letters, digits, `-`, `_` and dots, labels
 * of 1..63 characters not starting with `-`, at most MAX_HOSTNAME_LEN in all. No spaces, control characters,
 * quotes or commas (a comma would also split the hello itself).
 */
export function isValidHostname(s: string): boolean {
  if (s.length === 0 || s.length > MAX_HOSTNAME_LEN) return false;
  const labels = s.endsWith('.') ? s.slice(0, -1).split('.') : s.split('.');
  return labels.every((l) => /^[A-Za-z0-9_][A-Za-z0-9_-]{0,62}$/.test(l));
}

/** An address a peer or a monitored instance may make us store: an IP literal, or a hostname when allowed. */
export function isValidAddress(s: string, resolveHostnames: boolean): boolean {
  return isIpLiteral(s) || (resolveHostnames && isValidHostname(s));
}

export function isPort(n: number): boolean {
  return Number.isInteger(n) && n >= 1 && n <= 65535;
}

/** A TCP port as decimal digits, 1..65535. */
function parsePort(s: string): number | null {
  if (!/^[1-9][0-9]{0,4}$/.test(s)) return null;
  const n = Number(s);
  return n <= 65535 ? n : null;
}

/** An epoch as plain decimal digits (no sign, exponent or spaces) that is a safe integer. */
function parseEpoch(s: string): number | null {
  if (!/^(0|[1-9][0-9]{0,15})$/.test(s)) return null;
  const n = Number(s);
  return Number.isSafeInteger(n) ? n : null;
}

function bad(reason: string): HelloResult {
  return { ok: false, reason };
}

/**
 * Parse and validate a hello: `ip,port,runid,current_epoch,master_name,master_ip,master_port,master_config_epoch`.
 * Whether the master name is one we monitor and whether the run id is ours is the caller's business.
 */
export function parseHello(payload: string, ctx: HelloContext): HelloResult {
  const tok = payload.split(',');
  if (tok.length !== 8) return bad(`${tok.length} fields instead of 8`);
  const [ip, portS, runId, epochS, masterName, masterIp, masterPortS, cfgEpochS] = tok as [
    string,
    string,
    string,
    string,
    string,
    string,
    string,
    string,
  ];
  if (!isValidAddress(ip, ctx.resolveHostnames)) return bad('invalid sentinel address');
  const port = parsePort(portS);
  if (port === null) return bad('invalid sentinel port');
  if (!/^[0-9a-fA-F]{40}$/.test(runId)) return bad('run id is not 40 hex digits');
  const currentEpoch = parseEpoch(epochS);
  if (currentEpoch === null) return bad('invalid current epoch');
  if (masterName.length === 0) return bad('empty master name');
  if (!isValidAddress(masterIp, ctx.resolveHostnames)) return bad('invalid master address');
  const masterPort = parsePort(masterPortS);
  if (masterPort === null) return bad('invalid master port');
  const configEpoch = parseEpoch(cfgEpochS);
  if (configEpoch === null) return bad('invalid config epoch');
  const limit = ctx.currentEpoch + MAX_EPOCH_JUMP;
  if (currentEpoch > limit || configEpoch > limit) return bad(`epoch more than ${MAX_EPOCH_JUMP} above ours`);
  return { ok: true, hello: { ip, port, runId, currentEpoch, masterName, masterIp, masterPort, configEpoch } };
}

/**
 * At most one log line per `periodMs` for one kind of dropped input, with the number suppressed in between, so a
 * flood cannot fill the log. Time comes from the caller (the core's clock).
 */
export class RateLimitedWarning {
  private lastAt = -Infinity;
  private suppressed = 0;

  constructor(private readonly periodMs: number) {}

  /** The line to log now, or null when one was logged less than periodMs ago. */
  next(now: number, text: string): string | null {
    if (now - this.lastAt < this.periodMs) {
      this.suppressed++;
      return null;
    }
    const more = this.suppressed > 0 ? ` (${this.suppressed} similar messages suppressed)` : '';
    this.lastAt = now;
    this.suppressed = 0;
    return `${text}${more}`;
  }
}

/** Hostile text made safe for one log line: at most 120 characters, quoted with control characters escaped. */
export function excerpt(s: string): string {
  return JSON.stringify(s.length > 120 ? `${s.slice(0, 120)}…` : s);
}
