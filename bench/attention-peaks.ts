/**
 * Where the co-attention looks: for a grid of points of image A, how far each co-attention level's
 * strongest weight over B (the argmax of the point's row) falls from the point's true place in B,
 * through the pair's ground-truth homography. Run with the bundled model's graphs in
 * onnxruntime-web's wasm backend in Node, the runtime the app uses.
 *
 *   npx tsx bench/attention-peaks.ts [--data ../shared/data/val] [--long-side 640] [--svg docs/attention-peaks.svg]
 *
 * Pairs: the bundled sample graf (graf1 → graf3, the Oxford affine benchmark's H1to3p) and, when
 * --data holds them, every homography/<seq>/1 → k with its H_1_k (skipped, with a note, when not).
 * Points: the centres of A's stride-16 cells whose true place lies inside B. Each image is fed
 * upright at --long-side (the app's `search=off` view). Distances are in B's original pixels and in
 * cells of the level (B's fed pixels over the level's stride). Prints the median, the quartiles and
 * the share within 1 and 2 cells per level, beside a random cell of B as the chance level, and
 * writes a histogram of the distances in cells as SVG.
 */
import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { parseArgs } from 'node:util';
import { cellOfPoint, cellToOriginal, levelGrid, levelStride, attentionRow, topPeaks } from '../src/core/attention';
import { applyHomography } from '../src/core/geometry';
import { prepareImage } from '../src/core/image';
import { loadModel, loadOrt, PACKAGE_ROOT, readImage } from '../src/core/node';
import { readNumbers } from '../src/cli/dataset';
import type { FedGeometry, Point, PreparedImage } from '../src/core/types';

const { values } = parseArgs({
  options: {
    data: { type: 'string', default: join(PACKAGE_ROOT, '..', 'shared', 'data', 'val') },
    'long-side': { type: 'string', default: '640' },
    svg: { type: 'string', default: join(PACKAGE_ROOT, 'docs', 'attention-peaks.svg') },
    threads: { type: 'string', default: '2' },
  },
});
const longSide = Number(values['long-side']);

/** graf1 → graf3 of the Oxford affine-covariant regions benchmark (H1to3p), in these images' pixels. */
const GRAF_H = [7.6285898e-1, -2.9922929e-1, 2.2567123e2, 3.3443473e-1, 1.0143901, -7.6999973e1, 3.4663091e-4, -1.4364524e-5, 1];

interface Pair {
  set: 'graf' | 'val';
  name: string;
  pathA: string;
  pathB: string;
  H: number[];
}

const pairs: Pair[] = [
  { set: 'graf', name: 'graf1→graf3', pathA: join(PACKAGE_ROOT, 'public', 'samples', 'graf1.jpg'), pathB: join(PACKAGE_ROOT, 'public', 'samples', 'graf3.jpg'), H: GRAF_H },
];
const homographyDir = join(values.data!, 'homography');
if (existsSync(homographyDir)) {
  for (const seq of readdirSync(homographyDir).sort()) {
    const dir = join(homographyDir, seq);
    const files = readdirSync(dir);
    const first = files.find((f) => /^1\.(jpe?g|png|ppm)$/i.test(f));
    for (const h of files.filter((f) => /^H_1_\d+$/.test(f))) {
      const k = h.slice(4);
      const other = files.find((f) => new RegExp(`^${k}\\.(jpe?g|png|ppm)$`, 'i').test(f));
      if (first && other) pairs.push({ set: 'val', name: `${seq}/1→${k}`, pathA: join(dir, first), pathB: join(dir, other), H: readNumbers(join(dir, h), 9) });
    }
  }
} else console.log(`note: ${homographyDir} not found; only the bundled graf pair is measured`);

const ort = await loadOrt({ threads: Number(values.threads) });
const { model } = await loadModel(ort, undefined, { attention: true });
if (!model.hasAttention) throw new Error('the bundled model has no attention graph (models/coam-attention.onnx and the sidecar\'s "attention")');
const levels = model.attentionLevels.map((level) => ({ level, stride: levelStride(level)! }));

const geometryOf = ({ tensor: _t, ...g }: PreparedImage): FedGeometry => g;

/** Distances in cells per set and level ('random' = a random cell of B, the chance level). */
const cells = new Map<string, number[]>();
const pixels = new Map<string, number[]>();
/** Each row's largest weight: how concentrated the attention is. */
const rowMax = new Map<string, number[]>();
const push = (map: Map<string, number[]>, key: string, v: number) => map.set(key, [...(map.get(key) ?? []), v]);
let seed = 1;
const random = () => ((seed = (seed * 1664525 + 1013904223) >>> 0) / 4294967296);

const t0 = performance.now();
for (const pair of pairs) {
  const a = prepareImage(readImage(pair.pathA).raster, longSide, model.info.multiple);
  const b = prepareImage(readImage(pair.pathB).raster, longSide, model.info.multiple);
  const [geomA, geomB] = [geometryOf(a), geometryOf(b)];
  const encA = await model.encode(a);
  const encB = await model.encode(b);
  const weights = await model.attention(encA, encB);
  encA.dispose();
  encB.dispose();
  const grid16 = levelGrid(geomA, 16);
  const points: Array<{ p: Point; truth: Point }> = [];
  for (let c = 0; c < grid16.gridWidth * grid16.gridHeight; c++) {
    const p = cellToOriginal(c, geomA, 16);
    const truth = applyHomography(pair.H, p);
    if (truth[0] >= 0 && truth[1] >= 0 && truth[0] <= geomB.originalWidth - 1 && truth[1] <= geomB.originalHeight - 1) points.push({ p, truth });
  }
  const scaleB = (geomB.scaleX + geomB.scaleY) / 2;
  for (const [i, { level, stride }] of levels.entries()) {
    const w = weights[i];
    const gridB = levelGrid(geomB, stride);
    const perCell = stride / scaleB; // one cell of this level in B's original pixels
    for (const { p, truth } of points) {
      const row = attentionRow(w.weights, cellOfPoint(p, geomA, stride), w.columns);
      const [peak] = topPeaks(row, gridB.gridWidth, gridB.gridHeight, 1);
      push(rowMax, `${pair.set} ${level}`, peak.weight);
      const xy = cellToOriginal(peak.cell, geomB, stride);
      const d = Math.hypot(xy[0] - truth[0], xy[1] - truth[1]);
      push(pixels, `${pair.set} ${level}`, d);
      push(cells, `${pair.set} ${level}`, d / perCell);
      const any = cellToOriginal(Math.floor(random() * gridB.gridWidth * gridB.gridHeight), geomB, stride);
      const dr = Math.hypot(any[0] - truth[0], any[1] - truth[1]);
      push(pixels, `${pair.set} ${level} random`, dr);
      push(cells, `${pair.set} ${level} random`, dr / perCell);
    }
  }
  console.log(`${pair.name}: ${points.length} points`);
}
await model.release();

const quantile = (xs: number[], q: number) => {
  const s = [...xs].sort((x, y) => x - y);
  const i = (s.length - 1) * q;
  const lo = Math.floor(i);
  return s[lo] + (s[Math.min(s.length - 1, lo + 1)] - s[lo]) * (i - lo);
};
const share = (xs: number[], max: number) => xs.filter((x) => x <= max).length / xs.length;
const f1 = (v: number) => v.toFixed(1);
const pct = (v: number) => `${(100 * v).toFixed(0)} %`;

console.log(`\nargmax of each level's attention vs the true place in B (long side ${longSide}, upright view; ${((performance.now() - t0) / 1000).toFixed(1)} s)`);
console.log('| pairs | level | points | median px | quartiles px | median cells | within 1 cell | within 2 cells | random cell: median cells, within 2 | largest weight of a row, median |');
console.log('|---|---|---|---|---|---|---|---|---|---|');
const rows: Array<{ set: string; level: string; stride: number }> = [];
for (const set of ['graf', 'val'] as const) {
  for (const { level, stride } of levels) {
    const key = `${set} ${level}`;
    const px = pixels.get(key);
    const c = cells.get(key);
    if (!px || !c) continue;
    const rc = cells.get(`${key} random`)!;
    rows.push({ set, level, stride });
    const label = set === 'graf' ? 'graf (bundled)' : `../shared/data/val homography (${pairs.filter((p) => p.set === 'val').length})`;
    console.log(
      `| ${label} | ${level} | ${px.length} | ${f1(quantile(px, 0.5))} | ${f1(quantile(px, 0.25))}–${f1(quantile(px, 0.75))} | ${f1(quantile(c, 0.5))} | ${pct(share(c, 1))} | ${pct(share(c, 2))} | ${f1(quantile(rc, 0.5))}, ${pct(share(rc, 2))} | ${quantile(rowMax.get(key)!, 0.5).toPrecision(2)} |`,
    );
  }
}

// The histogram: distance in cells, bins of one cell up to BINS, then "more"; one panel per set,
// the random cell's distribution as a grey outline behind each level's bars.
const BIN = 1;
const BINS = 20;
const histogram = (xs: number[]) => {
  const h = new Array(BINS + 1).fill(0);
  for (const x of xs) h[Math.min(BINS, Math.floor(x / BIN))]++;
  return h.map((n) => n / xs.length);
};
const COLORS: Record<string, string> = { s16: '#2f6fd0', s32: '#e07a1f' };
const sets = [...new Set(rows.map((r) => r.set))];
const W = 880;
const panelH = 200;
const panelGap = 96;
const H = 64 + sets.length * (panelH + panelGap) - 20;
const left = 56;
const plotW = W - left - 24;
const svg: string[] = [
  `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="system-ui, -apple-system, 'Segoe UI', Roboto, Helvetica, Arial, sans-serif" font-size="13">`,
  `<rect width="${W}" height="${H}" fill="#ffffff"/>`,
  `<text x="${left}" y="24" font-size="16" font-weight="600">How far the co-attention's peak falls from the true place in B</text>`,
  `<text x="${left}" y="44" fill="#666666">share of points by distance · argmax of each point's row · long side ${longSide}, upright · dashed: a random cell of B</text>`,
];
sets.forEach((set, si) => {
  const top = 96 + si * (panelH + panelGap);
  const setRows = rows.filter((r) => r.set === set);
  const hs = setRows.map((r) => histogram(cells.get(`${r.set} ${r.level}`)!));
  const hr = setRows.map((r) => histogram(cells.get(`${r.set} ${r.level} random`)!));
  const ymax = Math.max(0.05, ...hs.flat(), ...hr.flat());
  const y = (v: number) => top + panelH - (v / ymax) * panelH;
  const binW = plotW / (BINS + 1);
  const title = set === 'graf' ? 'graf1 → graf3 (the bundled sample)' : `../shared/data/val: ${pairs.filter((p) => p.set === 'val').length} homography pairs`;
  svg.push(`<text x="${left}" y="${top - 34}" font-weight="600">${title}</text>`);
  setRows.forEach((r, li) => {
    const c = cells.get(`${r.set} ${r.level}`)!;
    const lx = left + li * 400;
    const ly = top - 14;
    svg.push(`<rect x="${lx}" y="${ly - 10}" width="12" height="12" fill="${COLORS[r.level] ?? '#888888'}"/>`);
    svg.push(`<text x="${lx + 18}" y="${ly}">${r.level} (1/${r.stride}): median ${f1(quantile(c, 0.5))} cells, ${pct(share(c, 1))} within 1, ${pct(share(c, 2))} within 2</text>`);
  });
  for (const t of [0, 0.25, 0.5, 0.75, 1].map((q) => q * ymax)) {
    svg.push(`<line x1="${left - 4}" y1="${y(t).toFixed(1)}" x2="${left + plotW}" y2="${y(t).toFixed(1)}" stroke="#e4e4e4"/>`);
    svg.push(`<text x="${left - 8}" y="${(y(t) + 4).toFixed(1)}" text-anchor="end" fill="#666666">${(100 * t).toFixed(0)}%</text>`);
  }
  const bw = (binW * 0.84) / hs.length;
  hs.forEach((h, li) => {
    h.forEach((v, bi) => {
      const x = left + bi * binW + binW * 0.08 + li * bw;
      svg.push(`<rect x="${x.toFixed(1)}" y="${y(hr[li][bi]).toFixed(1)}" width="${bw.toFixed(1)}" height="${(top + panelH - y(hr[li][bi])).toFixed(1)}" fill="none" stroke="#9a9a9a" stroke-dasharray="3 2"/>`);
      svg.push(`<rect x="${x.toFixed(1)}" y="${y(v).toFixed(1)}" width="${bw.toFixed(1)}" height="${(top + panelH - y(v)).toFixed(1)}" fill="${COLORS[setRows[li].level] ?? '#888888'}" fill-opacity="0.9"/>`);
    });
  });
  svg.push(`<line x1="${left}" y1="${top + panelH}" x2="${left + plotW}" y2="${top + panelH}" stroke="#222222"/>`);
  for (let bi = 0; bi <= BINS; bi += 2) svg.push(`<text x="${(left + (bi + 0.5) * binW).toFixed(1)}" y="${top + panelH + 16}" text-anchor="middle" fill="#444444">${bi === BINS ? `${BINS}+` : `${bi}`}</text>`);
  svg.push(`<text x="${left + plotW}" y="${top + panelH + 34}" text-anchor="end" fill="#444444">distance, cells of the level (bin k: k to k+1)</text>`);
});
svg.push('</svg>');
mkdirSync(dirname(values.svg!), { recursive: true });
writeFileSync(values.svg!, svg.join('\n') + '\n');
console.log(`\nwrote ${values.svg}`);
