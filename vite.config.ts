/// <reference types="vitest/config" />
import { defineConfig } from 'vite';
import react from '@vitejs/plugin-react';
import { precache } from './src/offline/precache-plugin.ts';

// Cross-origin isolation lets onnxruntime-web use multi-threaded WASM (SharedArrayBuffer).
const isolation = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
};

export default defineConfig({
  // Relative base: `npm run build` output works from any static server or a folder next to slides.
  base: './',
  plugins: [react(), precache()],
  server: { headers: isolation },
  preview: { headers: isolation },
  worker: { format: 'es' },
  // three.js alone is ~700 kB minified; the page is one chunk on purpose (no waterfall offline).
  build: { chunkSizeWarningLimit: 1200 },
  test: {
    include: ['src/**/*.test.ts', 'models/**/*.test.ts'],
    testTimeout: 60_000,
  },
});
