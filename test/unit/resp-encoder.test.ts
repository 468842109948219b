// Encoder tables for RESP2 and RESP3. Expected wire forms (downgrades, double formatting) were taken from
// redis-server 7.0.15 (ZSCORE after HELLO 2 / HELLO 3, DEBUG PROTOCOL <type>).
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  R,
  RespErrorReply,
  RespPush,
  RespVerbatim,
  encode,
  encodeCommand,
  formatDouble,
  mapGet,
  replyToString,
  type Out,
  type Reply,
} from '../../src/resp/index.js';

const wire = (o: Out, p: 2 | 3): string => encode(o, p).toString('latin1');

const cases: Array<[name: string, out: Out, resp2: string, resp3: string]> = [
  ['ok', R.ok, '+OK\r\n', '+OK\r\n'],
  ['pong', R.pong, '+PONG\r\n', '+PONG\r\n'],
  ['simple', R.simple('QUEUED'), '+QUEUED\r\n', '+QUEUED\r\n'],
  ['simple with newlines sanitised', R.simple('a\r\nb'), '+a  b\r\n', '+a  b\r\n'],
  ['error', R.error('ERR no such master'), '-ERR no such master\r\n', '-ERR no such master\r\n'],
  ['int', R.int(-42), ':-42\r\n', ':-42\r\n'],
  ['bigint int', R.int(2n ** 63n - 1n), ':9223372036854775807\r\n', ':9223372036854775807\r\n'],
  ['bulk utf-8', R.bulk('hé'), '$3\r\nh\xc3\xa9\r\n', '$3\r\nh\xc3\xa9\r\n'],
  ['bulk buffer', R.bulk(Buffer.from([0, 13, 10, 255])), '$4\r\n\x00\r\n\xff\r\n', '$4\r\n\x00\r\n\xff\r\n'],
  ['empty bulk', R.bulk(''), '$0\r\n\r\n', '$0\r\n\r\n'],
  ['null', R.null, '$-1\r\n', '_\r\n'],
  ['nullarray', R.nullarray, '*-1\r\n', '_\r\n'],
  ['array', R.array([R.int(1), R.bulk('a')]), '*2\r\n:1\r\n$1\r\na\r\n', '*2\r\n:1\r\n$1\r\na\r\n'],
  ['empty array', R.array([]), '*0\r\n', '*0\r\n'],
  [
    'bulks',
    R.bulks(['127.0.0.1', '6379']),
    '*2\r\n$9\r\n127.0.0.1\r\n$4\r\n6379\r\n',
    '*2\r\n$9\r\n127.0.0.1\r\n$4\r\n6379\r\n',
  ],
  // DEBUG PROTOCOL map: %3 :0 #f ... ; RESP2 *6 :0 :0 ...
  [
    'map',
    R.map([
      [R.int(0), R.bool(false)],
      [R.int(1), R.bool(true)],
    ]),
    '*4\r\n:0\r\n:0\r\n:1\r\n:1\r\n',
    '%2\r\n:0\r\n#f\r\n:1\r\n#t\r\n',
  ],
  ['set', R.set([R.int(0), R.int(1)]), '*2\r\n:0\r\n:1\r\n', '~2\r\n:0\r\n:1\r\n'],
  ['bool', R.bool(true), ':1\r\n', '#t\r\n'],
  ['double 3.141', R.double(3.141), '$5\r\n3.141\r\n', ',3.141\r\n'],
  ['double 1.1 (%.17g)', R.double(1.1), '$18\r\n1.1000000000000001\r\n', ',1.1000000000000001\r\n'],
  ['double integral', R.double(3), '$1\r\n3\r\n', ',3\r\n'],
  ['double inf', R.double(Infinity), '$3\r\ninf\r\n', ',inf\r\n'],
  ['double -inf', R.double(-Infinity), '$4\r\n-inf\r\n', ',-inf\r\n'],
  [
    'bignum',
    R.bignum(1234567999999999999999999999999999999n),
    '$37\r\n1234567999999999999999999999999999999\r\n',
    '(1234567999999999999999999999999999999\r\n',
  ],
  [
    'verbatim',
    R.verbatim('This is a verbatim\nstring'),
    '$25\r\nThis is a verbatim\nstring\r\n',
    '=29\r\ntxt:This is a verbatim\nstring\r\n',
  ],
  [
    'push',
    R.push([R.bulk('message'), R.bulk('c')]),
    '*2\r\n$7\r\nmessage\r\n$1\r\nc\r\n',
    '>2\r\n$7\r\nmessage\r\n$1\r\nc\r\n',
  ],
  ['raw', R.raw(Buffer.from('+X\r\n')), '+X\r\n', '+X\r\n'],
  [
    'nested with buffers in the middle',
    R.array([R.bulk('a'), R.bulk(Buffer.alloc(100, 1)), R.map([[R.bulk('k'), R.null]])]),
    '*3\r\n$1\r\na\r\n$100\r\n' + '\x01'.repeat(100) + '\r\n*2\r\n$1\r\nk\r\n$-1\r\n',
    '*3\r\n$1\r\na\r\n$100\r\n' + '\x01'.repeat(100) + '\r\n%1\r\n$1\r\nk\r\n_\r\n',
  ],
];

void describe('resp - encoder', () => {
  for (const [name, out, r2, r3] of cases) {
    void test(`resp - encoder: ${name}`, () => {
      assert.equal(wire(out, 2), r2);
      assert.equal(wire(out, 3), r3);
    });
  }

  void test('resp - formatDouble matches redis-server 7.0 %.17g output', () => {
    // Observed with ZADD z <score> m / ZSCORE z m on redis-server 7.0.15.
    const seen: Array<[number, string]> = [
      [1.1, '1.1000000000000001'],
      [3, '3'],
      [0.1, '0.10000000000000001'],
      [1e21, '1e+21'],
      [1e-5, '1.0000000000000001e-05'],
      [1e17, '1e+17'],
      [Infinity, 'inf'],
      [-Infinity, '-inf'],
    ];
    for (const [d, s] of seen) assert.equal(formatDouble(d), s, String(d));
    // printf %.17g rules: fixed notation for exponents -4..16, trailing zeros stripped.
    assert.equal(formatDouble(1e16), '10000000000000000');
    assert.equal(formatDouble(0.0001), '0.0001');
    assert.equal(formatDouble(-2.5), '-2.5');
    assert.equal(formatDouble(0), '0');
    assert.equal(formatDouble(NaN), 'nan');
    assert.equal(formatDouble(5e-324), '4.9406564584124654e-324');
    assert.equal(formatDouble(1.7976931348623157e308), '1.7976931348623157e+308');
    for (const d of [Math.PI, 1 / 3, 123456.789, -7e-12, 2 ** 60]) assert.equal(Number(formatDouble(d)), d);
  });

  void test('resp - encodeCommand writes a multibulk of bulk strings', () => {
    assert.equal(encodeCommand(['PING']).toString(), '*1\r\n$4\r\nPING\r\n');
    assert.equal(
      encodeCommand(['SET', Buffer.from('k\x00'), 12, 'é']).toString('latin1'),
      '*4\r\n$3\r\nSET\r\n$2\r\nk\x00\r\n$2\r\n12\r\n$2\r\n\xc3\xa9\r\n',
    );
    assert.equal(encodeCommand([]).toString(), '*0\r\n');
  });

  void test('resp - mapGet on RESP3 maps and RESP2 flat arrays', () => {
    const m = new Map<Reply, Reply>([
      ['role', 'master'],
      [Buffer.from('proto'), 3],
      [new RespVerbatim('txt', 'v'), 1],
    ]);
    assert.equal(mapGet(m, 'role'), 'master');
    assert.equal(mapGet(m, 'proto'), 3);
    assert.equal(mapGet(m, 'v'), 1);
    assert.equal(mapGet(m, 'nope'), undefined);
    assert.equal(mapGet(['name', 'mymaster', 'port', '6379'], 'port'), '6379');
    assert.equal(mapGet(['name', 'mymaster', 'odd'], 'odd'), undefined);
    assert.equal(mapGet('scalar', 'x'), undefined);
  });

  void test('resp - replyToString renders scalars and aggregates', () => {
    assert.equal(replyToString('x'), 'x');
    assert.equal(replyToString(Buffer.from('é')), 'é');
    assert.equal(replyToString(12), '12');
    assert.equal(replyToString(1.5), '1.5');
    assert.equal(replyToString(Infinity), 'inf');
    assert.equal(replyToString(10n ** 30n), '1000000000000000000000000000000');
    assert.equal(replyToString(true), '1');
    assert.equal(replyToString(null), '');
    assert.equal(replyToString(new RespErrorReply('ERR x')), 'ERR x');
    assert.equal(replyToString(new RespVerbatim('txt', 'hi')), 'hi');
    assert.equal(
      replyToString([1, 'a', new Map<Reply, Reply>([['k', null]]), new Set<Reply>([true]), new RespPush(['m'])]),
      '[1, a, {k: }, (1), [m]]',
    );
  });
});
