// Tokenising like Redis's sdssplitargs, quoting like sdscatrepr, and the command-line → config-line conversion.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { argvToConfigLines, quoteIfNeeded, repr, splitArgs } from '../../src/config/index.js';

void describe('config tokenize - splitArgs', () => {
  const cases: Array<[string, string[] | null]> = [
    ['port 26379', ['port', '26379']],
    ['  a\t b  ', ['a', 'b']],
    ['a "b c" \'d e\'', ['a', 'b c', 'd e']],
    ['"\\x41\\x4a\\n\\r\\t\\b\\a\\\\\\"\\q"', ['AJ\n\r\t\b\x07\\"q']],
    ["'it\\'s'", ["it's"]],
    ["'a\\nb'", ['a\\nb']],
    ['""', ['']],
    ['ab"cd"', ['abcd']],
    ['"abc"x', null],
    ["'abc'x", null],
    ['"unterminated', null],
    ["'unterminated", null],
    ['"\\xzz"', ['xzz']],
    ['', []],
    ['"é"', ['é']],
    ['"\\xc3\\xa9"', ['é']],
  ];
  for (const [input, expected] of cases) {
    void test(`config tokenize - splitArgs(${JSON.stringify(input)})`, () => {
      assert.deepEqual(splitArgs(input), expected);
    });
  }
});

void describe('config tokenize - repr', () => {
  void test('config tokenize - escapes like sdscatrepr', () => {
    assert.equal(repr('a b'), '"a b"');
    assert.equal(repr('q"\\'), '"q\\"\\\\"');
    assert.equal(repr('\n\r\t\x07\b\x01'), '"\\n\\r\\t\\a\\b\\x01"');
    assert.equal(repr('é'), '"\\xc3\\xa9"');
    assert.equal(repr(''), '""');
  });

  void test('config tokenize - quoteIfNeeded leaves plain words bare', () => {
    assert.equal(quoteIfNeeded('127.0.0.1'), '127.0.0.1');
    assert.equal(quoteIfNeeded('a b'), '"a b"');
    assert.equal(quoteIfNeeded(''), '""');
    assert.equal(quoteIfNeeded("it's"), '"it\'s"');
  });

  void test('config tokenize - property: splitArgs(repr(x)) and splitArgs(quoteIfNeeded(x)) give back x', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary' }), (s) => {
        const clean = Buffer.from(s, 'utf8').toString('utf8'); // lone surrogates cannot survive UTF-8 anyway
        assert.deepEqual(splitArgs(repr(clean)), [clean]);
        assert.deepEqual(splitArgs(quoteIfNeeded(clean)), [clean]);
      }),
      { numRuns: 500 },
    );
  });
});

void describe('config tokenize - argvToConfigLines (Redis 7.0 main())', () => {
  void test('config tokenize - options become lines, values quoted', () => {
    assert.deepEqual(argvToConfigLines(['--port', '26380', '--sentinel', 'announce-ip', '1.2.3.4']), [
      'port "26380" ',
      'sentinel "announce-ip" "1.2.3.4" ',
    ]);
  });
  void test('config tokenize - "--name value" in one argument, --save and --sentinel without values', () => {
    assert.deepEqual(argvToConfigLines(['--port 26380', '--save', '--sentinel', '--loglevel', 'verbose', '--save']), [
      'port 26380 ',
      'save ""',
      'sentinel ',
      'loglevel "verbose" ',
      'save ""',
    ]);
  });
  void test('config tokenize - a value that looks like an option after a value-less name is its value', () => {
    assert.deepEqual(argvToConfigLines(['--requirepass', '--x']), ['requirepass "--x" ']);
  });
});
