// Parses the INFO text a monitored redis-server returns into the fields Sentinel acts on
// (sentinelRefreshInstanceInfo, sentinel.c:2513). Pure: no I/O.

export interface ParsedInfo {
  /** `run_id` (40 chars) or null if absent. */
  runId: string | null;
  role: 'master' | 'slave' | null;
  /** Replicas listed by a master (`slaveN:ip=..,port=..` or the pre-2.8 `slaveN:<ip>,<port>,<state>`). */
  replicas: Array<{ host: string; port: number }>;
  /** `master_link_down_since_seconds` × 1000, 0 when absent. */
  masterLinkDownMs: number;
  masterHost: string | null;
  masterPort: number | null;
  /** `master_link_status:up` → true; any other value → false; null when absent. */
  masterLinkUp: boolean | null;
  slavePriority: number | null;
  slaveReplOffset: number | null;
  /** `master_repl_offset` (a master's replication offset), null when absent. */
  masterReplOffset: number | null;
  replicaAnnounced: number | null;
}

/**
 * One pass over the text without splitting it: an INFO reply is ~100 lines and each master's arrives every
 * INFO period, so a string per line (and per key and value) was ~17 % of the bytes a sentinel allocated at 200
 * masters (bench/scale allocation profile). Only the values of the lines below are cut out. Lines end at `\n`,
 * one trailing `\r` removed; a line's key is what precedes its first `:`. test/unit/info-parse.test.ts checks
 * this against the split-per-line parser it replaced.
 */
export function parseInfo(text: string): ParsedInfo {
  const out: ParsedInfo = {
    runId: null,
    role: null,
    replicas: [],
    masterLinkDownMs: 0,
    masterHost: null,
    masterPort: null,
    masterLinkUp: null,
    slavePriority: null,
    slaveReplOffset: null,
    masterReplOffset: null,
    replicaAnnounced: null,
  };
  const n = text.length;
  let start = 0;
  while (start <= n) {
    let end = text.indexOf('\n', start);
    if (end === -1) end = n;
    const next = end + 1;
    if (end > start && text.charCodeAt(end - 1) === 0x0d) end--;
    infoLine(text, start, end, out);
    start = next;
  }
  return out;
}

/** The keys parseInfo reads with a plain value, by their first character. */
const KEYS_M = [
  'master_link_down_since_seconds',
  'master_host',
  'master_port',
  'master_link_status',
  'master_repl_offset',
];
const KEYS_R = ['role', 'replica_announced'];
const KEYS_S = ['slave_priority', 'slave_repl_offset'];

/** The line text[start, end) (without its line ending). */
function infoLine(text: string, start: number, end: number, out: ParsedInfo): void {
  const len = end - start;
  if (len === 0) return;
  const c0 = text.charCodeAt(start);
  if (c0 === 0x72 /* r */ && len >= 47 && text.startsWith('run_id:', start)) {
    out.runId = detach(text.slice(start + 7, start + 47));
    return;
  }
  if (c0 === 0x73 /* s */ && isSlaveLine(text, start, end)) {
    const l = text.slice(start, end);
    const body = l.slice(l.indexOf(':') + 1);
    let host: string | undefined;
    let port: string | undefined;
    if (body.includes('ip=')) {
      for (const kv of body.split(',')) {
        const eq = kv.indexOf('=');
        if (eq === -1) continue;
        const k = kv.slice(0, eq);
        if (k === 'ip') host = kv.slice(eq + 1);
        else if (k === 'port') port = kv.slice(eq + 1);
      }
    } else {
      const parts = body.split(',');
      host = parts[0];
      port = parts[1];
    }
    if (host !== undefined && port !== undefined && /^\d+$/.test(port)) {
      out.replicas.push({ host: detach(host), port: Number(port) });
    }
    return;
  }
  const keys = c0 === 0x6d /* m */ ? KEYS_M : c0 === 0x72 ? KEYS_R : c0 === 0x73 ? KEYS_S : null;
  if (keys === null) return;
  const colon = text.indexOf(':', start);
  if (colon === -1 || colon >= end) return;
  let key: string | null = null;
  for (const k of keys) {
    if (colon - start === k.length && text.startsWith(k, start)) {
      key = k;
      break;
    }
  }
  if (key === null) return;
  const val = text.slice(colon + 1, end);
  switch (key) {
    case 'master_link_down_since_seconds':
      out.masterLinkDownMs = toInt(val) * 1000;
      break;
    case 'role':
      if (val === 'master') out.role = 'master';
      else if (val === 'slave') out.role = 'slave';
      break;
    case 'master_host':
      out.masterHost = detach(val);
      break;
    case 'master_port':
      out.masterPort = toInt(val);
      break;
    case 'master_link_status':
      out.masterLinkUp = val.toLowerCase() === 'up';
      break;
    case 'slave_priority':
      out.slavePriority = toInt(val);
      break;
    case 'slave_repl_offset':
      out.slaveReplOffset = toInt(val);
      break;
    case 'master_repl_offset':
      out.masterReplOffset = toInt(val);
      break;
    case 'replica_announced':
      out.replicaAnnounced = toInt(val);
      break;
    default:
      break;
  }
}

/** /^slave\d+:/ on text[start, end). */
function isSlaveLine(text: string, start: number, end: number): boolean {
  if (end - start < 7 || !text.startsWith('slave', start)) return false;
  let i = start + 5;
  while (i < end) {
    const c = text.charCodeAt(i);
    if (c < 0x30 || c > 0x39) break;
    i++;
  }
  return i > start + 5 && i < end && text.charCodeAt(i) === 0x3a;
}

/**
 * A copy of `s` that does not point into the INFO text it was cut from. V8 makes a slice of 13 characters or more
 * a view of its parent string, so a run id kept in an Instance kept that whole INFO reply (~5 KB) alive until
 * the next +reboot: 1 MB at 200 masters (heap snapshot, bench/scale). Only the values that may outlive the
 * reply are copied; joining an array of characters builds a new flat string.
 */
function detach(s: string): string {
  return s.length < 13 ? s : [...s].join('');
}

/** atoi-like: leading integer, 0 when none (Redis uses atoi/strtoll on these fields). */
function toInt(s: string): number {
  const m = /^\s*(-?\d+)/.exec(s);
  return m?.[1] !== undefined ? Number(m[1]) : 0;
}
