// Public surface of the deterministic sentinel core.
export * from './types.js';
export { Instance, replicaName } from './instance.js';
export type { FailoverState, InstanceKind } from './instance.js';
export { SentinelCore, compareSlavesForPromotion, isIpAddress } from './sentinel.js';
export type { CoreOptions } from './sentinel.js';
export { sentinelCommand, instanceRecord } from './commands.js';
export type { CommandContext } from './commands.js';
export { parseInfo } from './info.js';
export type { ParsedInfo } from './info.js';
export { globMatch } from './glob.js';
