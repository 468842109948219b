// Finding redis-server / redis-sentinel, and installing them when `vigil up` runs as root on Debian/Ubuntu
// (unless VIGIL_NO_INSTALL=1). Anywhere else it says the exact command and stops: installing software is the
// user's call.
import { accessSync, constants, existsSync, readFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { delimiter, join } from 'node:path';

export class MissingBinaryError extends Error {
  readonly code = 'VIGIL_ERR_MISSING_BINARY';
}

export function findBinary(name: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (!dir) continue;
    const p = join(dir, name);
    try {
      accessSync(p, constants.X_OK);
      return p;
    } catch {
      // not here
    }
  }
  return undefined;
}

/** Debian package that ships each binary. */
const PACKAGE: Record<string, string> = { 'redis-server': 'redis-server', 'redis-sentinel': 'redis-sentinel' };

function isDebianLike(): boolean {
  if (!existsSync('/usr/bin/apt-get')) return false;
  try {
    const os = readFileSync('/etc/os-release', 'utf8');
    return /^(ID|ID_LIKE)=.*\b(debian|ubuntu)\b/m.test(os);
  } catch {
    return false;
  }
}

/**
 * Returns absolute paths for the binaries, installing missing ones with apt-get when root on Debian/Ubuntu
 * (with a one-line notice). Otherwise throws MissingBinaryError carrying the command to run.
 */
export function ensureBinaries(names: string[], notice: (line: string) => void): Record<string, string> {
  let missing = names.filter((n) => !findBinary(n));
  if (missing.length > 0) {
    const pkgs = [...new Set(missing.map((n) => PACKAGE[n] ?? n))];
    const cmd = `apt-get install -y ${pkgs.join(' ')}`;
    const root = process.getuid?.() === 0;
    // VIGIL_NO_INSTALL=1: never install anything (CI images, users who manage packages themselves).
    if (root && isDebianLike() && process.env.VIGIL_NO_INSTALL !== '1') {
      notice(`${missing.join(' and ')} not found: running \`${cmd}\``);
      let r = spawnSync('apt-get', ['install', '-y', ...pkgs], { stdio: ['ignore', 'inherit', 'inherit'] });
      if (r.status !== 0) {
        // A fresh container often has no package lists yet.
        spawnSync('apt-get', ['update'], { stdio: ['ignore', 'inherit', 'inherit'] });
        r = spawnSync('apt-get', ['install', '-y', ...pkgs], { stdio: ['ignore', 'inherit', 'inherit'] });
      }
      // The Debian package starts a system-wide redis-server on 6379; that does not disturb us.
      missing = names.filter((n) => !findBinary(n));
      if (missing.length > 0)
        throw new MissingBinaryError(`\`${cmd}\` did not provide ${missing.join(', ')}: install Redis 7 and retry`);
    } else {
      const hint = isDebianLike()
        ? root
          ? cmd
          : `sudo ${cmd}`
        : `install Redis 7 (it provides ${missing.join(', ')}), e.g. \`brew install redis\``;
      throw new MissingBinaryError(`${missing.join(' and ')} not found on PATH: run \`${hint}\`, then retry`);
    }
  }
  const out: Record<string, string> = {};
  for (const n of names) out[n] = findBinary(n) as string;
  return out;
}
