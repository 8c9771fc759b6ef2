/**
 * Matching speed: `matchDense` on the dense outputs of one real pair, for the default options and
 * the alternatives (more candidates; mutual only among candidates).
 *
 *   npm run bench:matching -- [A.jpg B.jpg] [--model models/coam.onnx] [--runs 3]
 *
 * Default pair: ../shared/data/val/homography/Boston (skipped with a note when absent).
 */
import { existsSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { matchDense } from '../src/core/matching';
import { loadModel, loadOrt, readImage } from '../src/core/node';
import { matchPair } from '../src/core/pipeline';
import { DEFAULT_MATCH_OPTIONS, type MatchOptions } from '../src/core/types';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { model: { type: 'string', default: 'models/coam.onnx' }, runs: { type: 'string', default: '3' } },
});
const [pathA, pathB] = positionals.length === 2 ? positionals : ['../shared/data/val/homography/Boston/1.jpg', '../shared/data/val/homography/Boston/2.jpg'];
if (!existsSync(pathA) || !existsSync(pathB)) {
  console.log(`skipped: ${pathA} or ${pathB} not found`);
  process.exit(0);
}
const ort = await loadOrt({ threads: 1 });
const { model } = await loadModel(ort, values.model);
const result = await matchPair(model, readImage(pathA).raster, readImage(pathB).raster);
const grid = `${result.denseA.gridWidth}x${result.denseA.gridHeight} and ${result.denseB.gridWidth}x${result.denseB.gridHeight} cells`;
const variants: [string, Partial<MatchOptions>][] = [
  [`default (${DEFAULT_MATCH_OPTIONS.maxCandidates} candidates, whole-grid mutual check)`, {}],
  ['1024 candidates, whole-grid mutual check', { maxCandidates: 1024 }],
  ['2048 candidates, mutual among candidates only', { maxCandidates: 2048, mutualCheck: 'candidates' }],
];
for (const [name, options] of variants) {
  const runs = Number(values.runs);
  let matches = 0;
  const t0 = performance.now();
  for (let i = 0; i < runs; i++) matches = matchDense(result.denseA, result.denseB, { ...DEFAULT_MATCH_OPTIONS, ...options }).length;
  console.log(`${name}: ${((performance.now() - t0) / runs).toFixed(0)} ms, ${matches} matches (${grid}, mean of ${runs})`);
}
await model.release();
