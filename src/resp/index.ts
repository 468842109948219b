// Public surface of the RESP codec (decoder.ts, encoder.ts) and the outbound client connection (connection.ts).
export * from './types.js';
export * from './decoder.js';
export * from './encoder.js';
export * from './connection.js';
