// The RESP decoders' entry point: CommandDecoder (what a Redis server reads: multibulk and inline commands) lives
// in command-decoder.ts, ReplyDecoder (what a client reads: RESP2 and RESP3 replies) in reply-decoder.ts. Both
// take socket chunks at any boundary, keep only the bytes received and raise RespProtocolError on malformed or
// over-limit input. This module only re-exports them, so importers of decoder.js need not know the split.
export { CommandDecoder, splitInlineArgs } from './command-decoder.js';
export { ReplyDecoder, type ReplyDecoderOptions } from './reply-decoder.js';
