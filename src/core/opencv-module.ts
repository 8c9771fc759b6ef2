/**
 * OpenCV.js behind a plain ESM module, for `import()`: the Emscripten module is a thenable that
 * resolves to itself, so a namespace that exposed its keys (as CommonJS interop may) could never be
 * awaited. Here the namespace has one key, `opencv`, and awaiting it is safe.
 */
import cv from '@techstark/opencv-js';

export const opencv: { cv: unknown } = { cv };
