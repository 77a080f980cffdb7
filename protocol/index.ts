export * from './ids.js';
export * from './topics.js';
export * from './units.js';
export * from './messages.js';
export * from './kinds.js';
export * from './decode.js';
export * from './taxonomy.js';
export * from './enrolment.js';
