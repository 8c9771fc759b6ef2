/**
 * Messages between the page and the inference worker. Plain data only, so the store can import
 * these types without pulling in onnxruntime.
 */
import type { CoamErrorCode } from '../core/errors';
import type { AttentionLevel } from '../core/attention';
import type { Conditioning, GeometryKind, ModelInfo, PairResult, Point, Slot } from '../core/types';
import type { SearchMode } from '../core/views';

export type BackendName = 'webgpu' | 'wasm';

/**
 * Where the model comes from: a contract graph's URL, the bundled model's split graphs, or bytes
 * from a file picker. `cache`: keep a copy in Cache Storage (for URLs that change with their
 * content, as the bundled files' do).
 */
export type ModelSource =
  | { kind: 'url'; url: string; infoUrl?: string; label: string; cache?: boolean }
  /**
   * The encoder and conditioned-decoder graphs of one model, whose sidecar is the load's
   * `fallbackInfo` (the bundled model): each image is encoded once per pair, and the contract
   * graph, which holds the same weights again, is not downloaded.
   */
  | {
      kind: 'split';
      encoderUrl: string;
      decoderUrl: string;
      /** The co-attention weights graph (the sidecar's `attention`), for the attention view. */
      attentionUrl?: string;
      label: string;
      cache?: boolean;
    }
  | { kind: 'bytes'; bytes: ArrayBuffer; info?: unknown; label: string };

export type ToWorker =
  | { type: 'load-model'; source: ModelSource; fallbackInfo: ModelInfo; prefer: BackendName | 'auto'; threads?: number }
  /** Decode an image here (only when the page has no decode worker); later runs refer to it by id. */
  | { type: 'decode'; imageId: string; bytes: ArrayBuffer }
  /** Pixels decoded by the decode worker (transferred). */
  | { type: 'put-raster'; imageId: string; width: number; height: number; data: Uint8ClampedArray | Uint8Array }
  | { type: 'forget'; imageId: string }
  | {
      type: 'match';
      runId: number;
      imageA: string;
      imageB: string;
      longSide: number;
      conditioning: Conditioning;
      search: SearchMode;
      /** The ratio test's threshold (MatchOptions.maxRatio). */
      maxRatio: number;
    }
  | { type: 'geometry'; requestId: number; kind: GeometryKind; src: Point[]; dst: Point[] }
  /**
   * The co-attention at a point of one image over the other, for run `runId` (its kept view's
   * encodings, which the worker holds): each level's row, on the other image's own grid.
   */
  | { type: 'attention'; requestId: number; runId: number; from: Slot; xy: Point }
  /** Test hook: run one synthetic pair on a given backend, return the raw dense outputs. */
  | { type: 'probe'; requestId: number; backend: BackendName; size: number };

export type Stage = 'download' | 'compile' | 'decode' | 'preprocess' | 'encode' | 'passAB' | 'passBA' | 'match' | 'search';

export type FromWorker =
  | { type: 'progress'; stage: Stage | string; fraction: number; runId?: number }
  | {
      type: 'model';
      info: ModelInfo;
      backend: BackendName;
      /** Why the preferred backend was not used, if it was not. */
      fallbackReason?: string;
      threads: number;
      loadMs: number;
      /** Of loadMs: reading the model (network or cache) and its sidecar; the rest is runtime + session. */
      fetchMs?: number;
      label: string;
      /** A mid-run backend switch: update the badge, but the run in flight carries on. */
      keepRun?: boolean;
      /** The co-attention levels the attention view can show; empty without an attention graph. */
      attentionLevels: string[];
    }
  | { type: 'decoded'; imageId: string; width: number; height: number; decodeMs: number }
  | { type: 'result'; runId: number; result: PairResult }
  /**
   * The upright view's matches, shown while the test-time search tries the other views. The search
   * may still keep those outputs, so the worker sends a copy of them, transferred as a result is.
   */
  | { type: 'interim'; runId: number; result: PairResult }
  | {
      type: 'geometry';
      requestId: number;
      kind: GeometryKind;
      /** Row-major 3x3 (H maps A to B; F satisfies xB^T F xA = 0), or null when RANSAC failed. */
      matrix: number[] | null;
      inliers: Uint8Array | null;
      inlierCount: number;
      ms: number;
    }
  | {
      type: 'probe';
      requestId: number;
      backend: BackendName;
      ok: boolean;
      reason?: string;
      /** Time of one run after a warm-up. */
      ms?: number;
      /** Which graphs produced `descriptors`: the contract graph, or the split graphs alone. */
      graphs?: 'contract' | 'split';
      descriptors?: Float32Array;
      distinctiveness?: Float32Array;
    }
  | {
      type: 'attention';
      requestId: number;
      runId: number;
      from: Slot;
      /** The queried point, original pixels of `from`. */
      xy: Point;
      /** One per co-attention level (the sidecar's order); the weights are transferred. */
      levels: AttentionLevel[];
      ms: number;
    }
  | {
      type: 'error';
      code: CoamErrorCode | 'internal';
      message: string;
      /** What failed: a model load, the decode of an image, a run, a geometry request. */
      scope: 'model' | 'image' | 'run' | 'geometry' | 'probe' | 'attention';
      imageId?: string;
      runId?: number;
      requestId?: number;
    };
