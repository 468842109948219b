// Binary discovery. Outside CI a missing binary skips the test with one actionable line; under CI=true it fails,
// because a CI run that silently skips the real-server tests proves nothing.
import { spawnSync } from 'node:child_process';

const INSTALL_HINT = 'apt-get install redis-server redis-sentinel redis-tools';
const cache = new Map<string, boolean>();

export function hasBinary(name: string): boolean {
  let ok = cache.get(name);
  if (ok === undefined) {
    ok = spawnSync('sh', ['-c', `command -v ${name}`], { stdio: 'ignore' }).status === 0;
    cache.set(name, ok);
  }
  return ok;
}

/**
 * For `describe(name, { skip: missingBinaries('redis-server') }, ...)`: false when all are present, otherwise the
 * skip reason. Under CI=true a missing binary throws instead.
 */
export function missingBinaries(...names: string[]): false | string {
  const missing = names.filter((n) => !hasBinary(n));
  if (missing.length === 0) return false;
  const msg = `missing ${missing.join(', ')}: install with \`${hintFor(missing)}\``;
  if (process.env.CI === 'true') throw new Error(msg);
  return msg;
}

/** Throws the actionable one-liner if the binary is missing (use inside a test that must not skip). */
export function requireBinary(name: string): string {
  if (!hasBinary(name)) throw new Error(`missing ${name}: install with \`${hintFor([name])}\``);
  return name;
}

function hintFor(names: string[]): string {
  if (names.includes('haproxy')) return 'apt-get install haproxy';
  return INSTALL_HINT;
}
