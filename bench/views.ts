/**
 * Evidence for the test-time views: every pair of an evaluation folder in every view 'auto' and
 * 'full' may run (the 12 coarse views, the four half-size probes, the fine views at turn 0 and at
 * the best coarse turn), each with its cost, its match count, its homography and epipolar check
 * (views.ts) and its own evaluation score, plus the upright view's top 300 matches. A search
 * policy can then be replayed on the JSON without running the network again; 'auto''s thresholds
 * were chosen so (CHANGELOG.md).
 *
 *   npm run bench:views -- ../shared/data/val out.json [--model models/coam.onnx] [--limit N]
 *
 * About 35 s a pair on a 2-core machine with the bundled model.
 */
import { existsSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { discover, GROUPS } from '../src/cli/dataset';
import { scorePair } from '../src/cli/eval';
import { loadModel, loadOrt, readImage } from '../src/core/node';
import { matchesFromDense, ViewRunner } from '../src/core/pipeline';
import type { Match } from '../src/core/types';
import { checkView, fineViews, probeViews, searchViews, type QuarterTurns, type View } from '../src/core/views';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { model: { type: 'string', default: 'models/coam.onnx' }, limit: { type: 'string' } },
});
const [dataDir, out] = positionals;
if (!dataDir || !out) throw new Error('usage: npm run bench:views -- DATA_DIR OUT.json [--model PATH] [--limit N]');
if (!existsSync(dataDir)) {
  console.log(`note: ${dataDir} not found; nothing to measure`);
  process.exit(0);
}
const ort = await loadOrt({});
const { model } = await loadModel(ort, resolve(values.model!));
const longSide = model.info.inputSize.longSide;
const { groups } = discover(resolve(dataDir), values.limit ? Number(values.limit) : undefined);
const pairs: unknown[] = [];
for (const group of GROUPS) {
  for (const pair of groups[group] ?? []) {
    const t0 = performance.now();
    const a = readImage(pair.pathA).raster;
    const b = readImage(pair.pathB).raster;
    const decodeMs = performance.now() - t0;
    const sizeA = { width: a.width, height: a.height };
    const sizeB = { width: b.width, height: b.height };
    const runner = new ViewRunner(model, a, b, false);
    const views: unknown[] = [];
    let upright: Match[] = [];
    const tryView = async (view: View, tag: string) => {
      const run = await runner.run(view);
      const tm = performance.now();
      const matches = matchesFromDense(run.denseA, run.denseB, run.geometryA, run.geometryB);
      const matchMs = performance.now() - tm;
      const check = checkView(matches, sizeA, sizeB, longSide);
      const s = scorePair(pair, matches, sizeA, 1000);
      views.push({
        tag, ...view, modelMs: (run.encodeMs ?? 0) + run.passABMs + run.passBAMs, encodeMs: run.encodeMs ?? 0, matchMs, matches: matches.length, ...check,
        mma: s.mma, cornerErrorPx: s.cornerErrorPx, epipolarErrorPx: s.epipolarErrorPx, poseErrorDeg: s.poseErrorDeg,
      });
      return { matches, check };
    };
    let best = { inliers: -1, turn: 0 as QuarterTurns };
    for (const [i, view] of searchViews(longSide).entries()) {
      const r = await tryView(view, 'coarse');
      if (i === 0) upright = r.matches;
      if (r.check.homography > best.inliers) best = { inliers: r.check.homography, turn: view.quarterTurns };
      // After a turn's three coarse views, its probe (both images at half size), reusing their encodings.
      if (i % 3 === 2) await tryView(probeViews(longSide)[view.quarterTurns], 'probe');
    }
    for (const view of fineViews(longSide, 0)) await tryView(view, 'fine');
    if (best.turn !== 0) for (const view of fineViews(longSide, best.turn)) await tryView(view, 'fine');
    runner.dispose();
    pairs.push({ group, id: pair.id, sizeA, sizeB, decodeMs, views, upright: upright.slice(0, 300).map((m) => [m.xyA[0], m.xyA[1], m.xyB[0], m.xyB[1], m.score]) });
    console.log(`${group}/${pair.id}: ${((performance.now() - t0) / 1000).toFixed(1)} s, ${views.length} views`);
    writeFileSync(out, JSON.stringify({ model: model.info, longSide, pairs }));
  }
}
await model.release();
