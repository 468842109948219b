// isIpv4Literal is a hand-written one-pass scanner (hellos are parsed hundreds of times a second at scale). It must
// accept exactly what its earlier definition accepted: four dot-separated parts, each /^(0|[1-9][0-9]{0,2})$/ with
// a value <= 255. Table cases plus a fast-check property over strings made mostly of digits and dots.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { isIpv4Literal } from '../../src/core/hello.js';

function reference(s: string): boolean {
  const parts = s.split('.');
  if (parts.length !== 4) return false;
  return parts.every((p) => /^(0|[1-9][0-9]{0,2})$/.test(p) && Number(p) <= 255);
}

void test('isIpv4Literal - table cases', () => {
  const yes = ['0.0.0.0', '127.0.0.1', '255.255.255.255', '10.0.100.9', '1.22.133.0'];
  const no = [
    '',
    '.',
    '...',
    '1.2.3',
    '1.2.3.4.',
    '.1.2.3.4',
    '1.2.3.4.5',
    '1..2.3',
    '256.1.1.1',
    '1.1.1.300',
    '01.1.1.1',
    '1.1.1.00',
    '1.1.1.0001',
    '1.1.1.1000',
    ' 1.1.1.1',
    '1.1.1.1 ',
    '1.1.1.a',
    '1.1.1.-1',
    '1.1.1.+1',
    '١.1.1.1', // a non-ASCII digit
    '::1',
    'localhost',
  ];
  for (const s of yes) assert.equal(isIpv4Literal(s), true, s);
  for (const s of no) assert.equal(isIpv4Literal(s), false, s);
  for (const s of [...yes, ...no]) assert.equal(isIpv4Literal(s), reference(s), s);
});

void test('isIpv4Literal - agrees with the split-and-regex definition', () => {
  const ch = fc.constantFrom('0', '1', '2', '5', '9', '.', '.', '.', 'a', ' ', '-', '6');
  fc.assert(
    fc.property(fc.array(ch, { maxLength: 18 }), (cs) => {
      const s = cs.join('');
      assert.equal(isIpv4Literal(s), reference(s), JSON.stringify(s));
    }),
    { numRuns: 20_000 },
  );
  fc.assert(
    fc.property(fc.array(fc.integer({ min: 0, max: 999 }), { minLength: 3, maxLength: 5 }), fc.boolean(), (ns, pad) => {
      const s = ns.map((n) => (pad && n < 100 ? `0${n}` : String(n))).join('.');
      assert.equal(isIpv4Literal(s), reference(s), s);
    }),
    { numRuns: 5_000 },
  );
});
