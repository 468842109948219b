// The one glob matcher (Redis's stringmatchlen semantics): `*`, `?`, `[...]` classes with `^` negation and `a-z`
// ranges (reversed ranges allowed, an unterminated class ends at the end of the pattern), `\` escapes. Used by
// SENTINEL RESET, SENTINEL CONFIG GET, PSUBSCRIBE, ACL channel rules and COMMAND LIST FILTERBY PATTERN. Pure.
// Works on strings whose code units are bytes (latin1), so binary channel names compare byte for byte.
//
// Patterns come from clients, so the work is bounded: the pattern is compiled to tokens once and matched with
// the classic single-backtrack-point algorithm (only the last `*` seen is ever retried: every other token eats
// exactly one character, so an earlier star can never help), O(pattern × string) time and no recursion. The
// old recursive matcher needed Redis's skipLonger guard (CVE-2022-36021) and a depth cap; this one needs neither.

type Token =
  | { t: 'star' }
  | { t: 'any' }
  | { t: 'lit'; c: number }
  /** `ranges` holds [lo, hi] pairs of char codes; a single character is [c, c]. */
  | { t: 'class'; not: boolean; ranges: number[] };

/** Compile a pattern (already case-folded if needed) to tokens, runs of `*` collapsed to one. */
function compile(p: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  while (i < p.length) {
    const c = p[i];
    if (c === '*') {
      if (out.at(-1)?.t !== 'star') out.push({ t: 'star' });
      i++;
    } else if (c === '?') {
      out.push({ t: 'any' });
      i++;
    } else if (c === '\\') {
      // A trailing backslash matches itself.
      if (i + 1 < p.length) i++;
      out.push({ t: 'lit', c: p.charCodeAt(i) });
      i++;
    } else if (c === '[') {
      i++;
      const not = p[i] === '^';
      if (not) i++;
      const ranges: number[] = [];
      while (i < p.length && p[i] !== ']') {
        if (p[i] === '\\' && i + 1 < p.length) {
          i++;
          ranges.push(p.charCodeAt(i), p.charCodeAt(i));
        } else if (i + 2 < p.length && p[i + 1] === '-') {
          // Like Redis, any three characters `x-y` form a range, even when y is `]` or `\`.
          const a = p.charCodeAt(i);
          const b = p.charCodeAt(i + 2);
          ranges.push(Math.min(a, b), Math.max(a, b));
          i += 2;
        } else {
          ranges.push(p.charCodeAt(i), p.charCodeAt(i));
        }
        i++;
      }
      i++; // the closing `]` (or the end of an unterminated class)
      out.push({ t: 'class', not, ranges });
    } else {
      out.push({ t: 'lit', c: p.charCodeAt(i) });
      i++;
    }
  }
  return out;
}

function matchesOne(tok: Token, ch: number): boolean {
  switch (tok.t) {
    case 'any':
      return true;
    case 'lit':
      return tok.c === ch;
    case 'class': {
      let hit = false;
      for (let k = 0; k < tok.ranges.length && !hit; k += 2) {
        hit = ch >= (tok.ranges[k] as number) && ch <= (tok.ranges[k + 1] as number);
      }
      return hit !== tok.not;
    }
    case 'star':
      return false;
  }
}

export function globMatch(pattern: string, str: string, nocase = false): boolean {
  const toks = compile(nocase ? pattern.toLowerCase() : pattern);
  const s = nocase ? str.toLowerCase() : str;
  let ti = 0;
  let si = 0;
  // The last star seen: token index after it, and the string position it currently stops at.
  let starTi = -1;
  let starSi = 0;
  while (si < s.length) {
    const tok = toks[ti];
    if (tok !== undefined && tok.t === 'star') {
      starTi = ++ti;
      starSi = si;
    } else if (tok !== undefined && matchesOne(tok, s.charCodeAt(si))) {
      ti++;
      si++;
    } else if (starTi !== -1) {
      // Let the last star eat one more character and retry what follows it.
      ti = starTi;
      si = ++starSi;
    } else {
      return false;
    }
  }
  while (toks[ti]?.t === 'star') ti++;
  return ti === toks.length;
}
