// `sentinel state-config-file <path>` (Vigil; the name proposed for Redis and Valkey): sentinel.conf becomes
// read-only input (a ConfigMap, an Ansible template, a read-only bind mount) and what Sentinel changes at run time
// goes to the state file, which is loaded after sentinel.conf. Pure: text in, text out (the store does the I/O).
//
// The state file holds exactly what the sentinel can change while it runs: every `sentinel` line the rewriter
// owns (myid, epochs, monitor/remove, SENTINEL SET results, known replicas and sentinels, the CONFIG SET globals)
// and `loglevel` when SENTINEL CONFIG SET made it differ from sentinel.conf. When the state file has content, its
// `sentinel` lines replace sentinel.conf's as a whole (sentinel.conf seeds the state on the first start only);
// everything else (port, bind, dir, logfile, TLS, requirepass, users, deny-scripts-reconfig) always comes from
// sentinel.conf.
import { rewriteConfig, SENTINEL_KINDS } from './rewrite.js';
import { formatConfigLine, splitArgs } from './tokenize.js';
import type { LogLevel, PersistedState, ServerState } from './types.js';

/** `sentinel` kinds the state file owns: all the rewriter writes, except the one that cannot change at run time. */
const STATE_KINDS = new Set<string>([...SENTINEL_KINDS.filter((k) => k !== 'deny-scripts-reconfig'), 'known-slave']);

const STATE_FILE_HEADER = [
  '# Vigil sentinel state (sentinel state-config-file): written by the sentinel, loaded after sentinel.conf.',
  "# Its sentinel lines replace sentinel.conf's; delete this file (sentinel stopped) to start again from sentinel.conf.",
];

function words(line: string): string[] {
  const t = line.trim();
  if (t === '' || t.startsWith('#')) return [];
  return splitArgs(t) ?? [];
}

/** The state-config-file path named in a config text (the last such line wins), without a full parse. */
export function findStateConfigFile(text: string, argvLines: readonly string[] = []): string | undefined {
  let found: string | undefined;
  for (const line of [...text.split('\n'), ...argvLines]) {
    const w = words(line);
    if (w.length === 3 && w[0]?.toLowerCase() === 'sentinel' && w[1]?.toLowerCase() === 'state-config-file') {
      found = w[2];
    }
  }
  return found;
}

/** Whether a state-file line is one the state file may hold (else the loader refuses the file). */
function isStateLine(w: readonly string[]): boolean {
  const d = w[0]?.toLowerCase();
  if (d === 'loglevel') return w.length === 2;
  return d === 'sentinel' && w.length >= 2 && STATE_KINDS.has((w[1] ?? '').toLowerCase());
}

export class StateFileError extends Error {
  readonly code = 'VIGIL_ERR_STATE_FILE';
}

/**
 * The text to parse: sentinel.conf with the lines the state file owns blanked (kept as empty lines, so line
 * numbers in errors still point into sentinel.conf), then the state file. Without state (first start) the text
 * is sentinel.conf unchanged. Throws StateFileError when the state file holds a line it may not.
 */
export function combineWithState(mainText: string, stateText: string, statePath: string): string {
  const stateLines = stateText.split('\n');
  let hasState = false;
  let hasLoglevel = false;
  stateLines.forEach((line, i) => {
    const w = words(line);
    if (w.length === 0) return;
    if (!isStateLine(w)) {
      throw new StateFileError(
        `State file ${statePath} line ${i + 1}: '${line.trim()}' is not a state line (only 'sentinel' state and 'loglevel'); fix or delete the file`,
      );
    }
    hasState = true;
    if (w[0]?.toLowerCase() === 'loglevel') hasLoglevel = true;
  });
  if (!hasState) return mainText;
  const main = mainText.split('\n').map((line) => {
    const w = words(line);
    if (w.length === 0) return line;
    if (w[0]?.toLowerCase() === 'loglevel') return hasLoglevel ? '' : line;
    return isStateLine(w) ? '' : line;
  });
  return `${main.join('\n')}\n${stateText}`;
}

/**
 * The state file's new text: the rewriter's `sentinel` lines for `state` (in its order), and `loglevel` when the
 * live level differs from sentinel.conf's. Every line goes through the same quoting and checks as sentinel.conf's.
 */
export function renderStateFile(state: PersistedState, server: ServerState, mainLoglevel: LogLevel): string {
  const full = rewriteConfig('', state, { ...server, aclUsers: [] });
  const out = [...STATE_FILE_HEADER];
  if (server.options.loglevel !== mainLoglevel) out.push(formatConfigLine(['loglevel', server.options.loglevel]));
  for (const line of full.split('\n')) {
    const w = words(line);
    if (w.length > 0 && w[0] === 'sentinel' && STATE_KINDS.has(w[1] ?? '')) out.push(line);
  }
  return out.join('\n') + '\n';
}
