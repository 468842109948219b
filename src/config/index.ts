// Public surface of src/config: lossless parse, pure rewrite, and the store (the only disk I/O).
export * from './types.js';
export { ConfigError, formatConfigError, REDIS_VERSION } from './errors.js';
export type { ConfigErrorCode, ConfigErrorInit } from './errors.js';
export { splitArgs, repr, quoteIfNeeded, argvToConfigLines, formatConfigLine, ConfigWriteError } from './tokenize.js';
export type { LineToken } from './tokenize.js';
export { parseConfig, defaultSentinelGlobals } from './parse.js';
export { newMasterConfig } from './master.js';
export type { ParseOptions } from './parse.js';
export { rewriteConfig, persistedStateFromConfig } from './rewrite.js';
export { loadConfigFile, writeConfigAtomic, ConfigFileError, ConfigFileStore, nodeStoreFs, strerror } from './store.js';
export { renderStateFile, combineWithState, findStateConfigFile, StateFileError } from './state-file.js';
export type { StoreFs, StoreFileHandle, LoadedConfig, WriteResult, WriteOptions } from './store.js';
