// Public surface of the RESP codec (decoder.ts, encoder.ts). The outbound client is src/link/link.ts.
export * from './types.js';
export * from './decoder.js';
export * from './encoder.js';
