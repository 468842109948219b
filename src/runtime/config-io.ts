// The one place the sentinel process reads and writes its config file, through src/config (parse, rewrite,
// atomic store). It keeps the loaded document so every flush rewrites the original file (comments and generic
// directives preserved) with the live sentinel state. Writes are asynchronous (fsync off the event loop).
import type { ConfigDocument, PersistedState, SentinelConfig } from '../config/index.js';
import { loadConfigFile, rewriteConfig, writeConfigAtomic } from '../config/index.js';

export interface ConfigStore {
  readonly path: string;
  readonly config: SentinelConfig;
  /** Rewrite the file atomically with `state`. Rejects on failure. */
  persist(state: PersistedState): Promise<void>;
}

/** Load `path` plus command-line lines. Throws ConfigFileError / ConfigError (see src/config). */
export async function loadSentinelConfig(
  path: string | undefined,
  argvLines: string[],
  log?: (message: string) => void,
): Promise<ConfigStore> {
  const loaded = await loadConfigFile(path, { argvLines });
  const doc: ConfigDocument = loaded.doc;
  const abs = loaded.path;
  // Redis chdir()s to `dir` after loading; the rewrite records the directory we actually run in.
  return {
    path: abs,
    config: doc.config,
    async persist(state) {
      const text = rewriteConfig(doc, state, { options: doc.config.server, cwd: process.cwd() });
      await writeConfigAtomic(abs, text, log ? { log } : {});
    },
  };
}
