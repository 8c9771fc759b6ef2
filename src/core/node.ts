/**
 * Node-only helpers around the browser-safe core: ORT's wasm backend configured for Node, reading
 * images and models from disk. The CLI and the tests import this; the browser never does.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { basename, dirname, extname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CoamError } from './errors';
import { decodeImage } from './image';
import { attentionInfoOf, CoamModel, inferModelInfo, parseModelInfo, splitInfoOf, type OrtModule, type SplitGraphs } from './model';
import type { ModelInfo, RasterImage } from './types';

/** The repository root (this file lives in src/core/). */
export const PACKAGE_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const DEFAULT_MODEL_PATH = join(PACKAGE_ROOT, 'models', 'coam.onnx');

let ortPromise: Promise<OrtModule> | null = null;

/**
 * onnxruntime-web in Node (its package's "node" export, the wasm backend). In Node it finds its
 * .wasm next to its own dist/ files, so no wasmPaths is needed. Threads: ORT's wasm backend runs
 * multi-threaded through worker_threads; default min(4, cores).
 */
export async function loadOrt(options: { threads?: number } = {}): Promise<OrtModule> {
  ortPromise ??= import('onnxruntime-web');
  const ort = await ortPromise;
  const threads = options.threads ?? Math.max(1, Math.min(4, availableParallelism()));
  ort.env.wasm.numThreads = threads;
  ort.env.logLevel = 'error';
  return ort;
}

function readBytes(path: string, what: string): Uint8Array {
  if (!existsSync(path)) throw new CoamError('bad-argument', `${what} not found: ${path}`);
  if (statSync(path).isDirectory()) throw new CoamError('bad-argument', `${what} is a folder, not a file: ${path}`);
  return new Uint8Array(readFileSync(path));
}

/** Read and decode an image file (EXIF orientation applied). */
export function readImage(path: string): { raster: RasterImage; bytes: Uint8Array } {
  const bytes = readBytes(path, 'Image');
  try {
    return { raster: decodeImage(bytes), bytes };
  } catch (e) {
    if (e instanceof CoamError) throw new CoamError(e.code, `${path}: ${e.message}`, { cause: e });
    throw e;
  }
}

/**
 * The sidecar for a model: `<model>.json` next to it. Absent sidecar → null (the caller probes the
 * model with inferModelInfo).
 */
export function readSidecar(modelPath: string, sidecarPath?: string): ModelInfo | null {
  const path = sidecarPath ?? join(dirname(modelPath), basename(modelPath, extname(modelPath)) + '.json');
  if (!existsSync(path)) {
    if (sidecarPath) throw new CoamError('bad-argument', `Model sidecar not found: ${sidecarPath}`);
    return null;
  }
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(path, 'utf8'));
  } catch (e) {
    throw new CoamError('model-contract', `The model sidecar ${path} is not valid JSON (${(e as Error).message}).`, { cause: e });
  }
  return parseModelInfo(json);
}

/**
 * The encoder/decoder graphs the sidecar's `split` names, when both lie next to the model and were
 * exported with this very contract graph (its sha256, when the sidecar records one); else null, and
 * the model runs through the contract graph alone (a user's own model, or a sidecar reused for one).
 */
export function readSplitGraphs(modelPath: string, modelBytes: Uint8Array, info: ModelInfo): SplitGraphs | null {
  const split = splitInfoOf(info);
  if (!split) return null;
  const encoderPath = join(dirname(modelPath), split.encoder);
  const decoderPath = join(dirname(modelPath), split.decoder);
  if (!existsSync(encoderPath) || !existsSync(decoderPath)) return null;
  if (split.contractSha256 && createHash('sha256').update(modelBytes).digest('hex') !== split.contractSha256) return null;
  return { encoder: readBytes(encoderPath, 'Encoder graph'), decoder: readBytes(decoderPath, 'Decoder graph') };
}

/**
 * The co-attention weights graph the sidecar's `attention` names, read from beside the model when
 * it is there and was exported with this very contract graph; else null.
 */
export function readAttentionGraph(modelPath: string, modelBytes: Uint8Array, info: ModelInfo): Uint8Array | null {
  const attention = attentionInfoOf(info);
  if (!attention) return null;
  const path = join(dirname(modelPath), attention.graph);
  if (!existsSync(path)) return null;
  if (attention.contractSha256 && createHash('sha256').update(modelBytes).digest('hex') !== attention.contractSha256) return null;
  return readBytes(path, 'Attention graph');
}

/**
 * Load a model from disk with its sidecar (or probe it when there is none), with the split graphs
 * (each image encoded once per pair) when the sidecar names them and they are there. `split: false`
 * loads the contract graph alone; `attention: true` adds the co-attention weights graph when it is there.
 */
export async function loadModel(
  ort: OrtModule,
  modelPath: string = DEFAULT_MODEL_PATH,
  options: { sidecarPath?: string; executionProviders?: string[]; split?: boolean; attention?: boolean } = {},
): Promise<{ model: CoamModel; inferred: boolean }> {
  const bytes = readBytes(modelPath, 'Model');
  let info = readSidecar(modelPath, options.sidecarPath);
  const inferred = info === null;
  if (info === null) info = await inferModelInfo(ort, bytes, { name: basename(modelPath), executionProviders: options.executionProviders });
  const split = options.split === false || inferred ? null : readSplitGraphs(modelPath, bytes, info);
  // The co-attention view's graph only on request (the CLI's matching never reads it).
  const attention = split && options.attention ? readAttentionGraph(modelPath, bytes, info) : null;
  const model = await CoamModel.create(ort, bytes, info, {
    executionProviders: options.executionProviders,
    ...(split ? { split } : {}),
    ...(attention ? { attention } : {}),
  });
  return { model, inferred };
}
