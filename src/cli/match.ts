/** `coam match A B`: one pair, a one-line summary, optional JSON / CSV / SVG. */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { loadModel, loadOrt, readImage } from '../core/node';
import { matchesFileToJson, matchesToCsv, matchPair, toMatchesFile } from '../core/pipeline';
import { MATCH_USAGE, intOption, matchOptionsFrom, parse, searchOption, strOption, UsageError } from './args';
import { compareWithBaseline } from './baseline';
import { describeKeptView, type ViewChoice } from '../core/views';
import { BASELINE_DETECTORS, type BaselineDetector, type RansacKind } from '../core/baseline';
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
  baseline: { type: 'string' },
  'baseline-json': { type: 'string' },
  compare: { type: 'string' },
  'compare-svg': { type: 'string' },
  ransac: { type: 'string' },
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
  const baseline = baselineOptions(values);

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
    if (baseline) {
      await compareWithBaseline(io, {
        ...baseline,
        a: { ...a, path: pathA },
        b: { ...b, path: pathB },
        coam: result,
        coamModel: model.info,
        topK,
        longSide,
        multiple: model.info.multiple,
        maxRatio: matchOptions.maxRatio,
      });
    }
    return 0;
  } finally {
    await model.release();
  }
}

/** --baseline sift|akaze|orb with --ransac, --compare and --baseline-json; null without --baseline. */
function baselineOptions(values: Record<string, unknown>) {
  const detector = strOption(values, 'baseline');
  const ransac = strOption(values, 'ransac') ?? 'homography';
  const compare = strOption(values, 'compare');
  const baselineJson = strOption(values, 'baseline-json');
  const compareSvg = strOption(values, 'compare-svg');
  if (!detector) {
    const stray = ['ransac', 'compare', 'compare-svg', 'baseline-json'].filter((o) => values[o] !== undefined);
    if (stray.length) throw new UsageError(`${stray.map((o) => `--${o}`).join(', ')} compare with a classic matcher: add --baseline sift|akaze|orb`);
    return null;
  }
  if (!(BASELINE_DETECTORS as readonly string[]).includes(detector)) {
    throw new UsageError(`--baseline must be one of ${BASELINE_DETECTORS.join(', ')}, got '${detector}'`);
  }
  if (ransac !== 'homography' && ransac !== 'fundamental') throw new UsageError(`--ransac must be 'homography' or 'fundamental', got '${ransac}'`);
  return { detector: detector as BaselineDetector, ransac: ransac as RansacKind, compare, compareSvg, baselineJson };
}
