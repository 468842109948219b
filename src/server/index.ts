// Public surface of the inbound RESP server (vigil-sentinel's client-facing port).
export { startServer, defaultIdentity, type RunningServer, type ListeningAddress } from './server.js';
export type { ServerOptions, OutputBufferLimit, ServerIdentity, ServerLogLevel } from './options.js';
export { ServerCore, type ServerStats } from './core.js';
export type { ClientContext, SentinelEvent, SentinelHost } from './host.js';
export { Acl, AclUser, AclRuleError } from './acl.js';
export { globMatch } from '../core/glob.js';
