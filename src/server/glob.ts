// Glob matching with the semantics of Redis's stringmatchlen(): `*`, `?`, `[...]` classes with `^` negation and
// `a-z` ranges (reversed ranges allowed), and `\` escapes. Used for PSUBSCRIBE patterns, ACL channel rules and
// COMMAND LIST FILTERBY PATTERN. Pure. Works on strings whose code units are bytes (latin1), so binary channel
// names compare byte for byte.

const MAX_DEPTH = 1000; // bounds recursion on hostile patterns like '*****...'

export function globMatch(pattern: string, str: string, nocase = false): boolean {
  const p = nocase ? pattern.toLowerCase() : pattern;
  const s = nocase ? str.toLowerCase() : str;
  return match(p, 0, s, 0, 0, { skipLonger: false });
}

/**
 * `skipLonger` is Redis's fix for exponential patterns (CVE-2022-36021): once the rest of the pattern after a
 * `*` matches nowhere in the remaining string, no earlier `*` can help by consuming more.
 */
function match(p: string, pi: number, s: string, si: number, depth: number, st: { skipLonger: boolean }): boolean {
  if (depth > MAX_DEPTH) return false;
  while (pi < p.length && si <= s.length) {
    const c = p[pi];
    switch (c) {
      case '*': {
        while (p[pi + 1] === '*') pi++;
        if (pi + 1 === p.length) return true; // trailing star matches the rest
        for (let k = si; k <= s.length; k++) {
          if (match(p, pi + 1, s, k, depth + 1, st)) return true;
          if (st.skipLonger) return false;
        }
        st.skipLonger = true;
        return false;
      }
      case '?':
        if (si >= s.length) return false;
        si++;
        break;
      case '[': {
        if (si >= s.length) return false;
        pi++;
        const not = p[pi] === '^';
        if (not) pi++;
        let matched = false;
        for (;;) {
          if (pi >= p.length) {
            pi--; // unterminated class: Redis treats the end of pattern as the closing bracket
            break;
          }
          const pc = p[pi];
          if (pc === '\\' && pi + 1 < p.length) {
            pi++;
            if (p[pi] === s[si]) matched = true;
          } else if (pc === ']') {
            break;
          } else if (pi + 2 < p.length && p[pi + 1] === '-') {
            let start = p.charCodeAt(pi);
            let end = p.charCodeAt(pi + 2);
            const ch = s.charCodeAt(si);
            if (start > end) [start, end] = [end, start];
            pi += 2;
            if (ch >= start && ch <= end) matched = true;
          } else if (pc === s[si]) {
            matched = true;
          }
          pi++;
        }
        if (not) matched = !matched;
        if (!matched) return false;
        si++;
        break;
      }
      case '\\':
        if (pi + 1 < p.length) pi++;
        if (si >= s.length || p[pi] !== s[si]) return false;
        si++;
        break;
      default:
        if (si >= s.length || c !== s[si]) return false;
        si++;
        break;
    }
    pi++;
    if (si === s.length) {
      while (pi < p.length && p[pi] === '*') pi++;
      break;
    }
  }
  return pi === p.length && si === s.length;
}
