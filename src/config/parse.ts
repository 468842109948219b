// sentinel.conf parser: a lossless document (every line kept) plus the typed model, with redis-sentinel
// 7.0.15's acceptance rules and error messages (collected from the real binary, see test/unit/config-parse.test.ts).
// Pure: no I/O. The only environment question Redis asks while parsing (is a script executable?) is injected.
// This file is the first pass (every line in order: generic directives through generic.ts, `user`,
// `rename-command`, the rest) and queues the `sentinel` lines for sentinel-directives.ts, which runs after it.

import { resolve as resolvePath } from 'node:path';
import { ConfigError } from './errors.js';
import { DEPRECATED_NAMES, SPECS, applyGeneric } from './generic.js';
import { runSentinelPasses, type QueuedSentinel, type SentinelCtx } from './sentinel-directives.js';
import { quoteIfNeeded, splitArgs } from './tokenize.js';
import type {
  ConfigDocument,
  ConfigLine,
  MasterConfig,
  SentinelConfig,
  SentinelGlobals,
  ServerOptions,
} from './types.js';

export interface ParseOptions {
  /**
   * Lines made from command-line options (see argvToConfigLines), appended after the file like Redis does:
   * they are numbered after the file's lines plus one (Redis joins file and options with an extra '\n').
   */
  argvLines?: readonly string[];
  /**
   * Redis checks `access(path, X_OK)` for notification-script / client-reconfig-script while parsing. Parsing
   * stays pure, so the caller supplies the check (config/store does); without it scripts are not checked.
   */
  isExecutable?: (path: string) => boolean;
  /**
   * The directory the process starts in. Redis chdir()s at each `dir` line (a relative `dir` is relative to the
   * previous one) and applies the `sentinel` directives after all other lines, so a relative script path resolves
   * against the final `dir`. With `cwd` set, `server.dir` becomes that final absolute directory and scripts are
   * checked there; without it `dir` is kept as written and scripts are checked as given.
   */
  cwd?: string;
  /** With `cwd`: why chdir() to this absolute directory would fail (strerror text), or null when it would work. */
  dirError?: (absDir: string) => string | null;
}

const SENTINEL_DEFAULT_PORT = 26379;

/** Commands registered in sentinel mode (reference §2.1); `rename-command` accepts only these. */
const SENTINEL_COMMANDS = new Set([
  'acl',
  'auth',
  'client',
  'command',
  'hello',
  'info',
  'ping',
  'subscribe',
  'unsubscribe',
  'psubscribe',
  'punsubscribe',
  'publish',
  'role',
  'sentinel',
  'shutdown',
]);

function defaultServerOptions(): ServerOptions {
  return {
    port: SENTINEL_DEFAULT_PORT,
    bind: [],
    protectedMode: false,
    logfile: '',
    loglevel: 'notice',
    daemonize: false,
    users: [],
    renamedCommands: [],
    maxclients: 10000,
    tcpKeepaliveSec: 300,
    clientIdleTimeoutSec: 0,
    hz: 10,
    tlsPort: 0,
    tlsReplication: false,
    tls: {},
    other: {},
  };
}

export function defaultSentinelGlobals(): SentinelGlobals {
  return {
    currentEpoch: 0,
    announcePort: 0,
    denyScriptsReconfig: true,
    resolveHostnames: false,
    announceHostnames: false,
  };
}

// ---- ACL `user` lines (syntax only; command/category names are checked when ACLs are loaded) ----------------

const ACL_WORDS = new Set([
  'on',
  'off',
  'skip-sanitize-payload',
  'sanitize-payload',
  'allkeys',
  'resetkeys',
  'allchannels',
  'resetchannels',
  'allcommands',
  'nocommands',
  'nopass',
  'resetpass',
  'reset',
  'clearselectors',
]);

function aclRuleError(rule: string): string | null {
  const l = rule.toLowerCase();
  if (ACL_WORDS.has(l)) return null;
  const c = rule[0];
  if (c === '>' || c === '<') return null;
  if (c === '#' || c === '!') {
    if (!/^[0-9a-f]{64}$/.test(rule.slice(1))) {
      return 'The password hash must be exactly 64 characters and contain only lowercase hexadecimal characters';
    }
    return null;
  }
  // Patterns with whitespace or NUL are a syntax error (Redis's ACLStringHasSpaces; `user u on "~a b"`).
  if ((c === '~' || c === '&' || c === '%') && /[ \t\n\v\f\r\0]/.test(rule)) return 'Syntax error';
  if (c === '~' || c === '&') return null;
  if (c === '%') return /^%(R|W|RW)~/i.test(rule) ? null : 'Syntax error';
  if (c === '+' || c === '-') return rule.length > 1 ? null : 'Syntax error';
  if (c === '(' && rule.endsWith(')')) {
    for (const r of rule
      .slice(1, -1)
      .split(' ')
      .filter((x) => x !== '')) {
      const e = aclRuleError(r);
      if (e !== null) return e;
    }
    return null;
  }
  return 'Syntax error';
}

/** Redis 7.0 merges `(`…`)` selector arguments that were split on spaces (ACLMergeSelectorArguments). */
function mergeSelectors(rules: readonly string[]): string[] | null {
  const out: string[] = [];
  let open: string | null = null;
  for (const r of rules) {
    if (open !== null) {
      open += ' ' + r;
      if (r.endsWith(')')) {
        out.push(open);
        open = null;
      }
    } else if (r.startsWith('(') && !r.endsWith(')')) {
      open = r;
    } else {
      out.push(r);
    }
  }
  return open === null ? out : null;
}

// ---- the parser ---------------------------------------------------------------------------------------------

const trimRedis = (s: string): string => s.replace(/^[ \t\r\n]+|[ \t\r\n]+$/g, '');

/**
 * Parse a sentinel.conf text (plus command-line lines) the way redis-sentinel 7.0.15 loads it. Throws
 * ConfigError on the first error Redis would report (generic directives in line order first, then the
 * `sentinel` directives in their three passes).
 */
export function parseConfig(text: string, opts: ParseOptions = {}): ConfigDocument {
  const lines: ConfigLine[] = [];
  const fileLines = text.split('\n');
  fileLines.forEach((raw, i) => lines.push(classify(raw, i + 1, 'file')));
  for (const raw of opts.argvLines ?? []) lines.push(classify(raw, lines.length + 1, 'argv'));

  const server = defaultServerOptions();
  const warnings: string[] = [];
  const queue: QueuedSentinel[] = [];
  const userNames = new Set<string>();
  let effectiveDir: string | undefined;

  for (const l of lines) {
    if (l.kind !== 'directive') continue;
    const line = trimRedis(l.raw);
    const fail = (message: string, hint: string): never => {
      throw new ConfigError({ lineNo: l.lineNo, line, redisMessage: message, hint });
    };
    const args = splitArgs(line);
    if (args === null) {
      return fail(
        'Unbalanced quotes in configuration line',
        'close every quote, leave a space after a closing quote, and escape a literal " inside double quotes as \\"',
      );
    }
    if (args.length === 0) continue;
    const name = (args[0] as string).toLowerCase();
    const spec = SPECS.get(name);
    if (spec !== undefined) {
      applyGeneric(spec, args.slice(1), server, fail);
      if (spec.name === 'dir' && opts.cwd !== undefined) {
        // Redis's chdir() at this line: the next relative `dir` starts from here; a failure names this line.
        const abs = resolvePath(effectiveDir ?? opts.cwd, server.dir as string);
        const err = opts.dirError?.(abs) ?? null;
        if (err !== null) fail(err, `create the directory '${abs}' or fix 'dir'`);
        effectiveDir = abs;
        server.dir = abs;
      }
      continue;
    }
    if (DEPRECATED_NAMES.has(name)) {
      warnings.push(
        `Configuration option '${args[0] as string}' is deprecated and will be removed in a future release.`,
      );
      continue;
    }
    if (name === 'include' && args.length === 2) {
      fail('include is not supported by vigil', 'copy the included directives into this file');
    } else if (name === 'rename-command' && args.length === 3) {
      const cmd = args[1] as string;
      if (!SENTINEL_COMMANDS.has(cmd.toLowerCase())) {
        fail('No such command in rename-command', `sentinel mode only has: ${[...SENTINEL_COMMANDS].join(', ')}`);
      }
      server.renamedCommands.push({ command: cmd, renamed: args[2] as string });
    } else if (name === 'user' && args.length >= 2) {
      const uname = args[1] as string;
      const rules = mergeSelectors(args.slice(2));
      if (rules === null) fail(`Error in user declaration '${uname}': Syntax error`, 'close the ( selector with )');
      (rules as string[]).forEach((r, idx) => {
        const e = aclRuleError(r);
        // Redis names argv[<index of the bad rule>] here, not the rule itself (a 7.0 quirk kept for fidelity).
        if (e !== null)
          fail(`Error in user declaration '${args[idx] ?? ''}': ${e}`, `fix the ACL rule '${r}' (see ACL SETUSER)`);
      });
      if (userNames.has(uname)) {
        fail(
          `Error in user declaration '${uname}': Duplicate user found. A user can only be defined once in config files`,
          `merge the 'user ${uname}' lines into one`,
        );
      }
      userNames.add(uname);
      server.users.push(args.slice(1).map(quoteIfNeeded).join(' '));
    } else if (name === 'loadmodule' && args.length >= 2) {
      // redis-sentinel accepts the line and never loads modules in sentinel mode (CONFIG REWRITE then drops it).
      warnings.push(`loadmodule ignored in sentinel mode: ${args[1] as string}`);
    } else if (name.includes('.')) {
      // Module option: Redis queues it for a module; a sentinel never loads one. Kept, ignored, warned.
      warnings.push(`Module configuration '${args[0] as string}' ignored: no module is loaded.`);
    } else if (name === 'sentinel') {
      if (args.length > 1) queue.push({ args: args.slice(1), lineNo: l.lineNo, line });
    } else {
      fail('Bad directive or wrong number of arguments', badDirectiveHint(name, args.length - 1));
    }
  }

  const sentinel = defaultSentinelGlobals();
  const masters: MasterConfig[] = [];
  // Sentinel directives run after every generic line, in the final `dir` (see ParseOptions.cwd).
  const scriptDir = effectiveDir ?? opts.cwd;
  const check = opts.isExecutable;
  const isExecutable =
    check === undefined || scriptDir === undefined ? check : (p: string) => check(resolvePath(scriptDir, p));
  const ctx: SentinelCtx = { sentinel, masters, isExecutable, renamed: new Map() };
  runSentinelPasses(queue, ctx);

  const config: SentinelConfig = { server, sentinel, masters };
  return { lines, config, warnings };
}

function classify(raw: string, lineNo: number, source: 'file' | 'argv'): ConfigLine {
  const t = trimRedis(raw);
  if (t === '') return { lineNo, raw, args: [], kind: 'blank', source };
  if (t.startsWith('#')) return { lineNo, raw, args: [], kind: 'comment', source };
  return { lineNo, raw, args: splitArgs(t) ?? [], kind: 'directive', source };
}

function badDirectiveHint(name: string, nargs: number): string {
  if (name === 'include' || name === 'rename-command' || name === 'user' || name === 'loadmodule') {
    const usage: Record<string, string> = {
      include: 'include <path>',
      'rename-command': 'rename-command <command> <new-name>',
      user: 'user <username> [rules...]',
      loadmodule: 'loadmodule <path> [args...]',
    };
    return `wrong number of arguments (${nargs}); usage: ${usage[name] ?? name}`;
  }
  const near = [...SPECS.keys(), 'sentinel', 'user', 'include', 'rename-command'].find(
    (k) => k.replace(/[-_]/g, '') === name.replace(/[-_]/g, ''),
  );
  if (near !== undefined) return `did you mean '${near}'?`;
  return `'${name}' is not a directive redis-sentinel 7.0.15 knows: check the spelling or remove the line`;
}
