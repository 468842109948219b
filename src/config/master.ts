// The one constructor of a MasterConfig with Redis's defaults. Pure and import-free, so both the config parser
// (`sentinel monitor` lines) and the core (SENTINEL MONITOR, whose timing defaults are injectable) build it here.
import type { MasterConfig } from './types.js';

export const DEFAULT_DOWN_AFTER_MS = 30000;
export const DEFAULT_FAILOVER_TIMEOUT_MS = 180000;
export const DEFAULT_PARALLEL_SYNCS = 1;

export function newMasterConfig(
  name: string,
  host: string,
  port: number,
  quorum: number,
  timings: { downAfterMs?: number; failoverTimeoutMs?: number } = {},
): MasterConfig {
  return {
    name,
    host,
    port,
    quorum,
    downAfterMs: timings.downAfterMs ?? DEFAULT_DOWN_AFTER_MS,
    failoverTimeoutMs: timings.failoverTimeoutMs ?? DEFAULT_FAILOVER_TIMEOUT_MS,
    parallelSyncs: DEFAULT_PARALLEL_SYNCS,
    masterRebootDownAfterPeriodMs: 0,
    renamedCommands: [],
    configEpoch: 0,
    leaderEpoch: 0,
    knownReplicas: [],
    knownSentinels: [],
  };
}
