// Client input: bytes -> commands for one connection, with Redis 7.0's rules around errors and authentication.
// * Commands completed before a malformed frame in the same read still run (Redis parses and executes one
//   command at a time); then the protocol error is reported.
// * While the client must still authenticate, Redis limits multibulk counts to 10 and bulk lengths to 16384
//   ("unauthenticated multibulk/bulk length"). We decode line by line in that phase so an AUTH takes effect
//   before the next command is parsed, exactly as in Redis. Pure apart from the CommandDecoder state.
import { CommandDecoder, RespProtocolError } from '../resp/index.js';
import type { Command } from '../resp/index.js';

/** Redis 7.0 accepts multibulk counts up to INT_MAX from authenticated clients (memory is bounded by the query
 * buffer limit, not by the announced count). */
const MAX_MULTIBULK = 2147483647;
const UNAUTH_MAX_MULTIBULK = 10;
const UNAUTH_MAX_BULK = 16384;

export interface InputSink {
  /** Run these commands now (in order). */
  run(cmds: Command[]): void;
  /** True while the client still has to authenticate (re-checked after every command batch). */
  unauthenticated(): boolean;
}

export class ClientInput {
  private decoder: CommandDecoder;
  private strict: boolean;

  constructor(
    private readonly maxBulk: number,
    strict: boolean,
  ) {
    this.strict = strict;
    this.decoder = this.make(strict);
  }

  private make(strict: boolean): CommandDecoder {
    return strict
      ? new CommandDecoder({ maxBulkLength: UNAUTH_MAX_BULK, maxMultibulkLength: UNAUTH_MAX_MULTIBULK })
      : new CommandDecoder({ maxBulkLength: this.maxBulk, maxMultibulkLength: MAX_MULTIBULK });
  }

  get buffered(): number {
    return this.decoder.buffered;
  }

  /**
   * Feed one read. Runs completed commands through `sink`. Throws RespProtocolError (with Redis's text) after
   * running the commands that preceded the bad frame.
   */
  push(chunk: Buffer, sink: InputSink): void {
    if (this.strict && !sink.unauthenticated() && this.decoder.buffered === 0) {
      this.strict = false;
      this.decoder = this.make(false);
    }
    if (!this.strict) {
      this.pushNormal(chunk, sink);
      return;
    }
    let pos = 0;
    while (pos < chunk.length) {
      const nl = chunk.indexOf(0x0a, pos);
      const end = nl === -1 ? chunk.length : nl + 1;
      const seg = chunk.subarray(pos, end);
      let cmds: Command[];
      try {
        cmds = this.decoder.push(seg);
      } catch (e) {
        if (e instanceof RespProtocolError) throw new RespProtocolError(unauthText(e.message, seg, this.maxBulk));
        throw e;
      }
      if (cmds.length > 0) sink.run(cmds);
      pos = end;
      if (!sink.unauthenticated() && this.decoder.buffered === 0) {
        this.strict = false;
        this.decoder = this.make(false);
        if (pos < chunk.length) this.pushNormal(chunk.subarray(pos), sink);
        return;
      }
    }
  }

  private pushNormal(chunk: Buffer, sink: InputSink): void {
    const before = this.decoder.buffered;
    let cmds: Command[];
    try {
      cmds = this.decoder.push(chunk);
    } catch (e) {
      if (!(e instanceof RespProtocolError)) throw e;
      // The decoder drops what it completed before the error; re-decode this read when it began on a frame
      // boundary and run those commands first.
      if (before === 0) {
        const prior = decodeUntilError(chunk, this.maxBulk);
        if (prior.length > 0) sink.run(prior);
      }
      throw e;
    }
    if (cmds.length > 0) sink.run(cmds);
  }
}

/** Redis reports limit violations of unauthenticated clients with their own texts. */
function unauthText(message: string, seg: Buffer, maxBulk: number): string {
  const line = seg.toString('latin1');
  if (message === 'Protocol error: invalid multibulk length') {
    const m = /^\*(\d{1,19})\r?\n?$/.exec(line);
    if (m && Number(m[1]) > UNAUTH_MAX_MULTIBULK && Number(m[1]) <= MAX_MULTIBULK) {
      return 'Protocol error: unauthenticated multibulk length';
    }
  }
  if (message === 'Protocol error: invalid bulk length') {
    const m = /^\$(\d{1,19})\r?\n?$/.exec(line);
    if (m && Number(m[1]) > UNAUTH_MAX_BULK && Number(m[1]) <= maxBulk)
      return 'Protocol error: unauthenticated bulk length';
  }
  return message;
}

/** Decode `chunk` with a fresh decoder, line by line, returning the commands completed before any error. */
function decodeUntilError(chunk: Buffer, maxBulk: number): Command[] {
  const d = new CommandDecoder({ maxBulkLength: maxBulk, maxMultibulkLength: MAX_MULTIBULK });
  const out: Command[] = [];
  let start = 0;
  while (start < chunk.length) {
    const nl = chunk.indexOf(0x0a, start);
    const end = nl === -1 ? chunk.length : nl + 1;
    try {
      out.push(...d.push(chunk.subarray(start, end)));
    } catch {
      break;
    }
    start = end;
  }
  return out;
}
