/**
 * The classic matcher's cost: time to its matches for one pair fed at 640 px in OpenCV.js's
 * WebAssembly (Node; the browser's worker runs the same code), and the bytes it adds to the built
 * app, all in chunks fetched only when the comparison is turned on.
 *
 *   npm run bench:baseline -- [A.jpg B.jpg] [--detector akaze|orb|sift] [--runs 5] [--long-side 640]
 *
 * Default pair: the bundled graf1/graf3. The bundle figure reads dist/ (`npm run build` first).
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { gzipSync } from 'node:zlib';
import { BASELINE_DETECTORS, loadOpenCv, matchBaseline, openCvBuild, type BaselineDetector } from '../src/core/baseline';
import { readImage } from '../src/core/node';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    detector: { type: 'string', default: 'sift' },
    runs: { type: 'string', default: '5' },
    'long-side': { type: 'string', default: '640' },
  },
});
const [pathA, pathB] = positionals.length === 2 ? positionals : ['public/samples/graf1.jpg', 'public/samples/graf3.jpg'];
const detector = values.detector as BaselineDetector;
if (!BASELINE_DETECTORS.includes(detector)) throw new Error(`--detector: one of ${BASELINE_DETECTORS.join(', ')}`);
const runs = Math.max(1, Number(values.runs));
const longSide = Number(values['long-side']);
const multiple = (JSON.parse(readFileSync('models/coam.json', 'utf8')) as { multiple: number }).multiple;

const median = (xs: number[]) => [...xs].sort((p, q) => p - q)[Math.floor(xs.length / 2)];
const a = readImage(pathA).raster;
const b = readImage(pathB).raster;
const tLoad = performance.now();
const { cv } = await loadOpenCv();
const loadMs = performance.now() - tLoad;
const build = openCvBuild(cv);
const times: Array<{ preprocessMs: number; detectMs: number; matchMs: number; totalMs: number }> = [];
let last: ReturnType<typeof matchBaseline> | null = null;
for (let i = 0; i < runs; i++) {
  last = matchBaseline(cv, a, b, { detector, longSide, multiple });
  times.push(last.timings);
}
const r = last!;
const m = (k: keyof (typeof times)[number]) => median(times.map((t) => t[k])).toFixed(0);
console.log(`OpenCV.js ${build.version} (SIFT in this build: ${build.hasSift ? 'yes' : 'no'}), loaded and compiled in ${loadMs.toFixed(0)} ms`);
console.log(
  `${r.detector.toUpperCase()}${r.fallbackReason ? ` (asked for ${detector}: ${r.fallbackReason})` : ''} on ${pathA} | ${pathB}, ` +
    `fed ${r.preparedA.width}×${r.preparedA.height} and ${r.preparedB.width}×${r.preparedB.height}: ` +
    `${r.keypointsA} and ${r.keypointsB} keypoints, ${r.matches.length} matches; median of ${runs}: ` +
    `resize ${m('preprocessMs')} ms, detect ${m('detectMs')} ms, match ${m('matchMs')} ms, total ${m('totalMs')} ms`,
);

const assets = join('dist', 'assets');
if (!existsSync(assets)) {
  console.log('bundle: no dist/ (run npm run build first)');
} else {
  const files = readdirSync(assets).filter((f) => /^(baseline\.worker|opencv-module)-.*\.js$/.test(f));
  let raw = 0;
  let gz = 0;
  for (const f of files) {
    const bytes = readFileSync(join(assets, f));
    raw += statSync(join(assets, f)).size;
    gz += gzipSync(bytes).length;
  }
  const mb = (n: number) => (n / 1e6).toFixed(2);
  console.log(`bundle: the classic matcher adds ${mb(raw)} MB (${mb(gz)} MB gzipped), all fetched on first use: ${files.join(', ')}`);
}
