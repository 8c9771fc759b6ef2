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
  // Dev server: pre-bundle every dependency before the first page, so a first visit of `npm start`
  // never stops to bundle one it met late and reload (dropping the photos just chosen). The scanner
  // starts from the page and does not follow `new Worker(new URL(...))`, so the workers are entries
  // too; the two runtime builds the inference worker picks between when it starts (`import()`, one
  // per backend) and OpenCV.js, which the classic matcher's worker imports on first use, are named
  // outright as well.
  optimizeDeps: {
    entries: ['index.html', 'src/worker/*.worker.ts'],
    include: ['onnxruntime-web/wasm', 'onnxruntime-web/webgpu', '@techstark/opencv-js'],
  },
  // three.js alone is ~700 kB minified; the page is one chunk on purpose (no waterfall offline).
  build: { chunkSizeWarningLimit: 1200 },
  test: {
    include: ['src/**/*.test.ts', 'models/**/*.test.ts'],
    testTimeout: 60_000,
  },
});
