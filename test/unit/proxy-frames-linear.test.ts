// The --mux scanners cost work linear in the bytes fed, however the stream is cut: a frame arriving one byte at a
// time, or a large bulk in small chunks, is neither copied nor rescanned from its start on every read. Measured
// with scan.work (bytes looked at or copied by the scanners and PartialFrame), not with time.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { scanRequest, scan, PartialFrame, ReplyScanner, INCOMPLETE, INVALID } from '../../src/proxy/frames.js';
import { encode, encodeCommand, R } from '../../src/resp/index.js';

/** Feed `b` in pieces of `step` bytes through a PartialFrame as the data plane does; returns the frame ends. */
function feedRequests(b: Buffer, step: number): number[] {
  const pf = new PartialFrame();
  const ends: number[] = [];
  let base = 0; // absolute offset of what take() returned
  let fed = 0;
  let keptAt = 0;
  for (let off = 0; off < b.length; off += step) {
    const c = b.subarray(off, Math.min(off + step, b.length));
    const chunkAt = fed;
    fed += c.length;
    const got = pf.take(c);
    if (got === null) continue;
    base = got === c ? chunkAt : keptAt;
    const resume = pf.resume;
    let at = 0;
    while (at < got.length) {
      const e = scanRequest(got, at, at === 0 ? resume : null);
      if (e === INCOMPLETE) {
        pf.keep(got, at);
        keptAt = base + at;
        break;
      }
      assert.ok(e > at, `a frame at ${base + at}`);
      ends.push(base + e);
      at = e;
    }
  }
  return ends;
}

/** Feed replies in pieces of `step` bytes; returns the offsets where replies complete. */
function feedReplies(b: Buffer, step: number): number[] {
  const rs = new ReplyScanner();
  const ends: number[] = [];
  for (let off = 0; off < b.length; off += step) {
    const c = b.subarray(off, Math.min(off + step, b.length));
    let at = 0;
    while (at < c.length) {
      const e = rs.advance(c, at, 1);
      assert.notEqual(e, INVALID);
      if (rs.done === 1) ends.push(off + e);
      at = e;
    }
  }
  return ends;
}

void describe('proxy mux scanners: linear work', () => {
  void test('proxy frames linear - a 1024-argument request fed one byte at a time', () => {
    const args = Array.from({ length: 1023 }, (_, i) => `value-${i}`);
    const req = encodeCommand(['mset', ...args]);
    const two = Buffer.concat([req, encodeCommand(['ping'])]);
    const before = scan.work;
    const ends = feedRequests(two, 1);
    const work = scan.work - before;
    assert.deepEqual(ends, [req.length, two.length]);
    assert.ok(work <= 4 * two.length, `work ${work} for ${two.length} bytes fed one at a time`);
  });

  void test('proxy frames linear - a long inline command fed one byte at a time', () => {
    const line = Buffer.from(`SET k ${'x'.repeat(12_000)}\r\n`);
    const before = scan.work;
    assert.deepEqual(feedRequests(line, 1), [line.length]);
    const work = scan.work - before;
    assert.ok(work <= 4 * line.length, `work ${work} for ${line.length} bytes`);
  });

  void test('proxy frames linear - a 16 MB bulk request in 1 KB chunks', () => {
    const req = encodeCommand(['set', 'k', 'v'.repeat(16 * 1024 * 1024)]);
    const before = scan.work;
    assert.deepEqual(feedRequests(req, 1024), [req.length]);
    const work = scan.work - before;
    assert.ok(work <= 4 * req.length, `work ${work} for ${req.length} bytes`);
  });

  void test('proxy frames linear - replies: a 100k-element array one byte at a time, a 16 MB bulk in 1 KB chunks', () => {
    const arr = encode(R.array(Array.from({ length: 100_000 }, (_, i) => R.bulk(`e${i}`))), 2);
    const tail = encode(R.ok, 2);
    const both = Buffer.concat([arr, tail]);
    let before = scan.work;
    assert.deepEqual(feedReplies(both, 1), [arr.length, both.length]);
    let work = scan.work - before;
    assert.ok(work <= 2 * both.length, `work ${work} for ${both.length} bytes`);

    const bulk = encode(R.bulk('b'.repeat(16 * 1024 * 1024)), 2);
    before = scan.work;
    assert.deepEqual(feedReplies(bulk, 1024), [bulk.length]);
    work = scan.work - before;
    assert.ok(work <= 2 * bulk.length, `work ${work} for ${bulk.length} bytes`);
  });

  void test('proxy frames linear - ReplyScanner stops at max replies and rejects what RESP2 does not have', () => {
    const b = Buffer.from('+OK\r\n:1\r\n$-1\r\n*-1\r\n*0\r\n$0\r\n\r\n-ERR x\r\n*2\r\n*1\r\n$1\r\na\r\n:2\r\n');
    const rs = new ReplyScanner();
    let at = 0;
    const ends: number[] = [];
    while (at < b.length) {
      at = rs.advance(b, at, 2);
      ends.push(at);
      assert.ok(rs.done === 2 || at === b.length);
    }
    assert.equal(ends[0], 9);
    assert.equal(ends[ends.length - 1], b.length);
    assert.equal(new ReplyScanner().advance(Buffer.from('%1\r\n'), 0, 1), INVALID);
    assert.equal(new ReplyScanner().advance(Buffer.from('$12x\r\n'), 0, 1), INVALID);
    assert.equal(new ReplyScanner().advance(Buffer.from(`$${'9'.repeat(40)}\r\n`), 0, 1), INVALID);
  });
});
