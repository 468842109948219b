// Redis's sdssplitargs(): the one tokenizer behind inline commands (src/resp/command-decoder.ts) and sentinel.conf
// lines (src/config/tokenize.ts). Pure: no I/O.

/** C isspace() in the "C" locale: space \t \n \v \f \r. */
function isSpace(c: number): boolean {
  return c === 32 || (c >= 9 && c <= 13);
}

function hexVal(c: number): number {
  if (c >= 48 && c <= 57) return c - 48;
  if (c >= 97 && c <= 102) return c - 87;
  if (c >= 65 && c <= 70) return c - 55;
  return -1;
}

const ESCAPES: Readonly<Record<number, number>> = { 110: 10, 114: 13, 116: 9, 98: 8, 97: 7 }; // \n \r \t \b \a

/**
 * Split bytes[0, end) into arguments with sdssplitargs rules: whitespace separates; "double quotes" support
 * \xHH, \n, \r, \t, \b, \a and \<any>; 'single quotes' support only \'; a closing quote must be followed by
 * whitespace or the end. Returns null for unbalanced quotes (Redis: "unbalanced quotes" / "Unbalanced quotes").
 * The end is a position, not a byte value: callers that mimic a C string pass the index of the first NUL.
 */
export function sdsSplitArgs(bytes: Uint8Array, end: number = bytes.length): Buffer[] | null {
  const args: Buffer[] = [];
  const at = (i: number): number => (i < end ? (bytes[i] as number) : 0);
  let p = 0;
  for (;;) {
    while (p < end && isSpace(at(p))) p++;
    if (p >= end) return args;
    const cur: number[] = [];
    let inq = false;
    let insq = false;
    let done = false;
    while (!done) {
      const c = at(p);
      if (inq) {
        if (c === 92 && at(p + 1) === 120 && hexVal(at(p + 2)) >= 0 && hexVal(at(p + 3)) >= 0) {
          cur.push(hexVal(at(p + 2)) * 16 + hexVal(at(p + 3)));
          p += 3;
        } else if (c === 92 && p + 1 < end) {
          p++;
          const e = at(p);
          cur.push(ESCAPES[e] ?? e);
        } else if (c === 34) {
          // A closing quote must be followed by a space or by the end.
          if (p + 1 < end && !isSpace(at(p + 1))) return null;
          done = true;
        } else if (p >= end) {
          return null; // unterminated quotes
        } else {
          cur.push(c);
        }
      } else if (insq) {
        if (c === 92 && at(p + 1) === 39) {
          p++;
          cur.push(39);
        } else if (c === 39) {
          if (p + 1 < end && !isSpace(at(p + 1))) return null;
          done = true;
        } else if (p >= end) {
          return null;
        } else {
          cur.push(c);
        }
      } else if (p >= end || c === 32 || c === 10 || c === 13 || c === 9) {
        done = true;
      } else if (c === 34) {
        inq = true;
      } else if (c === 39) {
        insq = true;
      } else {
        cur.push(c);
      }
      if (p < end) p++;
    }
    args.push(Buffer.from(cur));
  }
}
