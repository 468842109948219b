// Tokenising and quoting exactly like Redis: sdssplitargs (config lines), sdscatrepr (quoted values written by
// CONFIG REWRITE and by the command-line → config-line conversion). Pure: no I/O.

import { sdsSplitArgs } from '../resp/splitargs.js';

/**
 * Split a config line into arguments with Redis's sdssplitargs rules (src/resp/splitargs.ts). Works on the UTF-8
 * bytes of the line so that \xHH escapes build bytes; each argument is decoded as UTF-8. Returns null where Redis
 * reports "Unbalanced quotes".
 */
export function splitArgs(line: string): string[] | null {
  const args = sdsSplitArgs(Buffer.from(line, 'utf8'));
  return args && args.map((a) => a.toString('utf8'));
}

/** Redis's sdscatrepr: always double-quoted; \\ \" \n \r \t \a \b escaped; non-printable bytes as \xHH. */
export function repr(value: string): string {
  let s = '"';
  for (const c of Buffer.from(value, 'utf8')) {
    switch (c) {
      case 0x5c:
        s += '\\\\';
        break;
      case 0x22:
        s += '\\"';
        break;
      case 0x0a:
        s += '\\n';
        break;
      case 0x0d:
        s += '\\r';
        break;
      case 0x09:
        s += '\\t';
        break;
      case 0x07:
        s += '\\a';
        break;
      case 0x08:
        s += '\\b';
        break;
      default:
        s += c >= 0x20 && c <= 0x7e ? String.fromCharCode(c) : '\\x' + c.toString(16).padStart(2, '0');
    }
  }
  return s + '"';
}

/** True when `value` written bare reads back as exactly one argument equal to itself. */
function isBareSafe(value: string): boolean {
  const a = splitArgs(value);
  return a !== null && a.length === 1 && a[0] === value;
}

/** `value` bare when that reads back unchanged, else repr-quoted. */
export function quoteIfNeeded(value: string): string {
  return isBareSafe(value) ? value : repr(value);
}

/**
 * Redis 7.0's conversion of command-line options into config lines (server.c main()): `--name` starts a new
 * line `name `, every other argument is appended sdscatrepr-quoted; `--save` / `--sentinel` followed by another
 * `--option` (or last) take no value (`--save` then gets `""`). The first argument that does not start with
 * `--` after a value-less `--name` is its value even if it looks like an option. Returns the lines (untrimmed,
 * as Redis builds them; Redis trims when parsing).
 */
export function argvToConfigLines(argv: readonly string[]): string[] {
  const lines: string[] = [];
  let cur: string | null = null;
  let handledLastConfigArg = true;
  for (let j = 0; j < argv.length; j++) {
    const a = argv[j] as string;
    if (handledLastConfigArg && a.startsWith('--')) {
      if (cur !== null) lines.push(cur);
      cur = a.slice(2) + ' ';
      const parts = splitArgs(a);
      if (parts !== null && parts.length === 1) {
        handledLastConfigArg = false;
        const next = argv[j + 1];
        const last = j === argv.length - 1;
        const lower = a.toLowerCase();
        if (!last && next !== undefined && next.startsWith('--') && lower === '--save') {
          cur += '""';
          handledLastConfigArg = true;
        } else if (last && lower === '--save') {
          cur += '""';
        } else if (!last && next !== undefined && next.startsWith('--') && lower === '--sentinel') {
          handledLastConfigArg = true;
        }
      } else {
        handledLastConfigArg = true;
      }
    } else {
      cur = (cur ?? '') + repr(a) + ' ';
      handledLastConfigArg = true;
    }
  }
  if (cur !== null) lines.push(cur);
  return lines;
}

/** One word of a line the config writer emits: quoted only when needed, or (`{ repr }`) always quoted. */
export type LineToken = string | { repr: string };

/** The writer refused to emit a line that would not read back as the words it meant (nothing is written). */
export class ConfigWriteError extends Error {
  readonly code = 'VIGIL_ERR_CONFIG_WRITE';
  constructor(message: string) {
    super(message);
    this.name = 'ConfigWriteError';
  }
}

const trimLine = (s: string): string => s.replace(/^[ \t\r\n]+|[ \t\r\n]+$/g, '');

/**
 * Build one config line from its words, every word quoted where it needs it, and check that the line reads back
 * (Redis's line split on \n, trim, sdssplitargs) as exactly these words: a value a client chose can never end a
 * line, start a comment or add a directive. Throws ConfigWriteError otherwise (e.g. a lone UTF-16 surrogate).
 */
export function formatConfigLine(tokens: readonly LineToken[]): string {
  const words = tokens.map((t) => (typeof t === 'string' ? t : t.repr));
  const line = tokens.map((t) => (typeof t === 'string' ? quoteIfNeeded(t) : repr(t.repr))).join(' ');
  assertReadsBack(line, words);
  return line;
}

/** Throws ConfigWriteError unless `line` is one config line that tokenizes to exactly `words`. */
function assertReadsBack(line: string, words: readonly string[]): void {
  const back = /[\n\r]/.test(line) || trimLine(line) !== line || line.startsWith('#') ? null : splitArgs(line);
  const same = back !== null && back.length === words.length && back.every((w, i) => w === words[i]);
  if (!same || words.length === 0) {
    throw new ConfigWriteError(
      `refusing to write a config line that would not read back as written: ${repr(line.slice(0, 120))}`,
    );
  }
}
