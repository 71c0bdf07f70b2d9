export * from './common.js';
export * from './codes.js';
export * from './client-frame.js';
export * from './server-frame.js';
export * from './bus-message.js';
export * from './parse.js';
export * from './token.js';
export * from './frames.js';
