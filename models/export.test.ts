/**
 * The export check: models/coam.onnx run by onnxruntime-web's wasm backend (the runtime the
 * browser uses) equals PyTorch within 1e-4 on random inputs of two sizes.
 *
 * When Debian's python3 with torch is present (CI installs it), PyTorch's outputs are recomputed
 * from models/coam.pt now; otherwise the committed fixtures written at export time are used.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as ort from 'onnxruntime-web';
import { describe, expect, it } from 'vitest';

const here = dirname(fileURLToPath(import.meta.url));
const systemPython = '/usr/bin/python3';

function referenceDir(): { dir: string; source: string } {
  if (existsSync(systemPython)) {
    try {
      execFileSync(systemPython, ['-c', 'import torch'], { stdio: 'ignore' });
      const dir = mkdtempSync(join(tmpdir(), 'coam-ref-'));
      execFileSync(systemPython, [join(here, 'reference.py'), '--weights', join(here, 'coam.pt'), '--out', dir], {
        stdio: 'ignore',
      });
      return { dir, source: 'PyTorch, recomputed now' };
    } catch {
      /* no torch: fall back to the fixtures written at export time */
    }
  }
  return { dir: join(here, 'fixtures'), source: 'committed fixtures' };
}

function readF32(path: string): Float32Array {
  const buf = readFileSync(path);
  return new Float32Array(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength));
}

function maxAbsDiff(a: Float32Array, b: Float32Array): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

describe('models/coam.onnx in onnxruntime-web (wasm)', () => {
  it('matches PyTorch within 1e-4 on random inputs of two sizes', { timeout: 120_000 }, async () => {
    const { dir, source } = referenceDir();
    const index = JSON.parse(readFileSync(join(dir, 'reference.json'), 'utf8')) as {
      cases: Record<string, { file: string; shape: number[] }>[];
    };
    ort.env.wasm.numThreads = 1;
    const session = await ort.InferenceSession.create(readFileSync(join(here, 'coam.onnx')), {
      executionProviders: ['wasm'],
    });
    expect(index.cases.length).toBe(2);
    for (const c of index.cases) {
      const feeds = {
        image: new ort.Tensor('float32', readF32(join(dir, c.image.file)), c.image.shape),
        condition: new ort.Tensor('float32', readF32(join(dir, c.condition.file)), c.condition.shape),
      };
      const out = await session.run(feeds);
      for (const name of ['descriptors', 'distinctiveness'] as const) {
        expect(Array.from(out[name].dims), `${name} shape (${source})`).toEqual(c[name].shape);
        const diff = maxAbsDiff(out[name].data as Float32Array, readF32(join(dir, c[name].file)));
        expect(diff, `${name} max |onnx - torch| (${source})`).toBeLessThan(1e-4);
      }
    }
    await session.release();
  });
});
