// Shared bits of the `vigil` subcommands: argument parsing with node's util.parseArgs, the one-line user error,
// and resolving the cluster directory and its state.
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { resolve } from 'node:path';
import { readState, type ClusterState } from '../cluster/state.js';
import { isSameProcess } from '../cluster/proc.js';

/** A mistake the user can fix: printed as one line (`vigil: <message>`), exit code 2 for usage, 1 otherwise. */
export class UserError extends Error {
  readonly code: string;
  constructor(
    message: string,
    readonly exitCode = 1,
  ) {
    super(message);
    this.code = exitCode === 2 ? 'VIGIL_ERR_USAGE' : 'VIGIL_ERR_USER';
  }
}

export const DEFAULT_DIR = '.vigil';

export type Options = NonNullable<ParseArgsConfig['options']>;

/** util.parseArgs with errors turned into one actionable line. */
export function parse<T extends Options>(argv: string[], options: T, command: string) {
  try {
    // --debug (stack traces) is accepted by every subcommand; the dispatcher reads it.
    return parseArgs({
      args: argv,
      options: { ...options, debug: { type: 'boolean' } },
      allowPositionals: false,
      strict: true,
    });
  } catch (err) {
    const msg = err instanceof Error ? err.message.split('\n')[0] : String(err);
    throw new UserError(`${command}: ${msg?.replace(/\. To specify a positional.*$/, '')} (see \`vigil help\`)`, 2);
  }
}

export function intFlag(value: string | undefined, name: string, fallback: number): number {
  if (value === undefined) return fallback;
  if (!/^\d+$/.test(value)) throw new UserError(`--${name} must be a whole number, got '${value}'`, 2);
  return Number(value);
}

export function clusterDir(flag: string | undefined): string {
  return resolve(flag ?? process.env.VIGIL_DIR ?? DEFAULT_DIR);
}

/** The state of the cluster in DIR, or a one-line error saying how to start one. */
export function requireState(dir: string): ClusterState {
  const s = readState(dir);
  if (!s) throw new UserError(`no cluster in ${dir}: start one with \`vigil up --dir ${dir}\``);
  if (s.stoppedAt)
    throw new UserError(
      `the cluster in ${dir} was stopped at ${s.stoppedAt}: start it again with \`vigil up --dir ${dir}\``,
    );
  return s;
}

export function upAlive(s: ClusterState): boolean {
  return isSameProcess(s.upPid, s.upStartTime);
}

/** Writes to stdout, ignoring EPIPE (`vigil up --json | head -1`). */
export function out(line: string): void {
  process.stdout.write(line + '\n');
}

export function err(line: string): void {
  process.stderr.write(line + '\n');
}

process.stdout.on('error', () => {});
