/**
 * `coam match A B --baseline sift|akaze|orb`: the same pair through a classic OpenCV matcher at the
 * same fed size, both lists cut at the same top-K and fitted by the same RANSAC; prints the counts
 * side by side and writes them (`--compare`), the baseline's matches (`--baseline-json`) and a 16:9
 * figure of both matchers' lines (`--compare-svg`).
 */
import {
  baselineMatchesFile,
  loadOpenCv,
  matchBaseline,
  matcherFit,
  openCvBuild,
  type BaselineDetector,
  type MatcherCounts,
  type RansacKind,
} from '../core/baseline';
import { matchesFileToJson } from '../core/pipeline';
import { DEFAULT_MATCH_OPTIONS, type FedGeometry, type PairResult, type RasterImage } from '../core/types';
import { describeKeptView } from '../core/views';
import { compareFigureSvg } from '../render/compare-figure';
import type { Io } from './io';
import { writeOut } from './match';
import { dataUri } from './svg';

export interface BaselineComparisonInput {
  detector: BaselineDetector;
  ransac: RansacKind;
  /** Where to write the comparison JSON. */
  compare?: string;
  /** Where to write the baseline's matches (the `match --json` layout, readable by `eval --matches`). */
  baselineJson?: string;
  /** Where to write the comparison figure (SVG, 16:9, images embedded). */
  compareSvg?: string;
  a: { raster: RasterImage; bytes?: Uint8Array; path: string };
  b: { raster: RasterImage; bytes?: Uint8Array; path: string };
  coam: PairResult;
  coamModel: { name: string; version: string };
  topK: number;
  longSide: number;
  multiple: number;
  maxRatio?: number;
}

/** What `--compare` writes: one pair, both matchers, counts side by side. */
export interface BaselineComparison {
  imageA: { path: string; width: number; height: number };
  imageB: { path: string; width: number; height: number };
  longSide: number;
  topK: number;
  ransac: RansacKind;
  ratio: number;
  coam: MatcherCounts & { name: string; version: string; fedA: [number, number]; fedB: [number, number]; view: string; ms: number };
  baseline: MatcherCounts & {
    name: string;
    version: string;
    asked: BaselineDetector;
    fallbackReason?: string;
    fedA: [number, number];
    fedB: [number, number];
    keypointsA: number;
    keypointsB: number;
    ms: number;
  };
}

const size = (g: FedGeometry): [number, number] => [g.width, g.height];
const inliers = (c: MatcherCounts) => (c.inliers === null ? 'no model' : `${c.inliers} inliers`);

export async function compareWithBaseline(io: Io, input: BaselineComparisonInput): Promise<BaselineComparison> {
  const ratio = input.maxRatio ?? DEFAULT_MATCH_OPTIONS.maxRatio;
  const tLoad = performance.now();
  const { cv } = await loadOpenCv();
  const loadMs = performance.now() - tLoad;
  const build = openCvBuild(cv);
  const result = matchBaseline(cv, input.a.raster, input.b.raster, {
    detector: input.detector,
    longSide: input.longSide,
    multiple: input.multiple,
    maxRatio: ratio,
  });
  if (result.fallbackReason) io.err(`note: ${result.fallbackReason}`);
  const coamFit = matcherFit(input.coam.matches, input.topK, input.ransac);
  const baseFit = matcherFit(result.matches, input.topK, input.ransac);
  const coamCounts = coamFit.counts;
  const baseCounts = baseFit.counts;
  const name = result.detector.toUpperCase();
  const view = input.coam.view ? describeKeptView(input.coam.view) : 'upright';
  io.out(
    `CoAM: ${coamCounts.shown} matches of ${coamCounts.total}, ${inliers(coamCounts)} (${input.ransac}) | ` +
      `${name}: ${baseCounts.shown} matches of ${baseCounts.total}, ${inliers(baseCounts)} (${input.ransac}) | ` +
      `top-K ${input.topK}, ratio ${ratio}, fed ${result.preparedA.width}×${result.preparedA.height} and ${result.preparedB.width}×${result.preparedB.height}`,
  );
  io.out(
    `${name} (OpenCV.js ${build.version}): ${result.keypointsA} and ${result.keypointsB} keypoints; ` +
      `load ${loadMs.toFixed(0)} ms, pre ${result.timings.preprocessMs.toFixed(0)} ms, detect ${result.timings.detectMs.toFixed(0)} ms, ` +
      `match ${result.timings.matchMs.toFixed(0)} ms, total ${result.timings.totalMs.toFixed(0)} ms`,
  );
  const comparison: BaselineComparison = {
    imageA: { path: input.a.path, width: input.a.raster.width, height: input.a.raster.height },
    imageB: { path: input.b.path, width: input.b.raster.width, height: input.b.raster.height },
    longSide: input.longSide,
    topK: input.topK,
    ransac: input.ransac,
    ratio,
    coam: {
      name: input.coamModel.name,
      version: input.coamModel.version,
      ...coamCounts,
      fedA: size(input.coam.preparedA),
      fedB: size(input.coam.preparedB),
      view,
      ms: Math.round(input.coam.timings.totalMs),
    },
    baseline: {
      name: `opencv-${result.detector}`,
      version: build.version,
      asked: input.detector,
      ...(result.fallbackReason ? { fallbackReason: result.fallbackReason } : {}),
      ...baseCounts,
      fedA: size(result.preparedA),
      fedB: size(result.preparedB),
      keypointsA: result.keypointsA,
      keypointsB: result.keypointsB,
      ms: Math.round(result.timings.totalMs),
    },
  };
  if (input.compare) {
    writeOut(input.compare, JSON.stringify(comparison, null, 2) + '\n');
    io.out(`wrote ${input.compare}`);
  }
  if (input.compareSvg) {
    const image = (img: BaselineComparisonInput['a']) => ({ width: img.raster.width, height: img.raster.height, href: dataUri(img) });
    const svg = compareFigureSvg({
      imageA: image(input.a),
      imageB: image(input.b),
      coam: { name: 'CoAM', matches: input.coam.matches.slice(0, coamCounts.shown), total: coamCounts.total, inlierFlags: coamFit.inlierFlags, fedA: comparison.coam.fedA, fedB: comparison.coam.fedB },
      baseline: { name, matches: result.matches.slice(0, baseCounts.shown), total: baseCounts.total, inlierFlags: baseFit.inlierFlags, fedA: comparison.baseline.fedA, fedB: comparison.baseline.fedB },
      ransac: input.ransac,
      title: `CoAM beside ${name}: ${input.a.path} and ${input.b.path}`,
    });
    writeOut(input.compareSvg, svg);
    io.out(`wrote ${input.compareSvg}`);
  }
  if (input.baselineJson) {
    const file = baselineMatchesFile(result, { pathA: input.a.path, pathB: input.b.path, openCvVersion: build.version, longSide: input.longSide, topK: input.topK });
    writeOut(input.baselineJson, matchesFileToJson(file));
    io.out(`wrote ${input.baselineJson}`);
  }
  return comparison;
}
