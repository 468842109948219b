// The Prometheus metrics of one sentinel: the counters and histograms the Observer increments from the event stream
// (SentinelMetrics' fields), and the gauges read from the core at scrape time (redis_exporter's names and labels,
// plus vigil_*). Takes the registry to register into and the observed sentinel to read; every metric is registered
// in the constructor, in a fixed order (the order of /metrics). Reads the core, never changes it.
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import { explainMaster, masterOffset } from '../core/explain.js';
import type { Instance } from '../core/instance.js';
import type { SentinelCore } from '../core/sentinel.js';
import type { ObservedSentinel } from './observer.js';
import { addr } from './views.js';

/** Buckets for failover phases: a phase lasts from a few ms (promotion) to minutes (failover-timeout). */
const PHASE_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 180];

/** The event-fed metrics (c = counter, h = histogram), registered before the scrape-time gauges. */
export class SentinelMetrics {
  readonly cStarted: Counter<'master_name'>;
  readonly cSucceeded: Counter<'master_name'>;
  readonly cAborted: Counter<'master_name' | 'reason'>;
  readonly cSwitch: Counter<'master_name'>;
  readonly hPhase: Histogram<'master_name' | 'phase'>;
  readonly hFailover: Histogram<'master_name'>;
  readonly cVotes: Counter<'master_name' | 'candidate'>;
  readonly cTilt: Counter<'cause'>;
  readonly cEvents: Counter<'type'>;
  readonly cFences: Counter<'master_name'>;
  readonly cFenceLifts: Counter<'master_name'>;
  readonly cFenceFailures: Counter<'master_name'>;
  readonly cEmptyMaster: Counter<'master_name'>;
  readonly cDeposed: Counter<'master_name'>;

  constructor(registry: Registry, src: ObservedSentinel) {
    const registers = [registry];
    this.cStarted = new Counter({
      name: 'vigil_failovers_started_total',
      help: 'Failovers this sentinel tried (+try-failover)',
      labelNames: ['master_name'],
      registers,
    });
    this.cSucceeded = new Counter({
      name: 'vigil_failovers_succeeded_total',
      help: 'Failovers this sentinel led to the end (+failover-end, +failover-end-for-timeout)',
      labelNames: ['master_name'],
      registers,
    });
    this.cAborted = new Counter({
      name: 'vigil_failovers_aborted_total',
      help: 'Failovers this sentinel aborted, by reason (-failover-abort-<reason>)',
      labelNames: ['master_name', 'reason'],
      registers,
    });
    this.cSwitch = new Counter({
      name: 'vigil_switch_master_total',
      help: 'Master address changes this sentinel applied (+switch-master), whoever led the failover',
      labelNames: ['master_name'],
      registers,
    });
    this.hPhase = new Histogram({
      name: 'vigil_failover_phase_duration_seconds',
      help: 'Duration of each failover phase: detection (last good reply to +sdown), odown (+sdown to +odown), election (+try-failover to +elected-leader), promotion (+elected-leader to +promoted-slave), reconfiguration (+promoted-slave to +failover-end)',
      labelNames: ['master_name', 'phase'],
      buckets: PHASE_BUCKETS,
      registers,
    });
    this.hFailover = new Histogram({
      name: 'vigil_failover_duration_seconds',
      help: 'Failovers this sentinel led: +try-failover to +failover-end',
      labelNames: ['master_name'],
      buckets: PHASE_BUCKETS,
      registers,
    });
    this.cVotes = new Counter({
      name: 'vigil_votes_total',
      help: 'Leader votes this sentinel cast (+vote-for-leader), for itself or for a peer',
      labelNames: ['master_name', 'candidate'],
      registers,
    });
    this.cTilt = new Counter({
      name: 'vigil_tilt_entries_total',
      help: 'Times TILT mode was entered, by cause (timer-stall, clock-backwards)',
      labelNames: ['cause'],
      registers,
    });
    this.cEvents = new Counter({
      name: 'vigil_events_total',
      help: 'Sentinel events published, by type',
      labelNames: ['type'],
      registers,
    });
    this.cFences = new Counter({
      name: 'vigil_fences_total',
      help: 'Times this sentinel fenced a master cut off from the majority (+vigil-fence)',
      labelNames: ['master_name'],
      registers,
    });
    this.cFenceLifts = new Counter({
      name: 'vigil_fence_lifts_total',
      help: 'Fences lifted (-vigil-fence)',
      labelNames: ['master_name'],
      registers,
    });
    this.cFenceFailures = new Counter({
      name: 'vigil_fence_failures_total',
      help: 'Fencing commands that failed (-vigil-fence-failed)',
      labelNames: ['master_name'],
      registers,
    });
    this.cEmptyMaster = new Counter({
      name: 'vigil_empty_master_total',
      help: 'Masters seen restarted empty while their replicas hold data (+vigil-empty-master)',
      labelNames: ['master_name'],
      registers,
    });
    this.cDeposed = new Counter({
      name: 'vigil_deposed_master_demotions_total',
      help: 'Deposed masters demoted at once after a switch (+convert-to-slave of a deposed master)',
      labelNames: ['master_name'],
      registers,
    });
    stateGauges(registry, src);
  }
}

// ---- gauges read from the core at scrape time (redis_exporter's names and labels, plus vigil_*)

function stateGauges(registry: Registry, src: ObservedSentinel): void {
  const registers = [registry];
  const core = (): SentinelCore => src.core;
  const masters = (): Instance[] => [...core().masters.values()];
  const ml = (m: Instance): { master_name: string; master_address: string } => ({
    master_name: m.name,
    master_address: addr(m.host, m.port),
  });
  const simple = (name: string, help: string, value: () => number): void => {
    new Gauge({
      name,
      help,
      registers,
      collect() {
        this.set(value());
      },
    });
  };
  const perMaster = (name: string, help: string, value: (m: Instance) => number): void => {
    new Gauge({
      name,
      help,
      labelNames: ['master_name', 'master_address'],
      registers,
      collect() {
        this.reset();
        for (const m of masters()) this.set(ml(m), value(m));
      },
    });
  };
  simple('redis_sentinel_masters', 'The number of masters this sentinel is watching', () => core().masters.size);
  simple('redis_sentinel_tilt', 'Sentinel is in TILT mode', () => (core().tilt ? 1 : 0));
  simple('redis_sentinel_running_scripts', 'Number of scripts in execution right now', () => src.scripts.running);
  simple('redis_sentinel_scripts_queue_length', 'Queue of user scripts to execute', () => src.scripts.queued);
  simple('redis_sentinel_simulate_failure_flags', 'Failures simulations', () => {
    const f = core().simFailure;
    return (f.crashAfterElection ? 1 : 0) | (f.crashAfterPromotion ? 2 : 0);
  });
  new Gauge({
    name: 'redis_sentinel_master_status',
    help: 'Master status on Sentinel (1 = ok)',
    labelNames: ['master_name', 'master_address', 'master_status'],
    registers,
    collect() {
      this.reset();
      for (const m of masters()) {
        const status = m.odown ? 'odown' : m.sdown ? 'sdown' : 'ok';
        this.set({ ...ml(m), master_status: status }, status === 'ok' ? 1 : 0);
      }
    },
  });
  perMaster('redis_sentinel_master_slaves', 'The number of slaves of the master', (m) => m.replicas.size);
  perMaster(
    'redis_sentinel_master_ok_slaves',
    'The number of okay slaves of the master',
    (m) => [...m.replicas.values()].filter((r) => !r.sdown && !r.odown).length,
  );
  perMaster(
    'redis_sentinel_master_sentinels',
    'The number of sentinels monitoring this master',
    (m) => m.sentinels.size + 1,
  );
  perMaster(
    'redis_sentinel_master_ok_sentinels',
    'The number of okay sentinels monitoring this master',
    (m) => 1 + [...m.sentinels.values()].filter((s) => !s.sdown && !s.odown).length,
  );
  new Gauge({
    name: 'redis_sentinel_master_ckquorum_status',
    help: 'Master ckquorum status',
    labelNames: ['master_name', 'message'],
    registers,
    collect() {
      this.reset();
      for (const m of masters()) {
        const x = explainMaster(core(), m);
        const problems: string[] = [];
        if (!x.quorumReachable)
          problems.push('Not enough available Sentinels to reach the specified quorum for this master');
        if (!x.majorityReachable)
          problems.push('Not enough available Sentinels to reach the majority and authorize a failover');
        const message =
          problems.length > 0
            ? `NOQUORUM ${x.usableSentinels} usable Sentinels. ${problems.join('. ')}`
            : `OK ${x.usableSentinels} usable Sentinels. Quorum and failover authorization can be reached`;
        this.set({ master_name: m.name, message }, problems.length > 0 ? 0 : 1);
      }
    },
  });
  perMaster('redis_sentinel_master_config_epoch', 'Config epoch of the master', (m) => m.configEpoch);
  perMaster(
    'redis_sentinel_master_last_ok_ping_reply_seconds',
    'Seconds since the last valid PING reply from the master',
    (m) => (core().clock.now() - m.link.lastAvailAt) / 1000,
  );
  perMaster('redis_sentinel_master_setting_ckquorum', 'The quorum configured for each master', (m) => m.quorum);
  perMaster(
    'redis_sentinel_master_setting_failover_timeout',
    'The failover-timeout configured for each master',
    (m) => m.failoverTimeoutMs,
  );
  perMaster(
    'redis_sentinel_master_setting_parallel_syncs',
    'The parallel-syncs configured for each master',
    (m) => m.parallelSyncs,
  );
  perMaster(
    'redis_sentinel_master_setting_down_after_milliseconds',
    'The down-after-milliseconds configured for each master',
    (m) => m.downAfterMs,
  );
  perMaster('vigil_fence_active', 'Whether this sentinel is fencing the master (1) or not (0)', (m) =>
    m.fenceActive ? 1 : 0,
  );
  perMaster('vigil_failover_in_progress', 'Whether a failover of this master runs here', (m) =>
    m.failoverInProgress ? 1 : 0,
  );
  perMaster(
    'vigil_master_eligible_replicas',
    'Replicas this sentinel could promote now',
    (m) => explainMaster(core(), m).replicas.filter((r) => r.eligible).length,
  );
  new Gauge({
    name: 'vigil_replica_lag_bytes',
    help: "Bytes a replica is behind its master's last reported replication offset",
    labelNames: ['master_name', 'replica_address'],
    registers,
    collect() {
      this.reset();
      for (const m of masters()) {
        const mo = masterOffset(m);
        if (mo === null) continue;
        for (const r of m.replicas.values()) {
          this.set({ master_name: m.name, replica_address: r.name }, Math.max(0, mo - r.slaveReplOffset));
        }
      }
    },
  });
  new Gauge({
    name: 'vigil_current_epoch',
    help: 'The current epoch of this sentinel',
    registers,
    collect() {
      this.set(core().currentEpoch);
    },
  });
  new Counter({
    name: 'vigil_link_disconnects_total',
    help: 'Outbound links (to masters, replicas and peers) that closed or failed to connect, by link kind',
    labelNames: ['link'],
    registers,
    collect() {
      this.reset();
      this.inc({ link: 'cmd' }, src.stats.linkDisconnects.cmd);
      this.inc({ link: 'pubsub' }, src.stats.linkDisconnects.pubsub);
    },
  });
  new Counter({
    name: 'vigil_hello_invalid_total',
    help: 'Hello messages dropped as invalid (address, port, 40-hex run id, epochs: src/core/hello.ts)',
    registers,
    collect() {
      this.reset();
      this.inc(src.core.helloInvalid);
    },
  });
}
