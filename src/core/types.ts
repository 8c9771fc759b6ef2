/**
 * The shared vocabulary of coam-web's core. Plain data only: no React, DOM or worker types,
 * so the browser worker, the Node CLI and the tests all speak the same language.
 *
 * Coordinate frames, named so they cannot be confused:
 *  - "original" pixels: the image as the user supplied it, after EXIF orientation.
 *  - "fed" pixels: the resized image the network sees (both sides multiples of `multiple`).
 *  - cells: the network's output grid; cell (i, j) describes the fed pixel centred at
 *    x = (j + 0.5) * stride - 0.5, y = (i + 0.5) * stride - 0.5.
 */

import type { ViewChoice } from './views';

/** Decoded pixels, RGBA interleaved, 8 bits per channel (the layout of ImageData). */
export interface RasterImage {
  width: number;
  height: number;
  data: Uint8ClampedArray | Uint8Array;
}

/** The model sidecar (`models/coam.json`); the one source of truth for stride, D, multiple. */
export interface ModelInfo {
  name: string;
  version: string;
  stride: number;
  descriptorDim: number;
  multiple: number;
  inputSize: { longSide: number };
  training: { data: string; steps: number; date: string; seed: number; [k: string]: unknown };
  metrics: Record<string, unknown>;
  /** The same weights as an encoder graph and a conditioned-decoder graph; read by splitInfoOf. */
  split?: unknown;
  [k: string]: unknown;
}

/** An image resized for the network, as a planar float tensor with the scales to map back. */
export interface PreparedImage {
  /** 1x3xHxW, RGB in [0, 1], planar (NCHW). */
  tensor: Float32Array;
  /** Size as fed to the network (multiples of `multiple`). */
  width: number;
  height: number;
  originalWidth: number;
  originalHeight: number;
  /** fed = original * scale, per axis (xFed = (xOriginal + 0.5) * scaleX - 0.5). */
  scaleX: number;
  scaleY: number;
}

/** A PreparedImage without its pixels: how the fed image relates to the original. */
export type FedGeometry = Omit<PreparedImage, 'tensor'>;

/** One network pass (image conditioned on condition): dense outputs on the cell grid. */
export interface DenseOutput {
  /** D x gridH x gridW, planar, each descriptor unit L2. */
  descriptors: Float32Array;
  /** gridH x gridW, in [0, 1]. */
  distinctiveness: Float32Array;
  descriptorDim: number;
  gridWidth: number;
  gridHeight: number;
  stride: number;
}

export type Point = [number, number];

/** One image of the pair: A, the one matched from, and B. */
export type Slot = 'A' | 'B';

/** What each image is conditioned on: the other image (the paper's method) or itself (the ablation). */
export type Conditioning = 'pair' | 'self';

/** The two-view model RANSAC fits to the shown matches: a homography or a fundamental matrix. */
export type GeometryKind = 'homography' | 'fundamental';

/** One mutual-nearest-neighbour match, in original pixels of A and B. */
export interface Match {
  xyA: Point;
  xyB: Point;
  /** similarity x distinctivenessA x distinctivenessB: what the list is sorted by. */
  score: number;
  /** cosine similarity of the two descriptors. */
  similarity: number;
  distinctivenessA: number;
  distinctivenessB: number;
  /** The ratio test's value: descriptor distance over the runner-up's, the worse direction (0–1). */
  ratio: number;
  /** row-major cell indices (i * gridWidth + j) into each image's grid. */
  cellA: number;
  cellB: number;
}

export interface MatchOptions {
  /** Max candidate cells per image, chosen by distinctiveness after NMS. */
  maxCandidates: number;
  /** NMS radius in cells (0 disables). */
  nmsRadius: number;
  /** Candidates below this distinctiveness are dropped. */
  minDistinctiveness: number;
  /**
   * 'grid' (default): a match must be mutual against every cell of the other image;
   * 'candidates': only among the two candidate lists (faster, less precise).
   */
  mutualCheck?: 'grid' | 'candidates';
  /**
   * Refine B's point of each match below the cell grid, towards A's descriptor (A's point stays its
   * cell centre); default true.
   */
  subpixel?: boolean;
  /**
   * Lowe's ratio test, as SIFT matching uses it: a match is kept when its descriptor distance is
   * at most this fraction of the distance to the runner-up, the best cell outside the 5 x 5 cells
   * around the match, in both directions. 1 keeps every mutual match (see DEFAULT_MATCH_OPTIONS).
   */
  maxRatio?: number;
}

export const DEFAULT_MATCH_OPTIONS: Required<MatchOptions> = {
  maxCandidates: 512,
  nmsRadius: 1,
  minDistinctiveness: 0,
  mutualCheck: 'grid',
  subpixel: true,
  maxRatio: 0.85,
};

/** Wall-clock milliseconds of each step of a pair. */
export interface Timings {
  preprocessMs: number;
  /**
   * Encoding both images once (the encoder graph), when the model has the split graphs; the passes
   * are then the conditioned decoder alone. Absent on the contract graph, whose passes encode both.
   */
  encodeMs?: number;
  /** A conditioned on B. */
  passABMs: number;
  /** B conditioned on A. */
  passBAMs: number;
  matchMs: number;
  /** The other test-time views, when the search ran (each: encode, both passes, match, verify). */
  searchMs?: number;
  totalMs: number;
}

/** Everything one pair produces. `matches` is sorted by score, descending: top-K is a prefix. */
export interface PairResult {
  matches: Match[];
  denseA: DenseOutput;
  denseB: DenseOutput;
  preparedA: FedGeometry;
  preparedB: FedGeometry;
  timings: Timings;
  backend: string;
  /** The view the matches come from (B turned, sizes) and what the search tried; see views.ts. */
  view?: ViewChoice;
}

/** The JSON that `coam match --json` writes and `coam eval --matches` reads. */
export interface MatchesFile {
  imageA: { path?: string; width: number; height: number };
  imageB: { path?: string; width: number; height: number };
  model?: { name: string; version: string };
  longSide?: number;
  timings?: Partial<Timings>;
  /** Sorted by score, descending. */
  matches: Array<{ xyA: Point; xyB: Point; score: number }>;
}
