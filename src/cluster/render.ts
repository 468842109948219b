// Text that `vigil up`/`status` print: the topology table, and how to point Centrifugo, jambonz, ioredis and
// redis-cli at the cluster. Pure: strings in, strings out. Key names follow docs/reference (clients.md §5, §6).

/** What `vigil up --json` prints, one line, once the cluster is ready. */
export interface ClusterSummary {
  masterName: string;
  master: string;
  replicas: string[];
  sentinels: string[];
  proxy?: string;
  /** The dashboard `vigil up` serves (absent with --impl redis). */
  dashboard?: { url: string };
  dir: string;
}

export interface TableRow {
  role: string;
  address: string;
  state: string;
  pid?: number | undefined;
}

export function renderTable(rows: TableRow[]): string {
  const header = { role: 'ROLE', address: 'ADDRESS', state: 'STATE', pid: 'PID' };
  const withPid = rows.some((r) => r.pid !== undefined);
  const cells = [header, ...rows.map((r) => ({ ...r, pid: r.pid === undefined ? '-' : String(r.pid) }))];
  const w = (k: 'role' | 'address' | 'pid'): number => Math.max(...cells.map((c) => c[k].length));
  return cells
    .map((c) =>
      [
        c.role.padEnd(w('role')),
        c.address.padEnd(w('address')),
        ...(withPid ? [c.pid.padStart(w('pid'))] : []),
        c.state,
      ]
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

function hostPort(a: string): { host: string; port: number } {
  const i = a.lastIndexOf(':');
  return { host: a.slice(0, i), port: Number(a.slice(i + 1)) };
}

/** The "how to connect" block printed after the table. */
export function renderConnectionHelp(s: ClusterSummary, extra: { proxyHttp?: string | undefined } = {}): string {
  const first = s.sentinels[0] ?? '127.0.0.1:26379';
  const firstPort = hostPort(first).port;
  const sentinelList = s.sentinels.join(',');
  const url =
    `redis+sentinel://${first}?sentinel_master_name=${s.masterName}` +
    s.sentinels
      .slice(1)
      .map((a) => `&addr=${a}`)
      .join('');
  const ioredisSentinels = s.sentinels
    .map(hostPort)
    .map((a) => `{ host: '${a.host}', port: ${a.port} }`)
    .join(', ');
  const out: string[] = [];
  const section = (title: string, body: string[]): void => {
    out.push('', title, ...body.map((l) => (l ? `  ${l}` : '')));
  };

  section('Centrifugo v6 (config.json, or the env var below):', [
    `"engine": { "type": "redis", "redis": { "address": "${url}" } }`,
    `  or: "engine": { "type": "redis", "redis": { "sentinel_address": ["${sentinelList}"], "sentinel_master_name": "${s.masterName}" } }`,
    `CENTRIFUGO_ENGINE_TYPE=redis CENTRIFUGO_ENGINE_REDIS_ADDRESS='${url}'`,
  ]);
  section('Centrifugo v3-v5 (config.json, or env vars):', [
    `"engine": "redis", "redis_sentinel_address": "${sentinelList}", "redis_sentinel_master_name": "${s.masterName}"`,
    `CENTRIFUGO_ENGINE=redis CENTRIFUGO_REDIS_SENTINEL_ADDRESS=${sentinelList} CENTRIFUGO_REDIS_SENTINEL_MASTER_NAME=${s.masterName}`,
  ]);
  section('jambonz (replaces JAMBONES_REDIS_HOST / JAMBONES_REDIS_PORT):', [
    `JAMBONES_REDIS_SENTINELS=${sentinelList}`,
    `JAMBONES_REDIS_SENTINEL_MASTER_NAME=${s.masterName}`,
    `# No passwords here. With auth: JAMBONES_REDIS_SENTINEL_PASSWORD is the *Redis data node* password;`,
    `# the sentinels' own password is JAMBONES_REDIS_SENTINEL_SERVER_PASSWORD.`,
  ]);
  section('ioredis:', [`new Redis({ sentinels: [${ioredisSentinels}], name: '${s.masterName}' })`]);
  section('redis-cli:', [
    `redis-cli -p ${firstPort} SENTINEL get-master-addr-by-name ${s.masterName}`,
    `redis-cli -p ${firstPort} SENTINEL replicas ${s.masterName}`,
    `redis-cli -p ${firstPort} PSUBSCRIBE '*'        # watch failover events`,
    `redis-cli -p ${hostPort(s.master).port} INFO replication`,
  ]);
  if (s.proxy) {
    section('Proxy (always forwards to the current master; for clients without Sentinel support):', [
      `redis-cli -p ${hostPort(s.proxy).port} PING      # ${s.proxy}`,
      ...(extra.proxyHttp ? [`curl http://${extra.proxyHttp}/health     # also /metrics (Prometheus) and /stats`] : []),
    ]);
  }
  if (s.dashboard) section('Dashboard:', [s.dashboard.url]);
  return out.join('\n').replace(/^\n/, '');
}
