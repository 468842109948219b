// The sentinel-mode command table: lookup (case-insensitive, `cmd|sub`), arity checks, ACL categories, and the
// COMMAND INFO / COMMAND DOCS reply shapes. Data comes from command-data.ts / command-docs-data.ts (measured on
// redis-sentinel 7.0.15). Pure: no I/O.
import { R } from '../resp/index.js';
import type { Out } from '../resp/index.js';
import { lookupSubcommand } from '../core/commands.js';
import { SENTINEL_COMMANDS } from './command-data.js';
import { SENTINEL_COMMAND_DOCS } from './command-docs-data.js';

/** ACL categories in Redis's order (ACL CAT with no argument prints them in this order). */
export const ACL_CATEGORIES = [
  'keyspace',
  'read',
  'write',
  'set',
  'sortedset',
  'list',
  'hash',
  'string',
  'bitmap',
  'hyperloglog',
  'geo',
  'stream',
  'pubsub',
  'admin',
  'fast',
  'slow',
  'blocking',
  'dangerous',
  'connection',
  'transaction',
  'scripting',
] as const;
export type AclCategory = (typeof ACL_CATEGORIES)[number];

export interface CommandSpec {
  /** Lowercase full name: `ping`, `client|kill`. */
  readonly name: string;
  /** Redis arity: N = exactly N args (name included), -N = at least N. */
  readonly arity: number;
  readonly flags: readonly string[];
  readonly categories: readonly AclCategory[];
  readonly tips: readonly string[];
  readonly subcommands?: readonly CommandSpec[];
}

/** Compact docs tree: string = bulk, number = integer, array = array, {s} simple, {set}, {map}. */
export type DocNode =
  string | number | DocNode[] | { s: string } | { set: DocNode[] } | { map: Array<[DocNode, DocNode]> };

export interface CommandEntry extends CommandSpec {
  /** Numeric id (index in `allCommands`), used by the ACL bitmaps. */
  readonly id: number;
  readonly parent: CommandEntry | undefined;
  readonly subs: ReadonlyMap<string, CommandEntry>;
  /** Subcommands in table order. */
  readonly subList: readonly CommandEntry[];
}

const topLevel = new Map<string, CommandEntry>();
/** Every command and subcommand, containers first followed by their subcommands, in table order. */
export const allCommands: CommandEntry[] = [];

function build(spec: CommandSpec, parent: CommandEntry | undefined): CommandEntry {
  const subs = new Map<string, CommandEntry>();
  const subList: CommandEntry[] = [];
  const entry: CommandEntry = { ...spec, id: allCommands.length, parent, subs, subList };
  allCommands.push(entry);
  for (const s of spec.subcommands ?? []) {
    const child = build(s, entry);
    const short = s.name.slice(s.name.indexOf('|') + 1);
    subs.set(short, child);
    subList.push(child);
  }
  return entry;
}
for (const spec of SENTINEL_COMMANDS) topLevel.set(spec.name, build(spec, undefined));

/** Top-level commands in table order. */
export const topLevelCommands: readonly CommandEntry[] = [...topLevel.values()];

export function lookupTop(name: string): CommandEntry | undefined {
  return topLevel.get(name.toLowerCase());
}

/** Lookup by full name as COMMAND INFO / ACL rules accept it: `ping`, `client|kill` (any case). */
export function lookupByFullName(fullName: string): CommandEntry | undefined {
  const lower = fullName.toLowerCase();
  const bar = lower.indexOf('|');
  if (bar === -1) return topLevel.get(lower);
  const parent = topLevel.get(lower.slice(0, bar));
  if (!parent) return undefined;
  const rest = lower.slice(bar + 1);
  if (rest.includes('|')) return undefined;
  return parent.subs.get(rest);
}

export type Resolved =
  | { kind: 'ok'; cmd: CommandEntry }
  | { kind: 'unknown-command' }
  | { kind: 'unknown-subcommand'; container: CommandEntry }
  | { kind: 'arity'; cmd: CommandEntry };

/**
 * Resolve argv to a command the way processCommand does: top-level lookup, then the subcommand when the
 * container has subcommands and argc >= 2, then the arity check.
 */
export function resolve(argv: readonly string[]): Resolved {
  const top = topLevel.get((argv[0] ?? '').toLowerCase());
  if (!top) return { kind: 'unknown-command' };
  let cmd: CommandEntry = top;
  if (top.subList.length > 0 && argv.length >= 2) {
    const typed = (argv[1] ?? '').toLowerCase();
    // SENTINEL takes Valkey 8's names too (the core's table lists them as aliases), run and ACL-checked as the
    // Redis 7.0 subcommand; they are not table entries, so COMMAND, COMMAND LIST/DOCS and HELP stay 7.0's.
    const sub = top.subs.get((top.name === 'sentinel' ? lookupSubcommand(typed)?.name : undefined) ?? typed);
    if (!sub) return { kind: 'unknown-subcommand', container: top };
    cmd = sub;
  }
  if (!arityOk(cmd.arity, argv.length) && !sentinelAlsoAccepts(cmd, argv)) return { kind: 'arity', cmd };
  return { kind: 'ok', cmd };
}

/**
 * A SENTINEL subcommand's extra argument lists (Valkey 9's `FAILOVER <name> COORDINATED`), as the core's table
 * declares them, so the server's arity check and the core's agree.
 */
function sentinelAlsoAccepts(cmd: CommandEntry, argv: readonly string[]): boolean {
  if (cmd.parent?.name !== 'sentinel') return false;
  return lookupSubcommand(cmd.name.slice('sentinel|'.length))?.alsoAccepts?.(argv.slice(1)) ?? false;
}

export function arityOk(arity: number, argc: number): boolean {
  return arity >= 0 ? argc === arity : argc >= -arity;
}

/** COMMAND INFO element for one command (10 fields; subcommands nested), as Redis 7.0 prints it. */
export function commandInfoReply(cmd: CommandEntry): Out {
  return R.array([
    R.bulk(cmd.name),
    R.int(cmd.arity),
    R.set(cmd.flags.map((f) => R.simple(f))),
    R.int(0),
    R.int(0),
    R.int(0),
    R.set(cmd.categories.map((c) => R.simple(`@${c}`))),
    R.set(cmd.tips.map((t) => R.bulk(t))),
    R.set([]), // key specs: none of the sentinel-mode commands has keys
    cmd.subList.length > 0 ? R.array(cmd.subList.map(commandInfoReply)) : R.set([]),
  ]);
}

function docToOut(node: DocNode): Out {
  if (typeof node === 'string') return R.bulk(node);
  if (typeof node === 'number') return R.int(node);
  if (Array.isArray(node)) return R.array(node.map(docToOut));
  if ('s' in node) return R.simple(node.s);
  if ('set' in node) return R.set(node.set.map(docToOut));
  return R.map(node.map.map(([k, v]) => [docToOut(k), docToOut(v)] as [Out, Out]));
}

const docsByName = new Map<string, DocNode>(SENTINEL_COMMAND_DOCS.map(([k, v]) => [k, v]));

function asMap(node: DocNode | undefined): Array<[DocNode, DocNode]> | undefined {
  if (node === undefined || typeof node !== 'object' || Array.isArray(node) || !('map' in node)) return undefined;
  return node.map;
}

/** COMMAND DOCS body for one command or subcommand (`client|kill`), or undefined. */
export function commandDocs(cmd: CommandEntry): Out | undefined {
  if (!cmd.parent) {
    const d = docsByName.get(cmd.name);
    return d === undefined ? undefined : docToOut(d);
  }
  const parentDoc = docsByName.get(cmd.parent.name);
  const top = asMap(parentDoc);
  if (!top) return undefined;
  for (const [k, v] of top) {
    const subs = k === 'subcommands' ? asMap(v) : undefined;
    if (!subs) continue;
    for (const [sk, sv] of subs) if (sk === cmd.name) return docToOut(sv);
  }
  return undefined;
}

/** All commands (containers and subcommands) that carry a category, in table order. */
export function commandsInCategory(cat: AclCategory): CommandEntry[] {
  return allCommands.filter((c) => c.categories.includes(cat));
}
