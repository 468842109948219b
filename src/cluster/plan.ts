// The layout of a local HA cluster: which process runs on which port, in which directory, with which config text.
// Pure: no I/O. `vigil up` turns a plan into processes; tests and `vigil status` read the same shape back.

export type SentinelImpl = 'vigil' | 'redis';
export type NodeRole = 'master' | 'replica' | 'sentinel' | 'proxy';

export interface ClusterOptions {
  /** Absolute directory holding configs, data, logs and the state file. */
  dir: string;
  /** First port; the others follow consecutively (see planCluster). */
  basePort: number;
  replicas: number;
  sentinels: number;
  masterName: string;
  /** Sentinel down-after-milliseconds for the master. */
  downAfterMs: number;
  /** Sentinel failover-timeout. */
  failoverTimeoutMs: number;
  impl: SentinelImpl;
  /** Start the master-following proxy. */
  proxy: boolean;
}

export const DEFAULTS = {
  basePort: 6380,
  replicas: 2,
  sentinels: 3,
  masterName: 'mymaster',
  // Same as the jambonz test bed and spotahome's operator: a failover in ~6 s instead of Redis's 30 s default.
  downAfterMs: 5000,
  // 10 s (Redis default: 3 min). It bounds a stuck failover and, doubled, the pause before a retry.
  failoverTimeoutMs: 10_000,
} as const;

export const HOST = '127.0.0.1';

export interface NodePlan {
  /** Stable name used in logs and the state file: redis-6380, sentinel-6383, proxy-6386. */
  name: string;
  /** The role at start-up (a failover changes data-node roles; `vigil status` asks the sentinels). */
  role: NodeRole;
  host: string;
  port: number;
  /** Working directory of the process. */
  dir: string;
  /** Config file (redis-server, sentinels); the proxy takes flags. */
  confPath: string;
  logPath: string;
}

export interface ClusterPlan {
  options: ClusterOptions;
  quorum: number;
  master: NodePlan;
  replicas: NodePlan[];
  sentinels: NodePlan[];
  proxy: NodePlan | undefined;
  /** The proxy's HTTP port (/health, /metrics, /stats), right after the proxy port. */
  proxyHttpPort: number | undefined;
  /** Each sentinel's HTTP endpoint (same order as `sentinels`) and the dashboard `vigil up` serves. */
  sentinelHttpPorts: number[];
  dashboardPort: number;
  stateFile: string;
}

/** The majority of the sentinels: the smallest quorum that also lets a failover be authorised. */
export function quorumFor(sentinels: number): number {
  return Math.floor(sentinels / 2) + 1;
}

/**
 * Ports used, consecutively from basePort: master, replicas, sentinels, proxy, proxy HTTP, then one HTTP port per
 * sentinel (vigil-http-port; unused with --impl redis) and the dashboard's.
 */
export function portCount(o: Pick<ClusterOptions, 'replicas' | 'sentinels' | 'proxy'>): number {
  return 1 + o.replicas + o.sentinels + (o.proxy ? 2 : 0) + o.sentinels + 1;
}

export function planCluster(o: ClusterOptions): ClusterPlan {
  const join = (...p: string[]): string => [o.dir, ...p].join('/');
  const node = (role: NodeRole, kind: string, port: number): NodePlan => {
    const name = `${kind}-${port}`;
    return {
      name,
      role,
      host: HOST,
      port,
      dir: join(name),
      confPath: join(name, kind === 'sentinel' ? 'sentinel.conf' : kind === 'redis' ? 'redis.conf' : 'proxy.args'),
      logPath: join(name, `${kind}.log`),
    };
  };
  let port = o.basePort;
  const master = node('master', 'redis', port++);
  const replicas = Array.from({ length: o.replicas }, () => node('replica', 'redis', port++));
  const sentinels = Array.from({ length: o.sentinels }, () => node('sentinel', 'sentinel', port++));
  const proxy = o.proxy ? node('proxy', 'proxy', port++) : undefined;
  const proxyHttpPort = o.proxy ? port++ : undefined;
  const sentinelHttpPorts = sentinels.map(() => port++);
  const dashboardPort = port++;
  return {
    sentinelHttpPorts,
    dashboardPort,
    options: o,
    quorum: quorumFor(o.sentinels),
    master,
    replicas,
    sentinels,
    proxy,
    proxyHttpPort,
    stateFile: join('state.json'),
  };
}

/** redis.conf for a data node. Started from a file so that Sentinel's CONFIG REWRITE works. */
export function redisConf(node: NodePlan, replicaOf: { host: string; port: number } | undefined): string {
  const lines = [
    `# Written by vigil up. Sentinel may rewrite this file (CONFIG REWRITE after a failover).`,
    `port ${node.port}`,
    `bind ${node.host}`,
    `dir ${quote(node.dir)}`,
    `daemonize no`,
    `logfile ""`,
    // Replicas announce the loopback address so sentinels and clients reach them as 127.0.0.1:port.
    `replica-announce-ip ${node.host}`,
    // No persistence: a local test cluster, started fresh each time.
    `save ""`,
    `appendonly no`,
  ];
  if (replicaOf) lines.push(`replicaof ${replicaOf.host} ${replicaOf.port}`);
  return lines.join('\n') + '\n';
}

/** sentinel.conf, understood by both redis-sentinel 7.0 and Vigil's sentinel. */
export function sentinelConf(node: NodePlan, plan: ClusterPlan): string {
  const o = plan.options;
  const m = plan.master;
  return (
    [
      `# Written by vigil up. The sentinel rewrites this file with its state (myid, epochs, known peers).`,
      `port ${node.port}`,
      `bind ${node.host}`,
      `dir ${quote(node.dir)}`,
      `daemonize no`,
      `logfile ""`,
      `sentinel monitor ${o.masterName} ${m.host} ${m.port} ${plan.quorum}`,
      `sentinel down-after-milliseconds ${o.masterName} ${o.downAfterMs}`,
      `sentinel failover-timeout ${o.masterName} ${o.failoverTimeoutMs}`,
      `sentinel parallel-syncs ${o.masterName} 1`,
      // Vigil's HTTP endpoint (metrics, API; the dashboard of `vigil up` reads it), loopback only.
      ...(o.impl === 'vigil'
        ? [`sentinel vigil-http-port ${plan.sentinelHttpPorts[plan.sentinels.indexOf(node)] ?? 0}`]
        : []),
    ].join('\n') + '\n'
  );
}

function quote(s: string): string {
  return /^[A-Za-z0-9_./:@+-]+$/.test(s) ? s : `"${s.replace(/(["\\])/g, '\\$1')}"`;
}

export function addr(n: { host: string; port: number }): string {
  return `${n.host}:${n.port}`;
}

/** Validates user-supplied numbers; returns a one-line problem or undefined. */
export function checkOptions(o: ClusterOptions): string | undefined {
  if (!/^[A-Za-z0-9._-]+$/.test(o.masterName))
    return `--master-name may only contain letters, digits, '.', '_' and '-'`;
  if (!Number.isInteger(o.replicas) || o.replicas < 0 || o.replicas > 16)
    return '--replicas must be an integer from 0 to 16';
  if (!Number.isInteger(o.sentinels) || o.sentinels < 1 || o.sentinels > 15)
    return '--sentinels must be an integer from 1 to 15';
  if (!Number.isInteger(o.downAfterMs) || o.downAfterMs < 100)
    return '--down-after must be at least 100 (milliseconds)';
  if (!Number.isInteger(o.failoverTimeoutMs) || o.failoverTimeoutMs < 1000)
    return '--failover-timeout must be at least 1000 (milliseconds)';
  const last = o.basePort + portCount(o) - 1;
  if (!Number.isInteger(o.basePort) || o.basePort < 1024 || last > 65535)
    return `--base-port must leave room for ${portCount(o)} ports between 1024 and 65535`;
  return undefined;
}
