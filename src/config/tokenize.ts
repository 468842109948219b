// Tokenising and quoting exactly like Redis: sdssplitargs (config lines), sdscatrepr (quoted values written by
// CONFIG REWRITE and by the command-line → config-line conversion). Pure: no I/O.

const isSpace = (c: number): boolean => c === 0x20 || (c >= 0x09 && c <= 0x0d); // C isspace(): space \t \n \v \f \r
const isHex = (c: number): boolean => (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x46) || (c >= 0x61 && c <= 0x66);

/**
 * Split a line into arguments with Redis's sdssplitargs rules: whitespace separates; "double quotes" support
 * \xHH, \n, \r, \t, \b, \a and \<any>; 'single quotes' support only \'; a closing quote must be followed by
 * whitespace or the end of the line. Returns null where Redis reports "Unbalanced quotes".
 * Works on the UTF-8 bytes of the line so that \xHH escapes build bytes; the result is decoded as UTF-8.
 */
export function splitArgs(line: string): string[] | null {
  const b = Buffer.from(line, 'utf8');
  const out: string[] = [];
  let i = 0;
  const n = b.length;
  const at = (k: number): number => (k < n ? (b[k] as number) : 0);
  while (true) {
    while (i < n && isSpace(at(i))) i++;
    if (i >= n) return out;
    let inq = false;
    let insq = false;
    let done = false;
    const cur: number[] = [];
    while (!done) {
      const c = at(i);
      if (inq) {
        if (c === 0x5c && at(i + 1) === 0x78 && isHex(at(i + 2)) && isHex(at(i + 3))) {
          cur.push(parseInt(String.fromCharCode(at(i + 2), at(i + 3)), 16));
          i += 3;
        } else if (c === 0x5c && i + 1 < n) {
          i++;
          const e = at(i);
          cur.push(
            e === 0x6e ? 0x0a : e === 0x72 ? 0x0d : e === 0x74 ? 0x09 : e === 0x62 ? 0x08 : e === 0x61 ? 0x07 : e,
          );
        } else if (c === 0x22) {
          if (i + 1 < n && !isSpace(at(i + 1))) return null;
          done = true;
        } else if (i >= n) {
          return null;
        } else {
          cur.push(c);
        }
      } else if (insq) {
        if (c === 0x5c && at(i + 1) === 0x27) {
          i++;
          cur.push(0x27);
        } else if (c === 0x27) {
          if (i + 1 < n && !isSpace(at(i + 1))) return null;
          done = true;
        } else if (i >= n) {
          return null;
        } else {
          cur.push(c);
        }
      } else if (i >= n || c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) {
        done = true;
      } else if (c === 0x22) {
        inq = true;
      } else if (c === 0x27) {
        insq = true;
      } else {
        cur.push(c);
      }
      if (i < n) i++;
    }
    out.push(Buffer.from(cur).toString('utf8'));
  }
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
export function isBareSafe(value: string): boolean {
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
