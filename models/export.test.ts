/**
 * The export check: models/coam.onnx run by onnxruntime-web's wasm backend (the runtime the
 * browser uses) equals PyTorch within 1e-4 on random inputs of two sizes, and so do the
 * co-attention weights of models/coam-attention.onnx fed PyTorch's encoder levels.
 *
 * When Debian's python3 with torch is present (CI installs it), PyTorch's outputs are recomputed
 * from models/coam.pt now; otherwise the committed fixtures written at export time are used.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
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

describe('models/coam-attention.onnx in onnxruntime-web (wasm)', () => {
  it('the sidecar names it with the split\'s co-attention levels and this contract graph', () => {
    const sidecar = JSON.parse(readFileSync(join(here, 'coam.json'), 'utf8')) as {
      split: { conditionFeatureNames: string[] };
      attention: { levels: string[]; inputs: string[]; contractSha256: string };
    };
    expect(sidecar.attention.levels).toEqual(sidecar.split.conditionFeatureNames);
    expect(sidecar.attention.inputs).toEqual([...sidecar.attention.levels, ...sidecar.attention.levels.map((l) => `condition_${l}`)]);
    expect(sidecar.attention.contractSha256).toBe(createHash('sha256').update(readFileSync(join(here, 'coam.onnx'))).digest('hex'));
  });

  it('gives PyTorch\'s co-attention weights within 1e-4, each row summing to 1', { timeout: 120_000 }, async () => {
    const { dir, source } = referenceDir();
    const sidecar = JSON.parse(readFileSync(join(here, 'coam.json'), 'utf8')) as {
      attention: { graph: string; levels: string[]; inputs: string[]; outputs: string[] };
    };
    const { graph, levels, inputs, outputs } = sidecar.attention;
    expect(outputs).toEqual(levels.map((l) => `attention_${l}`));
    const index = JSON.parse(readFileSync(join(dir, 'attention.json'), 'utf8')) as {
      cases: Record<string, { file: string; shape: number[] }>[];
    };
    ort.env.wasm.numThreads = 1;
    const session = await ort.InferenceSession.create(readFileSync(join(here, graph)), { executionProviders: ['wasm'] });
    expect([...session.inputNames].sort()).toEqual([...inputs].sort());
    expect([...session.outputNames]).toEqual(outputs);
    expect(index.cases.length).toBe(2);
    for (const c of index.cases) {
      const feeds = Object.fromEntries(inputs.map((name) => [name, new ort.Tensor('float32', readF32(join(dir, c[name].file)), c[name].shape)]));
      const out = await session.run(feeds);
      for (const [i, name] of outputs.entries()) {
        const [, hA, wA] = c[inputs[i]].shape.slice(1);
        const [, hB, wB] = c[`condition_${levels[i]}`].shape.slice(1);
        expect(Array.from(out[name].dims), `${name} shape`).toEqual([1, hA * wA, hB * wB]);
        const weights = out[name].data as Float32Array;
        const diff = maxAbsDiff(weights, readF32(join(dir, c[name].file)));
        expect(diff, `${name} max |onnx - torch| (${source})`).toBeLessThan(1e-4);
        for (let row = 0; row < hA * wA; row++) {
          let sum = 0;
          for (let j = 0; j < hB * wB; j++) sum += weights[row * hB * wB + j];
          expect(Math.abs(sum - 1), `${name} row ${row} sums to 1`).toBeLessThan(1e-4);
        }
      }
    }
    await session.release();
  });
});
