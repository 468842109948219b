// The config store: the only code in Vigil that touches the sentinel.conf file on disk. Start-up checks with
// Redis's exact messages, and an atomic replace (temp file in the same directory → fsync → chmod/chown to the old
// file's mode and owner → rename → fsync dir), with a crash-safe in-place fallback where rename cannot work (a
// single-file bind mount: EBUSY / EXDEV; see overwriteInPlace). The file system is injectable so tests can make
// any step fail or stop ("crash") after any step.

import * as nodeFs from 'node:fs';
import * as fsp from 'node:fs/promises';
import { createHash, randomBytes } from 'node:crypto';
import { dirname, basename, resolve } from 'node:path';
import { parseConfig, type ParseOptions } from './parse.js';
import { rewriteConfig } from './rewrite.js';
import { combineWithState, findStateConfigFile } from './state-file.js';
import type { ConfigDocument, LogLevel, PersistedState, ServerState } from './types.js';

/** The subset of node:fs/promises (+ one sync check) the store uses. */
export interface StoreFs {
  readFile(path: string, encoding: 'utf8'): Promise<string>;
  stat(path: string): Promise<{ isDirectory(): boolean; mode: number; uid: number; gid: number; size: number }>;
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
  /** pwrite all of `data` at `position`. */
  writeAt(data: Buffer, position: number): Promise<void>;
  chown(uid: number, gid: number): Promise<void>;
  truncate(len: number): Promise<void>;
  sync(): Promise<void>;
  chmod(mode: number): Promise<void>;
  close(): Promise<void>;
}

export const nodeStoreFs: StoreFs = {
  readFile: (p, e) => fsp.readFile(p, e),
  stat: (p) => fsp.stat(p),
  access: (p, m) => fsp.access(p, m),
  open: async (p, f, m) => {
    const fh = await fsp.open(p, f, m);
    return {
      writeFile: (d, e) => fh.writeFile(d, e),
      writeAt: async (data, position) => {
        let off = 0;
        while (off < data.length) {
          const { bytesWritten } = await fh.write(data, off, data.length - off, position + off);
          if (bytesWritten <= 0) throw Object.assign(new Error('short write'), { code: 'EIO' });
          off += bytesWritten;
        }
      },
      chown: (u, g) => fh.chown(u, g),
      truncate: (n) => fh.truncate(n),
      sync: () => fh.sync(),
      chmod: (mode) => fh.chmod(mode),
      close: () => fh.close(),
    };
  },
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
  /** Set when the file held an interrupted in-place rewrite (see recoverInPlaceWrite). */
  recovered?: 'completed' | 'discarded';
  /**
   * Set when the file names `sentinel state-config-file` (src/config/state-file.ts): the absolute state path
   * (every flush goes there; `path` is never written), sentinel.conf's own loglevel, and whether the state file
   * held an interrupted in-place rewrite.
   */
  state?: { path: string; mainLoglevel: LogLevel; recovered?: 'completed' | 'discarded' };
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
  // With a state file, sentinel.conf is read-only input: it is never opened for writing, so it need not be writable.
  const stateRef = findStateConfigFile(text, opts.argvLines);
  if (stateRef === undefined) {
    try {
      await fs.access(abs, nodeFs.constants.W_OK);
    } catch (e) {
      throw new ConfigFileError(
        `Sentinel config file ${abs} is not writable: ${strerror(e)}. Exiting...`,
        "Sentinel persists its state in this file: make it writable, or add 'sentinel state-config-file <path>' to keep the state in a writable file of its own (a read-only mount such as a ConfigMap then works)",
        e,
      );
    }
  }
  const rec = recoverInPlaceWrite(text);
  text = rec.text;
  const cwd = opts.cwd ?? process.cwd();
  const parseOpts: ParseOptions = {
    ...(opts.argvLines !== undefined ? { argvLines: opts.argvLines } : {}),
    isExecutable: (p) => fs.isExecutableSync(p),
    cwd,
    dirError: (d) => (fs.dirErrorSync ?? nodeStoreFs.dirErrorSync)!(d),
  };
  const mainDoc = parseConfig(text, parseOpts);
  const recovered = rec.recovered !== undefined ? { recovered: rec.recovered } : {};
  if (stateRef === undefined) return { path: abs, text, doc: mainDoc, ...recovered };

  // A relative state path is relative to the final `dir`, like every other path Sentinel uses after start-up.
  const statePath = resolve(mainDoc.config.server.dir ?? cwd, stateRef);
  let stateText = '';
  try {
    if ((await fs.stat(statePath)).isDirectory()) throw Object.assign(new Error('EISDIR'), { code: 'EISDIR' });
    stateText = await fs.readFile(statePath, 'utf8');
  } catch (e) {
    // No state file yet: the first start seeds it from sentinel.conf.
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') {
      throw new ConfigFileError(
        `Fatal error, can't open state file '${statePath}': ${strerror(e)}`,
        'fix the path or the permissions',
        e,
      );
    }
  }
  // The directory must take a new file (the atomic replace writes a temp file next to it and renames it).
  try {
    await fs.access(dirname(statePath), nodeFs.constants.W_OK);
  } catch (e) {
    throw new ConfigFileError(
      `Sentinel state file directory ${dirname(statePath)} is not writable: ${strerror(e)}. Exiting...`,
      'the state file is rewritten atomically (temp file + rename): make its directory writable, e.g. a persistent volume',
      e,
    );
  }
  const stateRec = recoverInPlaceWrite(stateText);
  let combined: string;
  try {
    combined = combineWithState(text, stateRec.text, statePath);
  } catch (e) {
    throw new ConfigFileError((e as Error).message, 'the state file holds only what Vigil wrote there', e);
  }
  const doc = combined === text ? mainDoc : parseConfig(combined, parseOpts);
  return {
    path: abs,
    text,
    doc,
    ...recovered,
    state: {
      path: statePath,
      mainLoglevel: mainDoc.config.server.loglevel,
      ...(stateRec.recovered !== undefined ? { recovered: stateRec.recovered } : {}),
    },
  };
}

export interface WriteOptions {
  fs?: StoreFs;
  /** Process umask (default: the real one); a new file gets mode 0644 & ~umask like Redis (an existing one keeps its mode). */
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
 * directory → write → fsync → fchmod → rename over `path` → fsync the directory. A crash leaves either the old or
 * the new file. Deviation from Redis (which sets 0644 & ~umask): the new file keeps the old file's mode and, where
 * the process may, its owner and group, so a 0600 file holding passwords stays 0600; a file that did not exist
 * gets 0644 & ~umask. When rename fails with EBUSY or EXDEV (a single-file bind mount, which Redis cannot handle:
 * redis/docker-library-redis#287) the file is rewritten in place with the crash-safe protocol of
 * overwriteInPlace. Any other failure rejects (the temp file is removed); the caller logs Redis's warning.
 */
export async function writeConfigAtomic(path: string, text: string, opts: WriteOptions = {}): Promise<WriteResult> {
  const fs = opts.fs ?? nodeStoreFs;
  let mode = 0o644 & ~(opts.umask ?? currentUmask());
  let owner: { uid: number; gid: number } | undefined;
  try {
    const st = await fs.stat(path);
    mode = st.mode & 0o7777;
    owner = { uid: st.uid, gid: st.gid };
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
  }
  const tmp = `${path}.${randomBytes(4).toString('base64url').slice(0, 6)}`;
  let fh: StoreFileHandle | undefined;
  try {
    fh = await fs.open(tmp, 'wx', 0o600);
    await fh.writeFile(text, 'utf8');
    await fh.sync();
    if (owner !== undefined) {
      // Only root may give a file away; a non-root owner keeps uid and may keep gid. EPERM: stay ours.
      await fh.chown(owner.uid, owner.gid).catch((e: NodeJS.ErrnoException) => {
        if (e.code !== 'EPERM' && e.code !== 'EINVAL') throw e;
      });
    }
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

const MARK = '# vigil: in-place rewrite in progress';
const BLOCK_START = '# vigil: the new config follows (used if this rewrite was interrupted; do not edit)';
const PENDING_LINE = '#> ';
const PENDING_END = '# vigil: end ';

function sha256(b: Buffer): string {
  return createHash('sha256').update(b).digest('hex');
}

/** The recovery block appended during an in-place rewrite: every line of `text` as a comment, then a checksum. */
function pendingBlock(text: string): Buffer {
  const body = text
    .split('\n')
    .map((l) => PENDING_LINE + l + '\n')
    .join('');
  const bytes = Buffer.from(text, 'utf8');
  return Buffer.from(`\n${BLOCK_START}\n${body}${PENDING_END}${sha256(bytes)} ${bytes.length}\n`, 'utf8');
}

/** The block's text when `text` ends with a complete block whose checksum matches, else undefined. */
function completeBlock(text: string): string | undefined {
  const at = text.lastIndexOf(`\n${BLOCK_START}\n`);
  if (at === -1) return undefined;
  const lines = text.slice(at + BLOCK_START.length + 2).split('\n');
  const endIdx = lines.findIndex((l) => !l.startsWith(PENDING_LINE));
  const end = endIdx === -1 ? undefined : lines[endIdx];
  if (end === undefined || lines.slice(endIdx + 1).join('') !== '') return undefined;
  const content = lines
    .slice(0, endIdx)
    .map((l) => l.slice(PENDING_LINE.length))
    .join('\n');
  const bytes = Buffer.from(content, 'utf8');
  return end === `${PENDING_END}${sha256(bytes)} ${bytes.length}` ? content : undefined;
}

/**
 * Undo an interrupted in-place rewrite (see overwriteInPlace); every state that protocol can leave on disk maps
 * to the old or the new config here. A complete recovery block (checksum matches) means the head may be torn: the
 * block's text is the config ('completed'). Otherwise the head was never touched: the text before the progress
 * mark is the old config ('discarded'); a mark cut short (its prefix, or NUL bytes a power loss leaves in a grown
 * file) is dropped from the end. A file with none of these is returned as it is.
 */
function recoverInPlaceWrite(text: string): { text: string; recovered?: 'completed' | 'discarded' } {
  const done = completeBlock(text);
  if (done !== undefined) return { text: done, recovered: 'completed' };
  const mark = text.lastIndexOf(`\n${MARK}\n`);
  if (mark !== -1) return { text: text.slice(0, mark).replace(/\n*$/, '\n'), recovered: 'discarded' };
  // A torn mark: trailing lines that are empty, hold NUL bytes, or are a prefix of the mark.
  const lines = text.split('\n');
  let end = lines.length;
  let torn = false;
  while (end > 0) {
    const l = lines[end - 1] as string;
    if (l === '') {
      end--;
      continue;
    }
    if (!l.includes('\0') && !MARK.startsWith(l)) break;
    torn = true;
    end--;
  }
  if (!torn) return { text };
  return { text: lines.slice(0, end).join('\n') + (end > 0 ? '\n' : ''), recovered: 'discarded' };
}

/**
 * The in-place rewrite, crash-safe without a second file (on a single-file bind mount the directory may not
 * outlive the container). Old text O (o bytes), new text N (n bytes), mark line M, S = max(o + |M|, n):
 *  1. append M at offset o; fsync. Torn: O + part of M → the old config (recoverInPlaceWrite drops it).
 *  2. append, after M, empty lines up to S and then the recovery block (N as comments + its checksum); fsync.
 *     Torn: O + M + part of a block → the old config (everything from M on is dropped). ENOSPC strikes in these
 *     two steps, where the file grows, before the head is touched.
 *  3. write N + empty lines over [0, S), leaving the block alone; fsync.
 *     Torn: a mixed head + the complete block → the new config (the block is taken).
 *  4. truncate to n; fsync. Before it: N + empty lines + block → the new config either way.
 * The file keeps its inode, so its mode and owner are unchanged. Real redis-sentinel would not recover a file
 * torn in step 3; a file after any complete step loads in Redis too (the extra lines are comments).
 */
async function overwriteInPlace(fs: StoreFs, path: string, text: string): Promise<void> {
  const fh = await fs.open(path, 'r+');
  try {
    const size = (await fs.stat(path)).size;
    const next = Buffer.from(text, 'utf8');
    const mark = Buffer.from(`\n${MARK}\n`, 'utf8');
    const afterMark = size + mark.length;
    const s = Math.max(afterMark, next.length);
    await fh.writeAt(mark, size);
    await fh.sync();
    await fh.writeAt(Buffer.concat([Buffer.alloc(s - afterMark, '\n'), pendingBlock(text)]), afterMark);
    await fh.sync();
    await fh.writeAt(Buffer.concat([next, Buffer.alloc(s - next.length, '\n')]), 0);
    await fh.sync();
    await fh.truncate(next.length);
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
    private readonly opts: WriteOptions & {
      /** The new text from the file's current text (default: rewriteConfig; the state file has its own). */
      render?: (current: string, state: PersistedState, server: ServerState) => string;
    } = {},
  ) {}

  persist(state: PersistedState, server: ServerState): Promise<WriteResult> {
    const run = async (): Promise<WriteResult> => {
      const fs = this.opts.fs ?? nodeStoreFs;
      let current: string;
      try {
        // A flush that failed half-way through an in-place rewrite left a recovery block: resolve it first.
        current = recoverInPlaceWrite(await fs.readFile(this.path, 'utf8')).text;
      } catch (e) {
        // Like Redis: a vanished file is rewritten from scratch; any other read error fails this flush.
        if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
        current = '';
      }
      const render = this.opts.render ?? rewriteConfig;
      return writeConfigAtomic(this.path, render(current, state, server), this.opts);
    };
    const p = this.tail.then(run, run);
    this.tail = p.catch(() => undefined);
    return p;
  }
}
