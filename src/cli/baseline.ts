/**
 * `coam match A B --baseline sift|akaze|orb`: the same pair through a classic OpenCV matcher at the
 * same fed size, both lists cut at the same top-K and fitted by the same RANSAC; prints the counts
 * side by side and writes them (`--compare`) and the baseline's matches (`--baseline-json`).
 */
import {
  baselineMatchesFile,
  loadOpenCv,
  matchBaseline,
  matcherCounts,
  openCvBuild,
  type BaselineDetector,
  type MatcherCounts,
  type RansacKind,
} from '../core/baseline';
import { matchesFileToJson } from '../core/pipeline';
import { DEFAULT_MATCH_OPTIONS, type FedGeometry, type PairResult, type RasterImage } from '../core/types';
import { describeKeptView } from '../core/views';
import type { Io } from './io';
import { writeOut } from './match';

export interface BaselineComparisonInput {
  detector: BaselineDetector;
  ransac: RansacKind;
  /** Where to write the comparison JSON. */
  compare?: string;
  /** Where to write the baseline's matches (the `match --json` layout, readable by `eval --matches`). */
  baselineJson?: string;
  a: { raster: RasterImage; path: string };
  b: { raster: RasterImage; path: string };
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
  const coamCounts = matcherCounts(input.coam.matches, input.topK, input.ransac);
  const baseCounts = matcherCounts(result.matches, input.topK, input.ransac);
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
  if (input.baselineJson) {
    const file = baselineMatchesFile(result, { pathA: input.a.path, pathB: input.b.path, openCvVersion: build.version, longSide: input.longSide, topK: input.topK });
    writeOut(input.baselineJson, matchesFileToJson(file));
    io.out(`wrote ${input.baselineJson}`);
  }
  return comparison;
}
