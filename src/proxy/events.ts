// Parsing of Sentinel pub/sub payloads and `SENTINEL MASTER` / `SENTINEL REPLICAS` records into plain values the
// router understands. Pure: no I/O, no clock. Payload formats follow Redis Sentinel 7.0 (`sentinelEvent`, %@).

export interface Addr {
  host: string;
  port: number;
}

export function addrKey(a: Addr): string {
  return a.host.includes(':') ? `[${a.host}]:${a.port}` : `${a.host}:${a.port}`;
}

export function sameAddr(a: Addr | null | undefined, b: Addr | null | undefined): boolean {
  return a != null && b != null && a.port === b.port && a.host === b.host;
}

/** Parse `host:port` (also `[v6]:port`). Throws a one-line error on bad input. */
export function parseHostPort(text: string): Addr {
  const t = text.trim();
  let host: string;
  let portText: string;
  if (t.startsWith('[')) {
    const end = t.indexOf(']');
    if (end === -1 || t[end + 1] !== ':') throw new Error(`bad address '${text}': expected [host]:port`);
    host = t.slice(1, end);
    portText = t.slice(end + 2);
  } else {
    const colon = t.lastIndexOf(':');
    if (colon <= 0) throw new Error(`bad address '${text}': expected host:port`);
    host = t.slice(0, colon);
    portText = t.slice(colon + 1);
  }
  const port = Number(portText);
  if (!/^\d+$/.test(portText) || !Number.isInteger(port) || port < 0 || port > 65535) {
    throw new Error(`bad port in '${text}'`);
  }
  return { host, port };
}

/** `a:1,b:2` — the JAMBONES_REDIS_SENTINELS form. */
export function parseSentinelList(text: string): Addr[] {
  const out = text
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0)
    .map(parseHostPort);
  if (out.length === 0) throw new Error('empty sentinel list: expected host:port[,host:port...]');
  return out;
}

/** What an event says about which master it concerns (and, for replica events, which replica). */
export interface EventSubject {
  masterName: string;
  master: Addr;
  /** Set for `slave ...` (replica-typed) payloads: the replica the event names. */
  replica?: Addr;
}

function toPort(s: string | undefined): number | null {
  if (s === undefined || !/^\d+$/.test(s)) return null;
  const n = Number(s);
  return n <= 65535 ? n : null;
}

/**
 * Parse the `%@` part of an event payload:
 *   master <name> <ip> <port> [...]
 *   slave <ip:port> <ip> <port> @ <name> <mip> <mport> [...]
 * Sentinel-typed payloads (`sentinel <runid> ...`) yield the master after `@` with no replica.
 */
export function parseEventSubject(payload: string): EventSubject | null {
  const w = payload.split(' ');
  if (w[0] === 'master') {
    const port = toPort(w[3]);
    if (w[1] === undefined || w[2] === undefined || port === null) return null;
    return { masterName: w[1], master: { host: w[2], port } };
  }
  if (w[0] === 'slave' || w[0] === 'sentinel') {
    if (w[4] !== '@') return null;
    const port = toPort(w[3]);
    const mport = toPort(w[7]);
    if (w[2] === undefined || port === null || w[5] === undefined || w[6] === undefined || mport === null) return null;
    const subj: EventSubject = { masterName: w[5], master: { host: w[6], port: mport } };
    if (w[0] === 'slave') subj.replica = { host: w[2], port };
    return subj;
  }
  return null;
}

/** `+switch-master <name> <old-ip> <old-port> <new-ip> <new-port>` */
export function parseSwitchMaster(payload: string): { masterName: string; from: Addr; to: Addr } | null {
  const w = payload.split(' ');
  const op = toPort(w[2]);
  const np = toPort(w[4]);
  if (w.length < 5 || w[0] === undefined || w[1] === undefined || w[3] === undefined || op === null || np === null) {
    return null;
  }
  return { masterName: w[0], from: { host: w[1], port: op }, to: { host: w[3], port: np } };
}

/** A field map from an instance record (RESP2 flat array, or RESP3 map already turned into pairs). */
export type Record = ReadonlyMap<string, string>;

export function recordFromFlat(items: ReadonlyArray<unknown>): Record {
  const m = new Map<string, string>();
  for (let i = 0; i + 1 < items.length; i += 2) {
    m.set(String(items[i]), String(items[i + 1]));
  }
  return m;
}

/** What one sentinel's `SENTINEL MASTER <name>` says, reduced to what routing needs. */
export interface MasterReport {
  addr: Addr;
  configEpoch: number;
  /** flags contain o_down */
  odown: boolean;
  /** flags contain failover_in_progress */
  failoverInProgress: boolean;
}

export function masterReportFromRecord(r: Record): MasterReport | null {
  const host = r.get('ip');
  const port = toPort(r.get('port'));
  const epochText = r.get('config-epoch') ?? '0';
  if (host === undefined || port === null || !/^\d+$/.test(epochText)) return null;
  const flags = (r.get('flags') ?? '').split(',');
  return {
    addr: { host, port },
    configEpoch: Number(epochText),
    odown: flags.includes('o_down'),
    failoverInProgress: flags.includes('failover_in_progress'),
  };
}

/** Addresses of replicas a sentinel knows for the master (from `SENTINEL REPLICAS <name>`). */
export function replicaAddrsFromRecords(records: ReadonlyArray<Record>): Addr[] {
  const out: Addr[] = [];
  for (const r of records) {
    const host = r.get('ip');
    const port = toPort(r.get('port'));
    if (host !== undefined && port !== null) out.push({ host, port });
  }
  return out;
}
