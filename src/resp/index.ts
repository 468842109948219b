// Public surface of the RESP codec. Implementations live in decoder.ts and encoder.ts.
export * from './types.js';
export * from './decoder.js';
export * from './encoder.js';
