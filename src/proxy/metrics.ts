// Prometheus rendering of proxy stats (prom-client), and the tiny HTTP endpoint (/health, /metrics, /stats).
// Counters live as plain numbers on the hot path (DataPlane) and are formatted here only when scraped.
import { createServer, type Server } from 'node:http';
import { Counter, Gauge, Registry } from 'prom-client';
import type { AddressInfo } from 'node:net';
import type { Addr } from './events.js';
import type { DataPlaneStats } from './dataplane.js';
import type { RouterSnapshot } from './router.js';
import type { SentinelLinkStatus } from './control.js';

export interface MasterStats {
  masterName: string;
  listen: Addr;
  router: RouterSnapshot & { sentinels: SentinelLinkStatus[] };
  plane: DataPlaneStats;
}

export interface ProxyStats {
  startedAt: number;
  masters: MasterStats[];
}

type Labels = Record<string, string>;
type Rows = Array<[Labels, number]>;

/**
 * The proxy's series as a prom-client registry over one stats snapshot (the same conventions as the sentinel's
 * /metrics, docs/observability.md). Counters stay plain numbers on the hot path (DataPlane); this runs only when
 * scraped. Label `master` is the master name, as before.
 */
export function proxyRegistry(stats: ProxyStats, nowMs: number): Registry {
  const registry = new Registry();
  const registers = [registry];
  const fin = (v: number): number => (Number.isFinite(v) ? v : 0);
  const metric = (name: string, type: 'counter' | 'gauge', help: string, rows: () => Rows): void => {
    const labelNames = [...new Set(rows().flatMap(([l]) => Object.keys(l)))];
    if (type === 'counter') {
      new Counter({
        name,
        help,
        labelNames,
        registers,
        collect() {
          this.reset();
          for (const [l, v] of rows()) this.inc(l, Math.max(0, fin(v)));
        },
      });
    } else {
      new Gauge({
        name,
        help,
        labelNames,
        registers,
        collect() {
          this.reset();
          for (const [l, v] of rows()) this.set(l, fin(v));
        },
      });
    }
  };
  const per =
    (f: (m: MasterStats) => number): (() => Rows) =>
    () =>
      stats.masters.map((m) => [{ master: m.masterName }, f(m)]);
  metric(
    'vigil_proxy_connections_accepted_total',
    'counter',
    'Client connections accepted.',
    per((m) => m.plane.accepted),
  );
  metric(
    'vigil_proxy_connections_active',
    'gauge',
    'Client connections piped to a master.',
    per((m) => m.plane.active),
  );
  metric(
    'vigil_proxy_connections_held',
    'gauge',
    'Client connections waiting for a confirmed master.',
    per((m) => m.plane.held),
  );
  metric(
    'vigil_proxy_connections_frozen',
    'gauge',
    'Sessions whose client bytes are held during a failover.',
    per((m) => m.plane.frozen),
  );
  metric(
    'vigil_proxy_connections_refused_total',
    'counter',
    'Clients closed with an error after the maximum hold.',
    per((m) => m.plane.refused),
  );
  metric(
    'vigil_proxy_connections_over_limit_total',
    'counter',
    'Clients turned away with "max number of clients reached".',
    per((m) => m.plane.overLimit),
  );
  metric(
    'vigil_proxy_connections_fenced_total',
    'counter',
    'Sessions closed because their master was replaced.',
    per((m) => m.plane.fenced),
  );
  metric(
    'vigil_proxy_connections_repointed_total',
    'counter',
    'Idle sessions moved to the new master at a switch instead of being closed.',
    per((m) => m.plane.repointed),
  );
  metric(
    'vigil_proxy_upstream_connect_failures_total',
    'counter',
    'Failed connects to the routed master.',
    per((m) => m.plane.upstreamConnectFailures),
  );
  metric(
    'vigil_proxy_pump_dials_total',
    'counter',
    'Upstream connects made by the native pump itself (the rest were dialled in JavaScript).',
    per((m) => m.plane.pumpDials),
  );
  metric(
    'vigil_proxy_pump_threads',
    'gauge',
    'Native pump threads forwarding this listener (0: forwarded in JavaScript).',
    per((m) => m.plane.pumpThreads),
  );
  metric(
    'vigil_proxy_connections_muxed',
    'gauge',
    'Clients on the shared upstream connection (--mux).',
    per((m) => m.plane.muxed),
  );
  metric(
    'vigil_proxy_connections_pinned_total',
    'counter',
    'Clients moved from the shared upstream to their own connection.',
    per((m) => m.plane.pinned),
  );
  metric(
    'vigil_proxy_bytes_from_clients_total',
    'counter',
    'Bytes read from clients and sent to masters.',
    per((m) => m.plane.bytesFromClients),
  );
  metric(
    'vigil_proxy_bytes_to_clients_total',
    'counter',
    'Bytes read from masters and sent to clients.',
    per((m) => m.plane.bytesToClients),
  );
  metric(
    'vigil_proxy_hold_released_total',
    'counter',
    'Held or frozen connections that resumed.',
    per((m) => m.plane.released),
  );
  metric(
    'vigil_proxy_hold_seconds_total',
    'counter',
    'Total time resumed connections spent held or frozen.',
    per((m) => m.plane.holdTotalMs / 1000),
  );
  metric(
    'vigil_proxy_hold_max_seconds',
    'gauge',
    'Longest hold of a resumed connection.',
    per((m) => m.plane.holdMaxMs / 1000),
  );
  metric(
    'vigil_proxy_switches_total',
    'counter',
    'Master switches (initial route excluded).',
    per((m) => Math.max(0, m.router.switches - 1)),
  );
  metric(
    'vigil_proxy_master_epoch',
    'gauge',
    'Config epoch of the routed master.',
    per((m) => m.router.route?.epoch ?? -1),
  );
  metric(
    'vigil_proxy_gate_open',
    'gauge',
    '1 when bytes flow to a confirmed master, 0 while holding.',
    per((m) => (m.router.gateOpen ? 1 : 0)),
  );
  metric(
    'vigil_proxy_seconds_since_switch',
    'gauge',
    'Seconds since the last route change (-1 if none).',
    per((m) => (m.router.lastSwitchAt === null ? -1 : (nowMs - m.router.lastSwitchAt) / 1000)),
  );
  metric('vigil_proxy_master_info', 'gauge', 'The routed master (1), labelled with its address.', () =>
    stats.masters.map((m) => [
      {
        master: m.masterName,
        address: m.router.route ? `${m.router.route.host}:${m.router.route.port}` : '',
        provisional: m.router.route?.provisional ? '1' : '0',
      },
      m.router.route ? 1 : 0,
    ]),
  );
  const sl = (): Rows => {
    const out: Rows = [];
    for (const m of stats.masters) {
      for (const s of m.router.sentinels) {
        out.push([{ master: m.masterName, sentinel: s.id, link: 'cmd' }, s.cmdUp ? 1 : 0]);
        out.push([{ master: m.masterName, sentinel: s.id, link: 'pubsub' }, s.pubsubUp ? 1 : 0]);
      }
    }
    return out;
  };
  metric('vigil_proxy_sentinel_link_up', 'gauge', 'Link to a sentinel is connected.', sl);
  return registry;
}

/** Prometheus text of one stats snapshot. */
export function renderPrometheus(stats: ProxyStats, nowMs: number): Promise<string> {
  return proxyRegistry(stats, nowMs).metrics();
}

export function isReady(stats: ProxyStats): boolean {
  return stats.masters.every((m) => m.router.route !== null && m.router.gateOpen);
}

export function startHttp(listen: Addr, getStats: () => ProxyStats): Promise<{ server: Server; address: Addr }> {
  const server = createServer((req, res) => {
    const url = (req.url ?? '/').split('?')[0];
    const stats = getStats();
    if (url === '/metrics') {
      const reg = proxyRegistry(stats, Date.now());
      reg.metrics().then(
        (text) => {
          res.writeHead(200, { 'content-type': reg.contentType });
          res.end(text);
        },
        () => {
          res.writeHead(500, { 'content-type': 'text/plain' });
          res.end('metrics failed\n');
        },
      );
    } else if (url === '/health') {
      const ready = isReady(stats);
      res.writeHead(ready ? 200 : 503, { 'content-type': 'application/json' });
      res.end(
        JSON.stringify({
          ready,
          masters: stats.masters.map((m) => ({
            name: m.masterName,
            route: m.router.route,
            gateOpen: m.router.gateOpen,
            reason: m.router.gateReason,
          })),
        }) + '\n',
      );
    } else if (url === '/stats') {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify(stats) + '\n');
    } else {
      res.writeHead(404, { 'content-type': 'text/plain' });
      res.end('not found: try /health, /metrics or /stats\n');
    }
  });
  server.on('clientError', (_err, socket) => socket.destroy());
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host: listen.host, port: listen.port }, () => {
      server.off('error', reject);
      const a = server.address() as AddressInfo;
      resolve({ server, address: { host: a.address, port: a.port } });
    });
  });
}
