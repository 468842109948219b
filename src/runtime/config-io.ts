// The one place the sentinel process reads and writes its config file, through src/config (parse, rewrite,
// atomic store). Like Redis's sentinelFlushConfig, every flush re-reads the file as it is on disk now and rewrites
// that (so the layout records the file's history exactly as Redis's does, and external edits survive); flushes run
// in call order (src/config's ConfigFileStore). Writes are asynchronous (fsync off the event loop).
import type { PersistedState, SentinelConfig } from '../config/index.js';
import { ConfigFileStore, loadConfigFile, renderStateFile } from '../config/index.js';

/** Live values of the running process the rewriter needs besides the sentinel state. */
export interface PersistContext {
  /** The live ACL users as `ACL LIST` prints them (`user default on nopass ~* &* +@all`); absent = from the file. */
  aclUsers?: readonly (string | readonly string[])[];
}

export interface ConfigStore {
  readonly path: string;
  /** `sentinel state-config-file`, resolved: where the state is written (then `path` is never written). */
  readonly statePath?: string;
  readonly config: SentinelConfig;
  /** Rewrite the file atomically with `state`. Rejects on failure. */
  persist(state: PersistedState, ctx?: PersistContext): Promise<void>;
}

/** Load `path` plus command-line lines. Throws ConfigFileError / ConfigError (see src/config). */
export async function loadSentinelConfig(
  path: string | undefined,
  argvLines: string[],
  log?: (message: string) => void,
): Promise<ConfigStore> {
  const loaded = await loadConfigFile(path, { argvLines });
  if (loaded.recovered !== undefined) {
    log?.(
      loaded.recovered === 'completed'
        ? `Config file ${loaded.path} held an interrupted in-place rewrite: loaded the complete new version it recorded`
        : `Config file ${loaded.path} held an interrupted in-place rewrite that never started on the file: loaded the previous version`,
    );
  }
  const config = loaded.doc.config;
  const abs = loaded.path;
  const st = loaded.state;
  if (st?.recovered !== undefined) {
    log?.(
      `State file ${st.path} held an interrupted in-place rewrite: loaded the ${st.recovered === 'completed' ? 'complete new' : 'previous'} version`,
    );
  }
  // With `sentinel state-config-file`, every flush goes to the state file and sentinel.conf is never written.
  const store = st
    ? new ConfigFileStore(st.path, {
        ...(log ? { log } : {}),
        render: (_current, state, server) => renderStateFile(state, server, st.mainLoglevel),
      })
    : new ConfigFileStore(abs, log ? { log } : {});
  if (st) log?.(`Sentinel state is kept in ${st.path}; ${abs} is read only`);
  return {
    path: abs,
    ...(st ? { statePath: st.path } : {}),
    config,
    async persist(state, ctx = {}) {
      // Redis chdir()s to `dir` after loading and writes back the directory it actually runs in.
      await store.persist(state, {
        options: config.server,
        cwd: process.cwd(),
        ...(ctx.aclUsers !== undefined ? { aclUsers: ctx.aclUsers } : {}),
      });
    },
  };
}
