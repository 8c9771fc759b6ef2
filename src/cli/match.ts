/** `coam match A B`: one pair, a one-line summary, optional JSON / CSV / SVG. */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { loadModel, loadOrt, readImage } from '../core/node';
import { matchesFileToJson, matchesToCsv, matchPair, toMatchesFile } from '../core/pipeline';
import { MATCH_USAGE, intOption, matchOptionsFrom, parse, searchOption, strOption } from './args';
import { describeKeptView, type ViewChoice } from '../core/views';
import type { Io } from './io';
import { matchFigureSvg } from './svg';

export const MATCH_OPTIONS = {
  'top-k': { type: 'string' },
  'long-side': { type: 'string' },
  model: { type: 'string' },
  sidecar: { type: 'string' },
  json: { type: 'string' },
  csv: { type: 'string' },
  svg: { type: 'string' },
  'self-condition': { type: 'boolean' },
  candidates: { type: 'string' },
  mutual: { type: 'string' },
  ratio: { type: 'string' },
  search: { type: 'string' },
  threads: { type: 'string' },
} as const;

/** One line on the test-time search: what it tried and which view it kept. */
export function describeSearch(view: ViewChoice): string {
  return `search: tried ${view.tried} views, ${describeKeptView(view)} (${view.inliers} of the top matches fit one homography)`;
}

export function writeOut(path: string, content: string | Uint8Array): void {
  mkdirSync(dirname(resolve(path)), { recursive: true });
  writeFileSync(path, content);
}

export async function matchCommand(args: string[], io: Io): Promise<number> {
  const { values, positionals } = parse(args, MATCH_OPTIONS, { min: 2, max: 2, names: 'two images: coam match A B', usage: MATCH_USAGE });
  const topK = intOption(values, 'top-k', 500)!;
  const longSideOpt = intOption(values, 'long-side', undefined, 16);
  const threads = intOption(values, 'threads', undefined);
  const modelPath = strOption(values, 'model');
  const search = searchOption(values);
  const matchOptions = matchOptionsFrom(values);
  const [pathA, pathB] = positionals;

  const a = readImage(pathA);
  const b = readImage(pathB);
  const ort = await loadOrt({ threads });
  const tLoad = performance.now();
  const { model, inferred } = await loadModel(ort, modelPath ? resolve(modelPath) : undefined, { sidecarPath: strOption(values, 'sidecar') });
  const loadMs = performance.now() - tLoad;
  try {
    if (inferred) io.err(`note: no sidecar next to the model; probed stride ${model.info.stride}, descriptorDim ${model.info.descriptorDim}, multiple ${model.info.multiple}`);
    const longSide = longSideOpt ?? model.info.inputSize.longSide;
    const result = await matchPair(model, a.raster, b.raster, {
      longSide,
      conditioning: values['self-condition'] ? 'self' : 'pair',
      match: matchOptions,
      search,
    });
    const top = result.matches.slice(0, topK);
    const t = result.timings;
    const meanScore = top.length ? top.reduce((s, m) => s + m.score, 0) / top.length : 0;
    io.out(
      `${top.length} matches (of ${result.matches.length} mutual nearest neighbours passing the ratio test) | ` +
        `fed ${result.preparedA.width}×${result.preparedA.height} and ${result.preparedB.width}×${result.preparedB.height} | ` +
        `mean score ${meanScore.toFixed(3)} | model ${model.info.name} ${model.info.version} on ${result.backend} | ` +
        `load ${loadMs.toFixed(0)} ms, pre ${t.preprocessMs.toFixed(0)} ms, ` +
        (t.encodeMs !== undefined ? `encode ${t.encodeMs.toFixed(0)} ms, ` : '') +
        `A|B ${t.passABMs.toFixed(0)} ms, B|A ${t.passBAMs.toFixed(0)} ms, ` +
        `match ${t.matchMs.toFixed(0)} ms, ` +
        (t.searchMs !== undefined ? `search ${t.searchMs.toFixed(0)} ms, ` : '') +
        `total ${t.totalMs.toFixed(0)} ms`,
    );
    if (result.view && result.view.tried > 1) io.out(describeSearch(result.view));
    const json = strOption(values, 'json');
    if (json) {
      const file = toMatchesFile(result, { pathA, pathB, model: model.info, longSide, topK });
      writeOut(json, matchesFileToJson(file));
      io.out(`wrote ${json}`);
    }
    const csv = strOption(values, 'csv');
    if (csv) {
      writeOut(csv, matchesToCsv(top));
      io.out(`wrote ${csv}`);
    }
    const svg = strOption(values, 'svg');
    if (svg) {
      writeOut(svg, matchFigureSvg({ ...a, label: pathA }, { ...b, label: pathB }, top));
      io.out(`wrote ${svg}`);
    }
    return 0;
  } finally {
    await model.release();
  }
}
