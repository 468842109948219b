// Real-server test harness: starts real redis-server / redis-sentinel / vigil-sentinel processes, each in its own
// temp dir on a free loopback port, waits for PING, keeps the tail of each log, and kills by owned PID on every
// path (after(), waitFor timeouts, and process exit as a last resort). Test-only code: never imported by src/.
export { waitFor, type WaitForOptions } from './wait.js';
export { RespClient, type RespClientOptions } from './client.js';
export { freePort } from './ports.js';
export { sendUntilClose, accepts, blackHole } from './raw.js';
export { missingBinaries, requireBinary, hasBinary } from './binaries.js';
export {
  Harness,
  answersPong,
  OwnedProcess,
  REPO_ROOT,
  readText,
  vigilSentinelCommand,
  type RedisProc,
  type SentinelProc,
  type SentinelImpl,
} from './harness.js';
