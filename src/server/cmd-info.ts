// INFO in sentinel mode: sections server, clients, stats, cpu (from this server) and sentinel (from the host),
// always printed in that order; unknown sections are dropped; the reply is a bulk string in RESP2 and RESP3.
import { R } from '../resp/index.js';
import type { Handler, ServerCore } from './core.js';

const SECTIONS = ['server', 'clients', 'stats', 'cpu', 'sentinel'] as const;
type Section = (typeof SECTIONS)[number];

/** Section selection as Redis 7.0 genInfoSectionDict + sentinelInfoCommand. */
function selectSections(args: readonly string[]): Set<Section> {
  const out = new Set<Section>();
  if (args.length === 0) return new Set(SECTIONS);
  for (const a of args) {
    const l = a.toLowerCase();
    if (l === 'all' || l === 'everything' || l === 'default') for (const x of SECTIONS) out.add(x);
    else if ((SECTIONS as readonly string[]).includes(l)) out.add(l as Section);
  }
  return out;
}

function fmtCpu(micros: number): string {
  const sec = Math.floor(micros / 1e6);
  const us = Math.floor(micros % 1e6);
  return `${sec}.${String(us).padStart(6, '0')}`;
}

function lines(header: string, fields: Array<[string, string | number]>): string {
  return `# ${header}\r\n` + fields.map(([k, v]) => `${k}:${v}\r\n`).join('');
}

export function infoText(core: ServerCore, sections: Set<Section>): string {
  const o = core.options;
  const id = o.identity;
  const now = o.now();
  const st = core.stats;
  const parts: string[] = [];
  if (sections.has('server')) {
    const uptimeSec = Math.floor((now - core.startedAtMs) / 1000);
    parts.push(
      lines('Server', [
        ['redis_version', id.redisVersion],
        ['redis_git_sha1', id.gitSha1],
        ['redis_git_dirty', id.gitDirty],
        ['redis_build_id', id.buildId],
        ['redis_mode', 'sentinel'],
        ['os', id.os],
        ['arch_bits', id.archBits],
        ['monotonic_clock', 'POSIX clock_gettime'],
        ['multiplexing_api', 'epoll'],
        ['atomicvar_api', 'c11-builtin'],
        ['gcc_version', id.gccVersion],
        ['process_id', process.pid],
        ['process_supervised', id.processSupervised],
        ['run_id', core.host.runId],
        ['tcp_port', core.tcpPort],
        ['server_time_usec', Math.floor(now * 1000 + (performance.now() % 1) * 1000)],
        ['uptime_in_seconds', uptimeSec],
        ['uptime_in_days', Math.floor(uptimeSec / 86400)],
        // Sentinel randomises hz every cycle (CONFIG_DEFAULT_HZ + rand() % CONFIG_DEFAULT_HZ).
        ['hz', 10 + Math.floor(Math.random() * 10)],
        ['configured_hz', 10],
        ['lru_clock', Math.floor(now / 1000) & 0xffffff],
        ['executable', id.executable],
        ['config_file', id.configFile],
        ['io_threads_active', 0],
      ]),
    );
  }
  if (sections.has('clients')) {
    parts.push(
      lines('Clients', [
        ['connected_clients', core.sessions.size],
        ['cluster_connections', 0],
        ['maxclients', o.maxclients],
        ['client_recent_max_input_buffer', st.clientRecentMaxInputBuffer],
        ['client_recent_max_output_buffer', st.clientRecentMaxOutputBuffer],
        ['blocked_clients', 0],
        ['tracking_clients', [...core.sessions.values()].filter((s) => s.tracking.enabled).length],
        ['clients_in_timeout_table', 0],
      ]),
    );
  }
  if (sections.has('stats')) {
    parts.push(
      lines('Stats', [
        ['total_connections_received', st.totalConnectionsReceived],
        ['total_commands_processed', st.totalCommandsProcessed],
        ['instantaneous_ops_per_sec', st.instantaneousOpsPerSec],
        ['total_net_input_bytes', st.totalNetInputBytes],
        ['total_net_output_bytes', st.totalNetOutputBytes],
        ['total_net_repl_input_bytes', 0],
        ['total_net_repl_output_bytes', 0],
        ['instantaneous_input_kbps', st.instantaneousInputKbps.toFixed(2)],
        ['instantaneous_output_kbps', st.instantaneousOutputKbps.toFixed(2)],
        ['instantaneous_input_repl_kbps', '0.00'],
        ['instantaneous_output_repl_kbps', '0.00'],
        ['rejected_connections', st.rejectedConnections],
        ['sync_full', 0],
        ['sync_partial_ok', 0],
        ['sync_partial_err', 0],
        ['expired_keys', 0],
        ['expired_stale_perc', '0.00'],
        ['expired_time_cap_reached_count', 0],
        ['expire_cycle_cpu_milliseconds', 0],
        ['evicted_keys', 0],
        ['evicted_clients', 0],
        ['total_eviction_exceeded_time', 0],
        ['current_eviction_exceeded_time', 0],
        ['keyspace_hits', 0],
        ['keyspace_misses', 0],
        ['pubsub_channels', core.channelSubs.size],
        ['pubsub_patterns', core.patternSubs.size],
        ['pubsubshard_channels', 0],
        ['latest_fork_usec', 0],
        ['total_forks', 0],
        ['migrate_cached_sockets', 0],
        ['slave_expires_tracked_keys', 0],
        ['active_defrag_hits', 0],
        ['active_defrag_misses', 0],
        ['active_defrag_key_hits', 0],
        ['active_defrag_key_misses', 0],
        ['total_active_defrag_time', 0],
        ['current_active_defrag_time', 0],
        ['tracking_total_keys', 0],
        ['tracking_total_items', 0],
        ['tracking_total_prefixes', 0],
        ['unexpected_error_replies', 0],
        ['total_error_replies', st.totalErrorReplies],
        ['dump_payload_sanitizations', 0],
        ['total_reads_processed', st.totalReadsProcessed],
        ['total_writes_processed', st.totalWritesProcessed],
        ['io_threaded_reads_processed', 0],
        ['io_threaded_writes_processed', 0],
        ['reply_buffer_shrinks', 0],
        ['reply_buffer_expands', 0],
      ]),
    );
  }
  if (sections.has('cpu')) {
    const u = process.cpuUsage();
    parts.push(
      lines('CPU', [
        ['used_cpu_sys', fmtCpu(u.system)],
        ['used_cpu_user', fmtCpu(u.user)],
        ['used_cpu_sys_children', '0.000000'],
        ['used_cpu_user_children', '0.000000'],
        ['used_cpu_sys_main_thread', fmtCpu(u.system)],
        ['used_cpu_user_main_thread', fmtCpu(u.user)],
      ]),
    );
  }
  if (sections.has('sentinel')) {
    const body = core.host.infoSentinelSection();
    parts.push(`# Sentinel\r\n${body}${body.length > 0 ? '\r\n' : ''}`);
  }
  return parts.join('\r\n');
}

export const info: Handler = (core, _s, argv) => {
  const args = argv.slice(1).map((b) => b.toString('latin1'));
  return R.bulk(infoText(core, selectSections(args)));
};
