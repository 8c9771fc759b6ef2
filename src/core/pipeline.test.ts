import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as ort from 'onnxruntime-web';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { prepareImage } from './image';
import { CoamModel, parseModelInfo } from './model';
import { loadModel, loadOrt, readImage } from './node';
import { matchesFromDense, matchesToCsv, matchPair, toMatchesFile, type KeptEncodings } from './pipeline';
import { levelStride, queryCells, unturnedRow } from './attention';
import type { Match, PairResult, RasterImage } from './types';
import { turnRaster } from './views';

ort.env.wasm.numThreads = 1;
const FIX = join(__dirname, '__fixtures__');

/** A smooth random texture (sum of blobs), deterministic. */
export function texture(width: number, height: number, seed: number): RasterImage {
  let s = seed >>> 0;
  const rnd = () => ((s = (s * 1664525 + 1013904223) >>> 0) / 4294967296);
  const blobs = Array.from({ length: 60 }, () => [rnd() * width, rnd() * height, 2 + rnd() * 6, rnd(), rnd(), rnd()]);
  const data = new Uint8ClampedArray(width * height * 4);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      let r = 0.2, g = 0.2, b = 0.2;
      for (const [cx, cy, rad, br, bg, bb] of blobs) {
        const w = Math.exp(-((x - cx) ** 2 + (y - cy) ** 2) / (2 * rad * rad));
        r += w * br; g += w * bg; b += w * bb;
      }
      data.set([r * 200, g * 200, b * 200, 255], (y * width + x) * 4);
    }
  }
  return { width, height, data };
}

export function crop(img: RasterImage, x0: number, y0: number, width: number, height: number): RasterImage {
  const data = new Uint8ClampedArray(width * height * 4);
  for (let y = 0; y < height; y++) data.set(img.data.subarray(((y + y0) * img.width + x0) * 4, ((y + y0) * img.width + x0 + width) * 4), y * width * 4);
  return { width, height, data };
}

describe('matchPair end to end (tiny model, onnxruntime-web wasm)', () => {
  let model: CoamModel;
  beforeAll(async () => {
    const info = parseModelInfo(JSON.parse(readFileSync(join(FIX, 'tiny_coam.json'), 'utf8')));
    model = await CoamModel.create(ort, new Uint8Array(readFileSync(join(FIX, 'tiny_coam.onnx'))), info);
  });
  afterAll(() => model?.release());

  it('returns sorted matches in original pixels, timings and progress', async () => {
    const big = texture(160, 96, 7);
    // A at 128×96 original, fed at 64×48 (scale 0.5): B is A shifted right by 16 original px.
    const a = crop(big, 16, 0, 128, 96);
    const b = crop(big, 0, 0, 128, 96);
    const stages: string[] = [];
    const result = await matchPair(model, a, b, { match: { subpixel: false }, onProgress: (s, f) => stages.push(`${s}:${f}`) });
    expect(stages[0]).toBe('preprocess:0');
    expect(stages.at(-1)).toBe('match:1');
    expect(stages).toContain('passAB:1');
    expect(stages).toContain('passBA:1');
    expect(result.preparedA).toMatchObject({ width: 64, height: 48, originalWidth: 128, originalHeight: 96, scaleX: 0.5 });
    expect(result.denseA.gridWidth).toBe(16);
    expect(result.backend).toBe('wasm');
    const m = result.matches;
    expect(m.length).toBeGreaterThan(8);
    for (let i = 1; i < m.length; i++) expect(m[i - 1].score).toBeGreaterThanOrEqual(m[i].score);
    for (const x of m) {
      expect(x.xyA[0]).toBeGreaterThanOrEqual(0);
      expect(x.xyA[0]).toBeLessThan(128);
      expect(x.xyB[1]).toBeLessThan(96);
      expect(x.score).toBeCloseTo(x.similarity * x.distinctivenessA * x.distinctivenessB, 5);
      // Cell centres land on original pixel ((j+0.5)*4-0.5+0.5)/0.5-0.5 = 8j+3.5.
      expect((x.xyA[0] - 3.5) % 8).toBe(0);
    }
    // Even random weights see through a translation: most of the best matches are the true shift.
    const top = m.slice(0, 10);
    const correct = top.filter((x) => Math.abs(x.xyB[0] - (x.xyA[0] + 16)) < 1 && Math.abs(x.xyB[1] - x.xyA[1]) < 1);
    expect(correct.length, JSON.stringify(top.map((x) => [x.xyA, x.xyB]))).toBeGreaterThanOrEqual(5);
    // Sub-cell refinement (the default) leaves A's points on their cell centres and moves B's by at
    // most half a cell (4 original px), some of them.
    const refined = (await matchPair(model, a, b)).matches;
    expect(refined.map((x) => [x.cellA, x.cellB])).toEqual(m.map((x) => [x.cellA, x.cellB]));
    let moved = 0;
    refined.forEach((x, i) => {
      expect(x.xyA).toEqual(m[i].xyA);
      for (const k of [0, 1] as const) expect(Math.abs(x.xyB[k] - m[i].xyB[k])).toBeLessThanOrEqual(4 + 1e-9);
      if (x.xyB[0] !== m[i].xyB[0] || x.xyB[1] !== m[i].xyB[1]) moved++;
    });
    expect(moved).toBeGreaterThan(0);
    const t = result.timings;
    expect(t.totalMs).toBeGreaterThan(0);
    expect(t.totalMs).toBeCloseTo(t.preprocessMs + t.passABMs + t.passBAMs + t.matchMs, 3);
  });

  it("conditioning 'self' runs A|A and B|B; options reach matchDense", async () => {
    const a = texture(64, 64, 1);
    const b = texture(64, 64, 2);
    const pair = await matchPair(model, a, b, { match: { maxCandidates: 10 } });
    expect(pair.matches.length).toBeLessThanOrEqual(10);
    const self = await matchPair(model, a, b, { conditioning: 'self' });
    const pairAll = await matchPair(model, a, b);
    let diff = 0;
    for (let i = 0; i < self.denseA.descriptors.length; i++) diff += Math.abs(self.denseA.descriptors[i] - pairAll.denseA.descriptors[i]);
    expect(diff).toBeGreaterThan(1e-3);
  });

  it('toMatchesFile and matchesToCsv keep the sorted order and cut at top-K', async () => {
    const a = texture(64, 64, 3);
    const result = await matchPair(model, a, a);
    const file = toMatchesFile(result, { pathA: 'a.png', pathB: 'b.png', model: model.info, longSide: 64, topK: 5 });
    expect(file.imageA).toEqual({ path: 'a.png', width: 64, height: 64 });
    expect(file.model).toEqual({ name: 'tiny-coam-test', version: '0.0.1' });
    expect(file.matches.length).toBe(Math.min(5, result.matches.length));
    expect(file.matches[0].score).toBe(result.matches[0].score);
    expect(JSON.parse(JSON.stringify(file))).toEqual(file);
    const csv = matchesToCsv(result.matches.slice(0, 3)).trim().split('\n');
    expect(csv[0]).toBe('xA,yA,xB,yB,score,similarity,distinctivenessA,distinctivenessB');
    expect(csv.length).toBe(4);
    expect(csv[1].split(',').length).toBe(8);
  });
  it("search: the view that undoes B's turn wins, 'auto' finds its turn from the probes, and 'off' keeps the upright one", async () => {
    // Random weights know nothing of rotation: only the views that turn B back onto A match.
    const a = texture(96, 96, 5);
    const b = turnRaster(a, 1); // A's (x, y) is B's (95 - y, x)
    const correct = (ms: Match[]) => ms.filter((m) => Math.hypot(m.xyB[0] - (95 - m.xyA[1]), m.xyB[1] - m.xyA[0]) < 2).length;
    // 12 coarse views, then 5 fine ones (a long side of 1.6 x 96 = 154) at the kept turn.
    const found = await matchPair(model, a, b, { longSide: 96, search: 'always', match: { subpixel: false } });
    expect(found.view).toMatchObject({ quarterTurns: 3, longSide: 96, tried: 12 + 5 });
    expect(correct(found.matches)).toBeGreaterThan(0.8 * found.matches.length);
    // Whichever size is kept, the outputs and geometry describe the photos as given.
    expect([found.preparedB.originalWidth, found.preparedB.originalHeight]).toEqual([96, 96]);
    expect(found.denseB.gridWidth * found.denseB.stride).toBe(found.preparedB.width);
    const upright = await matchPair(model, a, b, { longSide: 96, search: 'off', match: { subpixel: false } });
    expect(upright.view).toMatchObject({ quarterTurns: 0, tried: 1 });
    expect(correct(upright.matches)).toBeLessThan(0.2 * upright.matches.length);
    const interim: PairResult[] = [];
    const auto = await matchPair(model, a, b, { longSide: 96, search: 'auto', match: { subpixel: false }, onUpright: (r) => interim.push(r) });
    // 'auto' probes the four turns at half size, where B turned 270° finds the most matches, then
    // runs that turn at full size and with either image at half size. A 96 px texture gives too
    // few matches for any of them to hold firmly, so the fine views follow at that turn (the fine
    // view at both 1.6x excepted); the full-size turned view stays the best.
    expect(auto.view).toMatchObject({ quarterTurns: 3, longSideA: 96, longSideB: 96 });
    expect(auto.view!.tried).toBe(1 + 4 + 3 + 4);
    expect(correct(auto.matches)).toBeGreaterThan(0.8 * auto.matches.length);
    // Before searching, the upright view's result is handed out once: the same as 'off' gives.
    expect(interim).toHaveLength(1);
    expect(interim[0].view).toMatchObject({ quarterTurns: 0, tried: 1 });
    expect(interim[0].matches.map((m) => [m.cellA, m.cellB])).toEqual(upright.matches.map((m) => [m.cellA, m.cellB]));
    expect(interim[0].timings.searchMs).toBeUndefined();
    // The old exhaustive search: every coarse view after the failed check, then the fine ones.
    const full = await matchPair(model, a, b, { longSide: 96, search: 'full', match: { subpixel: false } });
    expect(full.view).toMatchObject({ quarterTurns: 3, tried: 12 + 5 });
    // An identical pair holds together upright: 'auto' runs no other view and hands out no interim
    // result; 'full' still runs the fine views.
    const same = await matchPair(model, a, a, { longSide: 96, search: 'auto', onUpright: (r) => interim.push(r) });
    expect(interim).toHaveLength(1);
    expect(same.view).toMatchObject({ quarterTurns: 0, tried: 1 });
    expect(same.timings.searchMs).toBeUndefined();
    const sameFull = await matchPair(model, a, a, { longSide: 96, search: 'full' });
    expect(sameFull.view).toMatchObject({ quarterTurns: 0, tried: 1 + 5 });
    expect(sameFull.timings.searchMs).toBeGreaterThan(0);
  });

  it('an aborted signal stops the run before its next view', async () => {
    const a = texture(96, 96, 5);
    const b = turnRaster(a, 1);
    const controller = new AbortController();
    const progress: string[] = [];
    const run = matchPair(model, a, b, {
      longSide: 96,
      search: 'always',
      signal: controller.signal,
      onUpright: () => controller.abort(new Error('a newer run')),
      onProgress: (stage, f) => progress.push(`${stage}:${f.toFixed(2)}`),
    });
    await expect(run).rejects.toThrow('a newer run');
    // The upright view ran; no other view did.
    expect(progress.filter((p) => p.startsWith('search'))).toEqual([]);
    const aborted = new AbortController();
    aborted.abort(new Error('already'));
    await expect(matchPair(model, a, b, { signal: aborted.signal })).rejects.toThrow('already');
  });
});

describe('matchesFileToJson', () => {
  it('round-trips and puts one match per line', async () => {
    const { matchesFileToJson } = await import('./pipeline');
    const file = {
      imageA: { path: 'a.png', width: 4, height: 3 },
      imageB: { width: 5, height: 6 },
      longSide: 640,
      matches: [
        { xyA: [1, 2] as [number, number], xyB: [3, 4] as [number, number], score: 0.5 },
        { xyA: [0, 0] as [number, number], xyB: [1, 1] as [number, number], score: 0.25 },
      ],
    };
    const text = matchesFileToJson(file);
    expect(JSON.parse(text)).toEqual(file);
    expect(text.split('\n').filter((l) => l.includes('"xyA"')).length).toBe(2);
    expect(JSON.parse(matchesFileToJson({ ...file, matches: [] }))).toEqual({ ...file, matches: [] });
  });
});

describe('matchPair on the committed model: split graphs (each image encoded once) vs the contract graph', () => {
  const modelPath = join(__dirname, '..', '..', 'models', 'coam.onnx');
  let split: CoamModel;
  let contract: CoamModel;
  beforeAll(async () => {
    const ortNode = await loadOrt({ threads: 1 });
    split = (await loadModel(ortNode, modelPath, { attention: true })).model;
    contract = (await loadModel(ortNode, modelPath, { split: false })).model;
  });
  afterAll(async () => {
    await split?.release();
    await contract?.release();
  });

  it('loads the split named by the sidecar, or not when asked', () => {
    expect(split.hasSplit).toBe(true);
    expect(contract.hasSplit).toBe(false);
  });

  for (const conditioning of ['pair', 'self'] as const) {
    it(`gives the same matches both ways (conditioning '${conditioning}', images of two sizes)`, async () => {
      const big = texture(200, 150, 11);
      const a = crop(big, 24, 8, 160, 120);
      const b = crop(big, 0, 0, 120, 150);
      const stages: string[] = [];
      const viaSplit = await matchPair(split, a, b, { longSide: 128, conditioning, onProgress: (s, f) => stages.push(`${s}:${f}`) });
      const viaContract = await matchPair(contract, a, b, { longSide: 128, conditioning });
      expect(viaSplit.preparedB).toEqual(viaContract.preparedB);
      expect(viaSplit.matches.length).toBeGreaterThan(10);
      expect(viaSplit.matches.length).toBe(viaContract.matches.length);
      viaSplit.matches.forEach((m, i) => {
        const c = viaContract.matches[i];
        expect([m.cellA, m.cellB]).toEqual([c.cellA, c.cellB]);
        expect(Math.abs(m.score - c.score)).toBeLessThan(1e-5);
        for (const k of [0, 1] as const) {
          expect(Math.abs(m.xyA[k] - c.xyA[k])).toBeLessThan(1e-3);
          expect(Math.abs(m.xyB[k] - c.xyB[k])).toBeLessThan(1e-3);
        }
      });
      // Timings: the split path reports its encoding apart from the (decoder-only) passes.
      const t = viaSplit.timings;
      expect(t.encodeMs).toBeGreaterThan(0);
      expect(viaContract.timings.encodeMs).toBeUndefined();
      expect(t.totalMs).toBeCloseTo(t.preprocessMs + (t.encodeMs ?? 0) + t.passABMs + t.passBAMs + t.matchMs, 3);
      expect(stages).toEqual(['preprocess:0', 'preprocess:0.5', 'preprocess:1', 'encode:0', 'encode:0.5', 'encode:1', 'passAB:0', 'passAB:1', 'passBA:0', 'passBA:1', 'match:0', 'match:1']);
    });
  }

  it('runPair gives run()’s two passes', async () => {
    const m = split.info.multiple;
    const prep = (w: number, h: number, seed: number) => prepareImage(texture(w, h, seed), Math.max(w, h), m);
    const a = prep(3 * m, 2 * m, 1);
    const b = prep(2 * m, 4 * m, 2);
    const [abSplit, baSplit] = await split.runPair(a, b);
    const [abContract, baContract] = await contract.runPair(a, b);
    const ab = await contract.run(a, b);
    const maxDiff = (x: Float32Array, y: Float32Array) => x.reduce((mx, v, i) => Math.max(mx, Math.abs(v - y[i])), 0);
    expect(maxDiff(abSplit.descriptors, ab.descriptors)).toBeLessThan(1e-5);
    expect(maxDiff(abContract.descriptors, ab.descriptors)).toBe(0);
    expect(maxDiff(baSplit.descriptors, baContract.descriptors)).toBeLessThan(1e-5);
    expect(maxDiff(baSplit.distinctiveness, baContract.distinctiveness)).toBeLessThan(1e-5);
    expect([baSplit.gridWidth, baSplit.gridHeight]).toEqual([b.width / split.info.stride, b.height / split.info.stride]);
  });

  it("search: matches from any view come back in B's own pixels, on dense outputs of B's upright grid", async () => {
    const { raster: photo } = readImage(join(__dirname, '..', '..', 'public', 'samples', 'graf1.jpg'));
    const a = crop(photo, 100, 60, 480, 360);
    const b = turnRaster(a, 1); // B = A turned 90° clockwise: A's (x, y) is B's (359 - y, x)
    const correct = (ms: Match[]) => ms.slice(0, 100).filter((m) => Math.hypot(m.xyB[0] - (359 - m.xyA[1]), m.xyB[1] - m.xyA[0]) < 8).length;
    const stages: string[] = [];
    let kept: KeptEncodings | null = null;
    const found = await matchPair(split, a, b, { longSide: 320, search: 'always', onProgress: (st) => stages.push(st), keepEncoded: (k) => (kept = k) });
    // 12 coarse views, then 5 fine ones.
    expect(found.view!.tried).toBe(12 + 5);
    expect(stages).toContain('search');
    expect(found.timings.searchMs).toBeGreaterThan(0);
    expect(correct(found.matches)).toBeGreaterThan(80);
    expect(found.preparedB).toMatchObject({ originalWidth: 360, originalHeight: 480 });
    expect([found.denseB.gridWidth, found.denseB.gridHeight]).toEqual([found.preparedB.width / 4, found.preparedB.height / 4]);
    const again = matchesFromDense(found.denseA, found.denseB, found.preparedA, found.preparedB);
    expect(again.map((m) => [m.cellA, m.cellB])).toEqual(found.matches.map((m) => [m.cellA, m.cellB]));
    // The kept view's encodings come out for the attention view: B as that view fed it (turned),
    // read through the result's own geometry; a row over B comes back on B's upright grid, sum 1.
    const k = kept as KeptEncodings | null;
    if (!k) throw new Error('keepEncoded was not called');
    expect(k.quarterTurns).toBe(found.view!.quarterTurns);
    expect(k.geometryB).toEqual(found.preparedB);
    const turned = k.quarterTurns % 2 === 1;
    expect([k.b.width, k.b.height]).toEqual(turned ? [found.preparedB.height, found.preparedB.width] : [found.preparedB.width, found.preparedB.height]);
    const levels = split.attentionLevels.map((level) => ({ level, stride: levelStride(level)! }));
    expect(levels.map((l) => l.stride)).toEqual([16, 32]);
    const queries = queryCells('A', [240, 180], k, levels);
    const rows = await split.attention(k.a, k.b, queries.map((q) => q.cellFed));
    for (const [i, row] of rows.entries()) {
      const upright = unturnedRow(row.weights, 'B', k, levels[i].stride);
      expect([upright.gridWidth, upright.gridHeight]).toEqual([found.preparedB.width / levels[i].stride, found.preparedB.height / levels[i].stride]);
      expect(Math.abs(upright.weights.reduce((x, y) => x + y, 0) - 1)).toBeLessThan(1e-4);
    }
    k.a.dispose();
    k.b.dispose();
    // Without the split (the contract graph alone) there is nothing to keep.
    let keptContract = false;
    await matchPair(contract, a, a, { longSide: 128, keepEncoded: () => (keptContract = true) });
    expect(keptContract).toBe(false);
    // An easy pair holds together upright: 'auto' runs no other view, 'full' only the fine ones.
    const easy = await matchPair(split, a, crop(photo, 120, 70, 480, 360), { longSide: 256, search: 'auto' });
    expect(easy.view).toMatchObject({ quarterTurns: 0, tried: 1 });
    expect(easy.view!.inliers).toBeGreaterThan(50);
    const easyFull = await matchPair(split, a, crop(photo, 120, 70, 480, 360), { longSide: 256, search: 'full' });
    expect(easyFull.view).toMatchObject({ quarterTurns: 0, tried: 1 + 5 });
  });
});
