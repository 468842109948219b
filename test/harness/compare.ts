// Comparison for differential tests: deep equality, with a failure message that lists exactly which entries
// differ (command + expected + actual, compact JSON) instead of a diff with skipped lines.
// VIGIL_DIFF_DUMP=<dir> also writes both sides to <dir>/<label>.{expected,actual}.json.
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { isDeepStrictEqual } from 'node:util';

function clip(v: unknown, n = 700): string {
  const s = JSON.stringify(v);
  return s.length > n ? `${s.slice(0, n)}…` : s;
}

/** Where two shapes first differ, as a path and the two sub-values. */
function firstDifference(a: unknown, b: unknown, path = ''): string | undefined {
  if (isDeepStrictEqual(a, b)) return undefined;
  if (Array.isArray(a) && Array.isArray(b)) {
    for (let i = 0; i < Math.max(a.length, b.length); i++) {
      const d = firstDifference(a[i], b[i], `${path}[${i}]`);
      if (d) return d;
    }
  } else if (a !== null && b !== null && typeof a === 'object' && typeof b === 'object' && !Array.isArray(a)) {
    const ao = a as Record<string, unknown>;
    const bo = b as Record<string, unknown>;
    for (const k of new Set([...Object.keys(ao), ...Object.keys(bo)])) {
      const d = firstDifference(ao[k], bo[k], `${path}.${k}`);
      if (d) return d;
    }
  }
  return `differs at ${path || '(root)'}: expected ${clip(b, 300)}, got ${clip(a, 300)}`;
}

export function assertSame(actual: unknown, expected: unknown, label: string): void {
  if (isDeepStrictEqual(actual, expected)) return;
  const dump = process.env.VIGIL_DIFF_DUMP;
  if (dump) {
    mkdirSync(dump, { recursive: true });
    const base = label.replace(/[^A-Za-z0-9._-]+/g, '_').slice(0, 100);
    writeFileSync(join(dump, `${base}.expected.json`), JSON.stringify(expected, null, 1));
    writeFileSync(join(dump, `${base}.actual.json`), JSON.stringify(actual, null, 1));
  }
  const lines: string[] = [];
  if (Array.isArray(actual) && Array.isArray(expected)) {
    for (let i = 0; i < Math.max(actual.length, expected.length); i++) {
      if (isDeepStrictEqual(actual[i], expected[i])) continue;
      const e: unknown = expected[i];
      const name = Array.isArray(e) && typeof e[0] === 'string' ? e[0] : `#${i}`;
      lines.push(`  ${name}\n    ${firstDifference(actual[i], expected[i]) ?? ''}`);
      if (lines.length >= 12) break;
    }
  } else {
    lines.push(`  ${firstDifference(actual, expected) ?? ''}`);
  }
  assert.fail(`${label}\n${lines.join('\n')}`);
}
