// The config store: the only code in Vigil that touches the sentinel.conf file on disk. Start-up checks with
// Redis's exact messages, and an atomic replace (temp file in the same directory → fsync → chmod → rename →
// fsync dir), with an in-place fallback where rename cannot work (a single-file bind mount: EBUSY / EXDEV).
// The file system is injectable so tests can make any step fail.

import * as nodeFs from 'node:fs';
import * as fsp from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import { dirname, basename, resolve } from 'node:path';
import { parseConfig } from './parse.js';
import { rewriteConfig } from './rewrite.js';
import type { ConfigDocument, PersistedState, ServerState } from './types.js';

/** The subset of node:fs/promises (+ one sync check) the store uses. */
export interface StoreFs {
  readFile(path: string, encoding: 'utf8'): Promise<string>;
  stat(path: string): Promise<{ isDirectory(): boolean }>;
  /** access(path, mode); rejects with an errno error. */
  access(path: string, mode: number): Promise<void>;
  open(path: string, flags: string | number, mode?: number): Promise<StoreFileHandle>;
  rename(from: string, to: string): Promise<void>;
  unlink(path: string): Promise<void>;
  /** Synchronous X_OK check used while parsing (Redis checks scripts with access(2) during parsing). */
  isExecutableSync(path: string): boolean;
  /** Why chdir(dir) would fail (strerror text), or null; checked at each `dir` line like Redis's chdir(). */
  dirErrorSync?(dir: string): string | null;
}

export interface StoreFileHandle {
  writeFile(data: string, encoding: 'utf8'): Promise<void>;
  truncate(len: number): Promise<void>;
  sync(): Promise<void>;
  chmod(mode: number): Promise<void>;
  close(): Promise<void>;
}

export const nodeStoreFs: StoreFs = {
  readFile: (p, e) => fsp.readFile(p, e),
  stat: (p) => fsp.stat(p),
  access: (p, m) => fsp.access(p, m),
  open: (p, f, m) => fsp.open(p, f, m),
  rename: (a, b) => fsp.rename(a, b),
  unlink: (p) => fsp.unlink(p),
  isExecutableSync: (p) => {
    try {
      nodeFs.accessSync(p, nodeFs.constants.X_OK);
      return true;
    } catch {
      return false;
    }
  },
  dirErrorSync: (d) => {
    try {
      if (!nodeFs.statSync(d).isDirectory()) return strerror({ code: 'ENOTDIR' });
      nodeFs.accessSync(d, nodeFs.constants.X_OK);
      return null;
    } catch (e) {
      return strerror(e);
    }
  },
};

export type ConfigFileErrorCode = 'VIGIL_ERR_CONFIG_FILE';

/** The config file is missing, unreadable or not writable. `message` is Redis's log line. */
export class ConfigFileError extends Error {
  readonly code: ConfigFileErrorCode = 'VIGIL_ERR_CONFIG_FILE';
  readonly hint: string;
  constructor(message: string, hint: string, cause?: unknown) {
    super(message, cause === undefined ? undefined : { cause });
    this.name = 'ConfigFileError';
    this.hint = hint;
  }
}

/** strerror(3) text for the errno codes a config file can produce (Node only gives the code). */
export function strerror(err: unknown): string {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  const table: Record<string, string> = {
    ENOENT: 'No such file or directory',
    EACCES: 'Permission denied',
    EPERM: 'Operation not permitted',
    EROFS: 'Read-only file system',
    EISDIR: 'Is a directory',
    ENOTDIR: 'Not a directory',
    EBUSY: 'Device or resource busy',
    EXDEV: 'Invalid cross-device link',
    ENOSPC: 'No space left on device',
    EDQUOT: 'Disk quota exceeded',
    EIO: 'Input/output error',
    ETXTBSY: 'Text file busy',
    ELOOP: 'Too many levels of symbolic links',
    ENAMETOOLONG: 'File name too long',
  };
  return (code !== undefined ? table[code] : undefined) ?? (err instanceof Error ? err.message : String(err));
}

export interface LoadedConfig {
  /** Absolute path (Redis makes the config path absolute before it chdir()s to `dir`). */
  path: string;
  text: string;
  doc: ConfigDocument;
}

/**
 * Start-up: read, check writable, parse. Throws ConfigFileError with Redis's messages:
 * no path → `Sentinel needs config file on disk to save state. Exiting...`;
 * cannot open → `Fatal error, can't open config file '<path>': <strerror>`;
 * not writable → `Sentinel config file <path> is not writable: <strerror>. Exiting...`.
 * Parse errors propagate as ConfigError.
 */
export async function loadConfigFile(
  path: string | undefined,
  opts: { argvLines?: readonly string[]; fs?: StoreFs; cwd?: string } = {},
): Promise<LoadedConfig> {
  const fs = opts.fs ?? nodeStoreFs;
  if (path === undefined || path === '') {
    throw new ConfigFileError(
      'Sentinel needs config file on disk to save state. Exiting...',
      'pass the path of a writable sentinel.conf (an empty file is fine: Sentinel fills it in)',
    );
  }
  const abs = resolve(opts.cwd ?? process.cwd(), path);
  let text: string;
  try {
    // Redis happily "reads" a directory as an empty file and then fails every save; refuse it up front.
    if ((await fs.stat(abs)).isDirectory()) throw Object.assign(new Error('EISDIR'), { code: 'EISDIR' });
    text = await fs.readFile(abs, 'utf8');
  } catch (e) {
    throw new ConfigFileError(
      `Fatal error, can't open config file '${abs}': ${strerror(e)}`,
      'create the file (it may be empty) or fix the path',
      e,
    );
  }
  try {
    await fs.access(abs, nodeFs.constants.W_OK);
  } catch (e) {
    throw new ConfigFileError(
      `Sentinel config file ${abs} is not writable: ${strerror(e)}. Exiting...`,
      'Sentinel persists its state in this file: make it writable (a read-only mount such as a ConfigMap will not work; copy it to a writable volume)',
      e,
    );
  }
  const doc = parseConfig(text, {
    ...(opts.argvLines !== undefined ? { argvLines: opts.argvLines } : {}),
    isExecutable: (p) => fs.isExecutableSync(p),
    cwd: opts.cwd ?? process.cwd(),
    dirError: (d) => (fs.dirErrorSync ?? nodeStoreFs.dirErrorSync)!(d),
  });
  return { path: abs, text, doc };
}

export interface WriteOptions {
  fs?: StoreFs;
  /** Process umask (default: the real one); the file gets mode 0644 & ~umask like Redis. */
  umask?: number;
  /** Receives one line when the in-place fallback is used. */
  log?: (message: string) => void;
}

export interface WriteResult {
  /** 'rename': atomic replace; 'in-place': rename was impossible (EBUSY/EXDEV), the file was overwritten. */
  mode: 'rename' | 'in-place';
}

function currentUmask(): number {
  // process.umask() without an argument is documentation-deprecated but is the only way to read it.
  return process.umask();
}

/**
 * Replace `path` with `text` atomically (Redis's rewriteConfigOverwriteFile): `<path>.XXXXXX` in the same
 * directory → write → fsync → fchmod(0644 & ~umask) → rename over `path` → fsync the directory. A crash leaves
 * either the old or the new file. When rename fails with EBUSY or EXDEV (a single-file bind mount, which Redis
 * cannot handle: redis/docker-library-redis#287) the file is overwritten in place instead: write the new bytes
 * from offset 0, truncate to their length, fsync — never empty at any point, but not atomic against a crash.
 * Any other failure rejects (the temp file is removed); the caller logs Redis's warning and keeps running.
 */
export async function writeConfigAtomic(path: string, text: string, opts: WriteOptions = {}): Promise<WriteResult> {
  const fs = opts.fs ?? nodeStoreFs;
  const mode = 0o644 & ~(opts.umask ?? currentUmask());
  const tmp = `${path}.${randomBytes(4).toString('base64url').slice(0, 6)}`;
  let fh: StoreFileHandle | undefined;
  try {
    fh = await fs.open(tmp, 'wx', 0o600);
    await fh.writeFile(text, 'utf8');
    await fh.sync();
    await fh.chmod(mode);
    await fh.close();
    fh = undefined;
  } catch (e) {
    if (fh !== undefined) await fh.close().catch(() => undefined);
    await fs.unlink(tmp).catch(() => undefined);
    throw e;
  }
  try {
    await fs.rename(tmp, path);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    await fs.unlink(tmp).catch(() => undefined);
    if (code !== 'EBUSY' && code !== 'EXDEV') throw e;
    await overwriteInPlace(fs, path, text);
    opts.log?.(
      `Could not rename tmp config file (${strerror(e)}): ${basename(path)} is probably a single-file bind mount; ` +
        'rewrote it in place instead (not atomic: mount its directory to get atomic replaces)',
    );
    return { mode: 'in-place' };
  }
  await fsyncDir(fs, dirname(path));
  return { mode: 'rename' };
}

async function overwriteInPlace(fs: StoreFs, path: string, text: string): Promise<void> {
  const fh = await fs.open(path, 'r+');
  try {
    await fh.writeFile(text, 'utf8');
    await fh.truncate(Buffer.byteLength(text, 'utf8'));
    await fh.sync();
  } finally {
    await fh.close();
  }
}

async function fsyncDir(fs: StoreFs, dir: string): Promise<void> {
  const fh = await fs.open(dir, 'r');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}

/**
 * What the running sentinel uses to persist (Redis's sentinelFlushConfig): every call re-reads the file as it is
 * on disk, rewrites it with the live state (so the file keeps the same history-shaped layout Redis gives it) and
 * replaces it atomically. Calls are serialised in call order, so a later state never lands before an earlier one.
 */
export class ConfigFileStore {
  private tail: Promise<unknown> = Promise.resolve();

  constructor(
    readonly path: string,
    private readonly opts: WriteOptions = {},
  ) {}

  persist(state: PersistedState, server: ServerState): Promise<WriteResult> {
    const run = async (): Promise<WriteResult> => {
      const fs = this.opts.fs ?? nodeStoreFs;
      let current: string;
      try {
        current = await fs.readFile(this.path, 'utf8');
      } catch (e) {
        // Like Redis: a vanished file is rewritten from scratch; any other read error fails this flush.
        if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
        current = '';
      }
      return writeConfigAtomic(this.path, rewriteConfig(current, state, server), this.opts);
    };
    const p = this.tail.then(run, run);
    this.tail = p.catch(() => undefined);
    return p;
  }
}
