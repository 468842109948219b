// Differential normaliser: turns a typed frame into a compact, comparable "shape" in which only what legitimately
// differs between two sentinel fleets is masked. Both sides go through the same function with their own labels.
// What is masked, and why (also in docs/testing.md):
//   * ports and run ids/myids of *our* processes -> role labels ({M}, {R1}, {S1}, {S2-id}, ...): every fleet
//     gets different free ports and random ids;
//   * any other 40-hex token -> {hex40} (data-node run ids, which are random per process);
//   * numeric values of timing/age/offset/counter fields in records (VOLATILE_FIELDS) -> <n>, only if they are
//     plain digits: a non-numeric or negative value still shows, so a format difference is caught;
//   * arrays whose elements are all instance records are sorted by name: Redis returns them in hash-table order,
//     which depends on names and ports, so no client can rely on it.
// Types are never masked: a bulk string stays `$...`, an integer `:...`, a map `%`, a push `>`.
import type { Frame } from './wire.js';
import { text } from './wire.js';

/** Compact shape: strings carry a RESP type prefix; aggregates are arrays headed by their type char. */
export type Shape = string | Shape[];

/** Record fields whose numeric value depends on timing, traffic or process identity. */
export const VOLATILE_FIELDS = new Set([
  'last-ping-sent',
  'last-ok-ping-reply',
  'last-ping-reply',
  'info-refresh',
  'role-reported-time',
  'last-hello-message',
  's-down-time',
  'o-down-time',
  'master-link-down-time',
  'slave-repl-offset',
  'link-pending-commands',
  'id', // HELLO: client id
  'pid',
  'run-time',
  'run-delay',
]);

export interface Labels {
  /** Exact token -> label. Tokens are matched as whole words inside any string. */
  tokens: Map<string, string>;
}

export function makeLabels(entries: Array<[string | number, string]>): Labels {
  return { tokens: new Map(entries.map(([k, v]) => [String(k), v])) };
}

function escapeRe(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** Replace labelled tokens and stray 40-hex ids inside a string. */
export function normaliseText(s: string, labels: Labels): string {
  let out = s;
  if (labels.tokens.size > 0) {
    // Longest first so a myid is replaced before any port that might occur inside it.
    const keys = [...labels.tokens.keys()].sort((a, b) => b.length - a.length);
    const re = new RegExp(`(?<![0-9A-Za-z])(${keys.map(escapeRe).join('|')})(?![0-9A-Za-z])`, 'g');
    out = out.replace(re, (m) => labels.tokens.get(m) ?? m);
  }
  return out.replace(/(?<![0-9a-f])[0-9a-f]{40}(?![0-9a-f])/g, '{hex40}');
}

function isStringFrame(f: Frame | undefined): boolean {
  return f !== undefined && (f.t === 'bulk' || f.t === 'simple');
}

/** Field/value pairs if the frame looks like a record (map, or flat array with string keys); else undefined. */
function recordPairs(f: Frame): Array<[Frame, Frame]> | undefined {
  if (f.t === 'map') return f.v;
  if (f.t !== 'array' || f.v.length < 2 || f.v.length % 2 !== 0) return undefined;
  const out: Array<[Frame, Frame]> = [];
  let volatile = false;
  for (let i = 0; i < f.v.length; i += 2) {
    const k = f.v[i];
    if (!isStringFrame(k)) return undefined;
    const key = text(k) ?? '';
    if (!/^[a-z][a-z0-9-]*$/.test(key)) return undefined;
    if (VOLATILE_FIELDS.has(key) || key === 'name' || key === 'runid') volatile = true;
    out.push([k as Frame, f.v[i + 1] as Frame]);
  }
  return volatile ? out : undefined;
}

function isInstanceRecord(f: Frame): boolean {
  const p = recordPairs(f);
  return p !== undefined && p.length > 0 && text(p[0]?.[0]) === 'name';
}

function prefix(f: Frame): string {
  switch (f.t) {
    case 'simple':
      return '+';
    case 'error':
      return '-';
    case 'int':
      return ':';
    case 'bulk':
      return '$';
    case 'double':
      return ',';
    case 'bignum':
      return '(';
    case 'bloberror':
      return '!';
    default:
      return '?';
  }
}

function maskValue(key: string, v: Frame, labels: Labels): Shape {
  const t = text(v);
  if (
    t !== undefined &&
    (v.t === 'bulk' || v.t === 'int' || v.t === 'simple') &&
    VOLATILE_FIELDS.has(key) &&
    /^\d+$/.test(t)
  ) {
    return `${prefix(v)}<n>`;
  }
  return normalise(v, labels);
}

/** Normalise one frame (see the header comment for what is masked). */
export function normalise(f: Frame, labels: Labels): Shape {
  switch (f.t) {
    case 'simple':
    case 'error':
    case 'int':
    case 'bulk':
    case 'double':
    case 'bignum':
    case 'bloberror':
      return prefix(f) + normaliseText(f.v, labels);
    case 'verbatim':
      return `=${f.format}:${normaliseText(f.v, labels)}`;
    case 'nullbulk':
      return '(nil$)';
    case 'nullarray':
      return '(nil*)';
    case 'null':
      return '(null)';
    case 'bool':
      return f.v ? '#t' : '#f';
    case 'map':
    case 'attr':
      return [
        f.t === 'map' ? '%' : '|',
        ...f.v.map(([k, v]): Shape => [normalise(k, labels), maskValue(text(k) ?? '', v, labels)]),
      ];
    case 'array':
    case 'set':
    case 'push': {
      const head = f.t === 'array' ? '*' : f.t === 'set' ? '~' : '>';
      const rec = f.t === 'array' ? recordPairs(f) : undefined;
      if (rec) {
        const flat: Shape[] = [];
        for (const [k, v] of rec) flat.push(normalise(k, labels), maskValue(text(k) ?? '', v, labels));
        return [head, ...flat];
      }
      let elems = f.v.map((x) => normalise(x, labels));
      if (f.v.length > 1 && f.v.every(isInstanceRecord)) {
        elems = [...elems].sort((a, b) => sortKey(a).localeCompare(sortKey(b)));
      }
      return [head, ...elems];
    }
  }
}

/** Sort key of a normalised record: its `name` value. */
function sortKey(s: Shape): string {
  if (!Array.isArray(s)) return String(s);
  if (s[0] === '%') {
    const first = s[1];
    return Array.isArray(first) ? JSON.stringify(first[1]) : '';
  }
  return JSON.stringify(s[2]);
}

/** INFO text -> [[section, [field, ...]], ...] (field names only, in order). */
export function infoFieldNames(info: string): Array<[string, string[]]> {
  const out: Array<[string, string[]]> = [];
  let cur: [string, string[]] | undefined;
  for (const raw of info.split('\r\n')) {
    const line = raw.trim();
    if (line === '') continue;
    if (line.startsWith('# ')) {
      cur = [line.slice(2), []];
      out.push(cur);
      continue;
    }
    const colon = line.indexOf(':');
    const name = colon === -1 ? line : line.slice(0, colon);
    if (!cur) {
      cur = ['(none)', []];
      out.push(cur);
    }
    cur[1].push(name);
  }
  return out;
}

/** INFO text -> field -> value. */
export function infoFields(info: string): Map<string, string> {
  const m = new Map<string, string>();
  for (const raw of info.split('\r\n')) {
    const colon = raw.indexOf(':');
    if (raw.startsWith('#') || colon === -1) continue;
    m.set(raw.slice(0, colon), raw.slice(colon + 1));
  }
  return m;
}

/** CLIENT INFO / CLIENT LIST line fields whose values are deterministic for the same session on both sides. */
const CLIENT_STABLE = new Set([
  'name',
  'db',
  'sub',
  'psub',
  'ssub',
  'multi',
  'flags',
  'cmd',
  'user',
  'redir',
  'resp',
  'lib-name',
  'lib-ver',
]);

/** One CLIENT INFO/LIST line -> ordered [key, value-or-<v>] pairs. */
export function clientLineShape(line: string): Array<[string, string]> {
  return line
    .trim()
    .split(' ')
    .filter(Boolean)
    .map((kv): [string, string] => {
      const eq = kv.indexOf('=');
      const k = eq === -1 ? kv : kv.slice(0, eq);
      const v = eq === -1 ? '' : kv.slice(eq + 1);
      return [k, CLIENT_STABLE.has(k) ? v : '<v>'];
    });
}
