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
  for (const rawLine of text.split('\n')) {
    const l = rawLine.endsWith('\r') ? rawLine.slice(0, -1) : rawLine;
    if (l.length >= 47 && l.startsWith('run_id:')) {
      out.runId = l.slice(7, 47);
      continue;
    }
    if (l.startsWith('slave') && /^slave\d+:/.test(l)) {
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
        out.replicas.push({ host, port: Number(port) });
      }
      continue;
    }
    const colon = l.indexOf(':');
    if (colon === -1) continue;
    const key = l.slice(0, colon);
    const val = l.slice(colon + 1);
    switch (key) {
      case 'master_link_down_since_seconds':
        out.masterLinkDownMs = toInt(val) * 1000;
        break;
      case 'role':
        if (val === 'master') out.role = 'master';
        else if (val === 'slave') out.role = 'slave';
        break;
      case 'master_host':
        out.masterHost = val;
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
  return out;
}

/** atoi-like: leading integer, 0 when none (Redis uses atoi/strtoll on these fields). */
function toInt(s: string): number {
  const m = /^\s*(-?\d+)/.exec(s);
  return m?.[1] !== undefined ? Number(m[1]) : 0;
}
