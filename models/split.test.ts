/**
 * The split check: models/coam-encoder.onnx + models/coam-decoder.onnx (each image encoded once,
 * the conditioned decoder run per pass) give the contract graph's outputs, in onnxruntime-web's wasm
 * backend, within 1e-5 on random inputs of two sizes (the condition a different size from the image).
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as ort from 'onnxruntime-web';
import { describe, expect, it } from 'vitest';

const here = dirname(fileURLToPath(import.meta.url));
const sidecar = JSON.parse(readFileSync(join(here, 'coam.json'), 'utf8')) as {
  multiple: number;
  split: { encoder: string; decoder: string; featureNames: string[]; conditionFeatureNames: string[]; contractSha256: string };
};

/**
 * Random pixels in [0,1]. `dim`: darker noise over a horizontal ramp, so the two images of a pair
 * differ in their statistics too (two uniform-noise images attend to near-identical averages, and an
 * untrained network then hardly sees which one conditions it).
 */
function randomImage(height: number, width: number, seed: number, dim = false): ort.Tensor {
  let s = seed >>> 0;
  const data = new Float32Array(3 * height * width);
  for (let i = 0; i < data.length; i++) {
    const r = (s = (s * 1664525 + 1013904223) >>> 0) / 4294967296;
    data[i] = dim ? 0.25 * r + 0.75 * ((i % width) / width) : r;
  }
  return new ort.Tensor('float32', data, [1, 3, height, width]);
}

function maxAbsDiff(a: Float32Array, b: Float32Array): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

describe('models/coam-encoder.onnx + coam-decoder.onnx in onnxruntime-web (wasm)', () => {
  it('the sidecar names the split exported with this contract graph', () => {
    const { split } = sidecar;
    expect(split.encoder).toBe('coam-encoder.onnx');
    expect(split.decoder).toBe('coam-decoder.onnx');
    expect(split.conditionFeatureNames.every((n) => split.featureNames.includes(n))).toBe(true);
    expect(split.contractSha256).toBe(createHash('sha256').update(readFileSync(join(here, 'coam.onnx'))).digest('hex'));
  });

  it('equals the contract graph within 1e-5 on random inputs of two sizes, both directions', { timeout: 120_000 }, async () => {
    const { split, multiple: m } = sidecar;
    ort.env.wasm.numThreads = 1;
    const open = (file: string) => ort.InferenceSession.create(readFileSync(join(here, file)), { executionProviders: ['wasm'] });
    const contract = await open('coam.onnx');
    const encoder = await open(split.encoder);
    const decoder = await open(split.decoder);
    expect([...encoder.inputNames]).toEqual(['image']);
    expect([...encoder.outputNames].sort()).toEqual([...split.featureNames].sort());
    expect([...decoder.inputNames].sort()).toEqual([...split.featureNames, ...split.conditionFeatureNames.map((n) => `condition_${n}`)].sort());
    const cases: Array<[[number, number], [number, number]]> = [
      [[2 * m, 3 * m], [3 * m, 2 * m]],
      [[4 * m, 4 * m], [2 * m, 5 * m]],
    ];
    let seed = 1;
    for (const [[h, w], [hc, wc]] of cases) {
      const a = randomImage(h, w, seed++);
      const b = randomImage(hc, wc, seed++, true);
      const [fa, fb] = [await encoder.run({ image: a }), await encoder.run({ image: b })];
      const decode = (image: typeof fa, condition: typeof fa) => {
        const feeds: Record<string, ort.Tensor> = {};
        for (const n of split.featureNames) feeds[n] = image[n] as ort.Tensor;
        for (const n of split.conditionFeatureNames) feeds[`condition_${n}`] = condition[n] as ort.Tensor;
        return decoder.run(feeds);
      };
      // Both passes of a pair: A|B and B|A, from one encoding of each image.
      for (const [image, condition, fi, fc, label] of [[a, b, fa, fb, `A|B ${w}x${h} | ${wc}x${hc}`], [b, a, fb, fa, `B|A ${wc}x${hc} | ${w}x${h}`]] as const) {
        const want = await contract.run({ image, condition });
        const got = await decode(fi, fc);
        // The same image conditioned on itself: how far a wrongly wired condition would move the output.
        const self = await decode(fi, fi);
        for (const name of ['descriptors', 'distinctiveness'] as const) {
          expect(Array.from(got[name].dims), `${name} shape, ${label}`).toEqual(Array.from(want[name].dims));
          const diff = maxAbsDiff(got[name].data as Float32Array, want[name].data as Float32Array);
          expect(diff, `${name} max |split - contract|, ${label}`).toBeLessThan(1e-5);
          // An untrained network's co-attention moves its outputs by only ~1e-6, under the 1e-5
          // tolerance: the split must also be well inside the condition's own effect (a wrongly
          // wired condition moves it by that much), give or take float rounding.
          const conditioning = maxAbsDiff(self[name].data as Float32Array, want[name].data as Float32Array);
          expect(conditioning, `${name}: the condition changes the output, ${label}`).toBeGreaterThan(0);
          expect(diff, `${name} max |split - contract| against the condition's effect ${conditioning}, ${label}`).toBeLessThanOrEqual(
            Math.max(1e-7, 0.1 * conditioning),
          );
        }
      }
    }
    for (const s of [contract, encoder, decoder]) await s.release();
  });
});
