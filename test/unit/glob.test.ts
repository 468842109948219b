// The one glob matcher (src/core/glob.ts): Redis stringmatchlen semantics, bounded work. A property test against
// an independent regex translation of the same rules and against the previous recursive matcher (kept here as
// an oracle), plus the pathological patterns that stalled the event loop (issue 12).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { globMatch } from '../../src/core/glob.js';

/** Reference: the pattern translated to a RegExp, following the documented stringmatchlen rules. */
function regexOf(p: string): RegExp {
  const esc = (c: string): string => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`;
  let re = '';
  for (let i = 0; i < p.length; i++) {
    const c = p[i]!;
    if (c === '*') re += '[\\s\\S]*';
    else if (c === '?') re += '[\\s\\S]';
    else if (c === '\\') re += esc(i + 1 < p.length ? p[++i]! : '\\');
    else if (c === '[') {
      i++;
      const not = p[i] === '^';
      if (not) i++;
      const alts: string[] = [];
      for (; i < p.length && p[i] !== ']'; i++) {
        if (p[i] === '\\' && i + 1 < p.length) alts.push(esc(p[++i]!));
        else if (i + 2 < p.length && p[i + 1] === '-') {
          const [lo, hi] = [p[i]!, p[i + 2]!].sort();
          alts.push(`${esc(lo!)}-${esc(hi!)}`);
          i += 2;
        } else alts.push(esc(p[i]!));
      }
      // An empty class matches nothing; negated, anything.
      if (alts.length === 0) re += not ? '[\\s\\S]' : '(?!)';
      else re += `[${not ? '^' : ''}${alts.join('')}]`;
    } else re += esc(c);
  }
  return new RegExp(`^${re}$`);
}

/** The recursive matcher src/server/glob.ts had before (CVE-2022-36021 skipLonger guard), as a second oracle. */
function legacy(p: string, s: string): boolean {
  const st = { skipLonger: false };
  const match = (pi: number, si: number): boolean => {
    while (pi < p.length && si <= s.length) {
      const c = p[pi];
      if (c === '*') {
        while (p[pi + 1] === '*') pi++;
        if (pi + 1 === p.length) return true;
        for (let k = si; k <= s.length; k++) {
          if (match(pi + 1, k)) return true;
          if (st.skipLonger) return false;
        }
        st.skipLonger = true;
        return false;
      } else if (c === '?') {
        if (si >= s.length) return false;
        si++;
      } else if (c === '[') {
        if (si >= s.length) return false;
        pi++;
        const not = p[pi] === '^';
        if (not) pi++;
        let matched = false;
        for (;;) {
          if (pi >= p.length) {
            pi--;
            break;
          }
          const pc = p[pi];
          if (pc === '\\' && pi + 1 < p.length) {
            pi++;
            if (p[pi] === s[si]) matched = true;
          } else if (pc === ']') break;
          else if (pi + 2 < p.length && p[pi + 1] === '-') {
            let a = p.charCodeAt(pi);
            let b = p.charCodeAt(pi + 2);
            if (a > b) [a, b] = [b, a];
            pi += 2;
            const ch = s.charCodeAt(si);
            if (ch >= a && ch <= b) matched = true;
          } else if (pc === s[si]) matched = true;
          pi++;
        }
        if (not) matched = !matched;
        if (!matched) return false;
        si++;
      } else if (c === '\\') {
        if (pi + 1 < p.length) pi++;
        if (si >= s.length || p[pi] !== s[si]) return false;
        si++;
      } else {
        if (si >= s.length || c !== s[si]) return false;
        si++;
      }
      pi++;
      if (si === s.length) {
        while (pi < p.length && p[pi] === '*') pi++;
        break;
      }
    }
    return pi === p.length && si === s.length;
  };
  return match(0, 0);
}

const patChar = fc.constantFrom('a', 'b', 'A', '*', '?', '[', ']', '^', '-', '\\', 'z');
const strChar = fc.constantFrom('a', 'b', 'A', 'z', '-', ']', '\\', '*', '^');

void test('glob - property: agrees with a regex translation and the old recursive matcher', () => {
  fc.assert(
    fc.property(
      fc.array(patChar, { maxLength: 9 }).map((a) => a.join('')),
      fc.array(strChar, { maxLength: 8 }).map((a) => a.join('')),
      fc.boolean(),
      (p, s, nocase) => {
        const got = globMatch(p, s, nocase);
        const [pp, ss] = nocase ? [p.toLowerCase(), s.toLowerCase()] : [p, s];
        assert.equal(got, regexOf(pp).test(ss), `regex: ${JSON.stringify(p)} ~ ${JSON.stringify(s)}`);
        assert.equal(got, legacy(pp, ss), `legacy: ${JSON.stringify(p)} ~ ${JSON.stringify(s)}`);
      },
    ),
    { numRuns: 20000 },
  );
});

void test('glob - stringmatchlen corner cases', () => {
  const cases: Array<[string, string, boolean]> = [
    ['', '', true],
    ['', 'a', false],
    ['*', '', true],
    ['**', '', true],
    ['?', '', false],
    ['[abc', 'a', true],
    ['[^', 'x', true],
    ['[', 'x', false],
    ['[]', 'x', false],
    // `x-y` with y = ']' is a range (reversed: ']'..'a'), and the class is then unterminated.
    ['[a-]', '^', true],
    ['[a-]', 'b', false],
    ['[\\]]', ']', true],
    ['a\\', 'a\\', true],
    ['[z-a]', 'm', true],
    ['*a*a*b', 'aaab', true],
  ];
  for (const [p, s, want] of cases) assert.equal(globMatch(p, s), want, `${JSON.stringify(p)} ~ ${JSON.stringify(s)}`);
});

void test('glob - pathological patterns cost linear-ish work', () => {
  const name = 'a'.repeat(60);
  const pats = ['*a'.repeat(40) + 'b', `${'*a'.repeat(30)}*b`, '*'.repeat(100) + 'b', `${'a*'.repeat(60)}[b]`];
  const t0 = process.hrtime.bigint();
  for (const p of pats) assert.equal(globMatch(p, name), false, p);
  assert.equal(globMatch('*a'.repeat(30) + 'b', 'a'.repeat(100_000)), false);
  assert.equal(globMatch('*a'.repeat(5000) + 'b', 'a'.repeat(5000)), false);
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  assert.ok(ms < 2000, `${ms} ms`);
});
