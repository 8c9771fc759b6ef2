/**
 * The core's public surface (browser-safe: no Node imports). Node-only helpers (reading files,
 * configuring ORT for Node) are in './node', imported explicitly by the CLI and tests.
 */
export * from './types';
export * from './errors';
export * from './image';
export * from './model';
export * from './pipeline';
export * from './views';
export * from './matching';
export * from './geometry';
export * from './metrics';
export * as linalg from './linalg';
