// RESP value model shared by the decoder, the encoder and every user of the codec.
// Contract owner: src/resp. Pure types, no I/O.

/**
 * A reply as our *clients* (links to redis-server / sentinels, the proxy control plane, tests) see it after
 * decoding. Mirrors redis-parser for RESP2 so results can be compared with it directly:
 *   simple string -> string, bulk string -> string (or Buffer with `returnBuffers`), integer -> number
 *   (bigint past 2^53), error -> RespErrorReply, null bulk / null array / RESP3 null -> null, array -> Reply[].
 * RESP3 additions: boolean -> boolean, double -> number, big number -> bigint, verbatim -> RespVerbatim,
 *   map -> Map<Reply, Reply> (keys compared by identity, so use `mapGet` for string keys), set -> Set<Reply>,
 *   push -> RespPush, attribute frames are decoded and attached to the *next* value via the decoder's
 *   `onAttribute` hook (Redis sends them only with CLIENT TRACKING; nothing here needs them).
 */
export type Reply =
  | string
  | Buffer
  | number
  | bigint
  | boolean
  | null
  | RespErrorReply
  | RespVerbatim
  | RespPush
  | Reply[]
  | Map<Reply, Reply>
  | Set<Reply>;

/** An error reply (`-ERR ...` / `!<len>` blob error). `code` is the first word (ERR, NOAUTH, WRONGPASS, ...). */
export class RespErrorReply extends Error {
  readonly code: string;
  constructor(message: string) {
    super(message);
    this.name = 'RespErrorReply';
    const sp = message.indexOf(' ');
    this.code = sp === -1 ? message : message.slice(0, sp);
  }
}

/** RESP3 verbatim string (`=15\r\ntxt:Some string`). */
export class RespVerbatim {
  constructor(
    readonly format: string,
    readonly text: string,
  ) {}
  toString(): string {
    return this.text;
  }
}

/** RESP3 out-of-band push frame (`>3 ...`), e.g. pub/sub messages on a RESP3 connection. */
export class RespPush {
  constructor(readonly items: Reply[]) {}
}

/**
 * A frame the *server* writes. Explicit tags because the wire form depends on the protocol version
 * (RESP2 flattens maps, turns sets into arrays, doubles into bulk strings, ...). See encoder.ts.
 */
export type Out =
  | { t: 'simple'; v: string }
  | { t: 'error'; v: string } // full text without the leading '-', e.g. 'ERR unknown command ...'
  | { t: 'int'; v: number | bigint }
  | { t: 'bulk'; v: string | Buffer }
  | { t: 'null' } // R2: $-1   R3: _
  | { t: 'nullarray' } // R2: *-1  R3: _
  | { t: 'array'; v: Out[] }
  | { t: 'map'; v: Array<[Out, Out]> } // R2: flat array k1 v1 k2 v2
  | { t: 'set'; v: Out[] } // R2: array
  | { t: 'bool'; v: boolean } // R2: :1 / :0
  | { t: 'double'; v: number } // R2: bulk string
  | { t: 'bignum'; v: bigint } // R2: bulk string
  | { t: 'verbatim'; format: string; v: string } // R2: bulk string
  | { t: 'push'; v: Out[] } // R2: array
  | { t: 'raw'; v: Buffer }; // pre-encoded bytes, written as-is in both protocols

export type Proto = 2 | 3;

/** A command decoded from a client: the argument vector (name first). Inline commands decode the same way. */
export type Command = Buffer[];

export interface DecoderLimits {
  /** proto-max-bulk-len; Redis default 512 MB. */
  maxBulkLength: number;
  /** Maximum element count of one multibulk/aggregate; Redis 7.0: INT_MAX (both sides; Redis 2.x used 1024*1024). */
  maxMultibulkLength: number;
  /** Maximum length of an inline command line; Redis: 64 KB (PROTO_INLINE_MAX_SIZE). */
  maxInlineLength: number;
  /** Maximum aggregate nesting for replies (CVE-2021-32762 class of bugs). */
  maxDepth: number;
}

/** Raised for any malformed or over-limit input. The caller closes that connection and nothing else. */
export class RespProtocolError extends Error {
  readonly code = 'VIGIL_ERR_RESP_PROTOCOL';
  constructor(message: string) {
    super(message);
    this.name = 'RespProtocolError';
  }
}
