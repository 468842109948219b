// Public surface of the RESP codec (command-decoder.ts, reply-decoder.ts, encoder.ts) and the outbound client
// connection (connection.ts).
export * from './types.js';
export { CommandDecoder, splitInlineArgs } from './command-decoder.js';
export { ReplyDecoder, type ReplyDecoderOptions } from './reply-decoder.js';
export * from './encoder.js';
export * from './connection.js';
