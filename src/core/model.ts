/**
 * The ONNX session adapter: loads a CoAM model through onnxruntime-web, checks it keeps the model
 * contract, and runs one conditioned pass (image | condition) → dense descriptors + distinctiveness.
 *
 * Browser-safe: the caller injects the ort module (the browser picks the webgpu or wasm bundle, Node
 * imports 'onnxruntime-web' which resolves to its Node build with the wasm backend).
 *
 * The contract (issue #2): inputs `image` [1,3,H,W] and `condition` [1,3,Hc,Wc], float32 RGB in
 * [0,1]; outputs `descriptors` [1,D,H/s,W/s] unit-L2 along axis 1 and `distinctiveness`
 * [1,1,H/s,W/s] in [0,1]. The sidecar (ModelInfo) is the one source of truth for s, D, multiple.
 */
import type * as OrtTypes from 'onnxruntime-web';
import { CoamError } from './errors';
import type { DenseOutput, ModelInfo, PreparedImage } from './types';

export type OrtModule = typeof import('onnxruntime-web');

export const INPUT_NAMES = ['image', 'condition'] as const;
export const OUTPUT_NAMES = ['descriptors', 'distinctiveness'] as const;

/** Descriptors whose L2 norm is further than this from 1 break the contract. */
const UNIT_NORM_TOLERANCE = 1e-2;
/** Slack for distinctiveness just outside [0, 1] from float rounding. */
const RANGE_TOLERANCE = 1e-5;

// ---------------------------------------------------------------------------------------------
// Sidecar

function contract(message: string): CoamError {
  return new CoamError('model-contract', message);
}

function field(obj: Record<string, unknown>, key: string, path: string): unknown {
  if (!(key in obj) || obj[key] === undefined || obj[key] === null) {
    throw contract(`The model sidecar is missing '${path}'.`);
  }
  return obj[key];
}

function positiveInt(obj: Record<string, unknown>, key: string, path: string): number {
  const v = field(obj, key, path);
  if (typeof v !== 'number' || !Number.isInteger(v) || v <= 0) {
    throw contract(`The model sidecar's '${path}' must be a positive integer, got ${JSON.stringify(v)}.`);
  }
  return v;
}

function str(obj: Record<string, unknown>, key: string, path: string): string {
  const v = field(obj, key, path);
  if (typeof v !== 'string') throw contract(`The model sidecar's '${path}' must be a string, got ${JSON.stringify(v)}.`);
  return v;
}

function object(obj: Record<string, unknown>, key: string, path: string): Record<string, unknown> {
  const v = field(obj, key, path);
  if (typeof v !== 'object' || Array.isArray(v)) {
    throw contract(`The model sidecar's '${path}' must be an object, got ${JSON.stringify(v)}.`);
  }
  return v as Record<string, unknown>;
}

/**
 * Validate a parsed sidecar (`models/coam.json`). Throws CoamError('model-contract') naming the
 * missing or bad field. `strict: false` (for a user's own model whose sidecar only has the numbers)
 * fills absent `name`, `version`, `training` and `metrics` with placeholders; stride,
 * descriptorDim, multiple and inputSize.longSide are always required.
 */
export function parseModelInfo(json: unknown, options: { strict?: boolean } = {}): ModelInfo {
  const strict = options.strict ?? true;
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    throw contract('The model sidecar must be a JSON object.');
  }
  const o = json as Record<string, unknown>;
  const stride = positiveInt(o, 'stride', 'stride');
  const descriptorDim = positiveInt(o, 'descriptorDim', 'descriptorDim');
  const multiple = positiveInt(o, 'multiple', 'multiple');
  if (multiple % stride !== 0) {
    throw contract(`The model sidecar's 'multiple' (${multiple}) must be a multiple of 'stride' (${stride}).`);
  }
  const inputSize = object(o, 'inputSize', 'inputSize');
  const longSide = positiveInt(inputSize, 'longSide', 'inputSize.longSide');
  const lenient = !strict;
  const name = lenient && o.name === undefined ? 'unnamed model' : str(o, 'name', 'name');
  const version = lenient && o.version === undefined ? 'unknown' : str(o, 'version', 'version');
  let training: ModelInfo['training'];
  if (lenient && o.training === undefined) {
    training = { data: 'unknown', steps: 0, date: 'unknown', seed: 0 };
  } else {
    const t = object(o, 'training', 'training');
    const data = str(t, 'data', 'training.data');
    const steps = field(t, 'steps', 'training.steps');
    if (typeof steps !== 'number' || !(steps >= 0)) {
      throw contract(`The model sidecar's 'training.steps' must be a number ≥ 0, got ${JSON.stringify(steps)}.`);
    }
    const date = str(t, 'date', 'training.date');
    const seed = field(t, 'seed', 'training.seed');
    if (typeof seed !== 'number') throw contract(`The model sidecar's 'training.seed' must be a number, got ${JSON.stringify(seed)}.`);
    training = { ...t, data, steps, date, seed };
  }
  const metrics = lenient && o.metrics === undefined ? {} : object(o, 'metrics', 'metrics');
  return {
    ...o,
    name,
    version,
    stride,
    descriptorDim,
    multiple,
    inputSize: { ...inputSize, longSide },
    training,
    metrics,
  };
}

// ---------------------------------------------------------------------------------------------
// Session

export interface CreateOptions {
  /**
   * Execution providers to try, in order (e.g. ['webgpu', 'wasm']). Each is tried on its own so
   * `backend` says which one actually runs and `fallbacks` says why the earlier ones did not.
   * Default ['wasm'].
   */
  executionProviders?: string[];
}

function describe(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

async function openSession(
  ort: OrtModule,
  model: Uint8Array | string,
  executionProviders: string[],
  quiet = false,
): Promise<{ session: OrtTypes.InferenceSession; backend: string; fallbacks: Array<{ backend: string; reason: string }> }> {
  const fallbacks: Array<{ backend: string; reason: string }> = [];
  for (const ep of executionProviders) {
    try {
      // quiet: probing runs that are expected to fail should not print ORT's kernel errors.
      const opts = { executionProviders: [ep], graphOptimizationLevel: 'all' as const, ...(quiet ? { logSeverityLevel: 4 as const } : {}) };
      const session =
        typeof model === 'string'
          ? await ort.InferenceSession.create(model, opts)
          : await ort.InferenceSession.create(model, opts);
      return { session, backend: ep, fallbacks };
    } catch (e) {
      fallbacks.push({ backend: ep, reason: describe(e) });
    }
  }
  const tried = fallbacks.map((f) => `${f.backend}: ${f.reason}`).join('; ');
  throw new CoamError('model-load', `The model could not be loaded (${tried || 'no execution provider given'}).`);
}

/** Load-time checks: input/output names, and static dims where the graph declares them. */
function checkSessionContract(session: OrtTypes.InferenceSession, info: ModelInfo | null): void {
  const inputs = [...session.inputNames];
  const outputs = [...session.outputNames];
  for (const name of INPUT_NAMES) {
    if (!inputs.includes(name)) {
      throw contract(`The model has no input '${name}' (its inputs are ${inputs.map((n) => `'${n}'`).join(', ')}); a CoAM model takes 'image' and 'condition'.`);
    }
  }
  const extra = inputs.filter((n) => !(INPUT_NAMES as readonly string[]).includes(n));
  if (extra.length > 0) {
    throw contract(`The model has unexpected inputs ${extra.map((n) => `'${n}'`).join(', ')}; a CoAM model takes only 'image' and 'condition'.`);
  }
  for (const name of OUTPUT_NAMES) {
    if (!outputs.includes(name)) {
      throw contract(`The model has no output '${name}' (its outputs are ${outputs.map((n) => `'${n}'`).join(', ')}); a CoAM model returns 'descriptors' and 'distinctiveness'.`);
    }
  }
  // Static checks where metadata is available (ORT ≥ 1.21 exposes it; dynamic dims are strings).
  const meta = (session as unknown as { outputMetadata?: readonly OrtTypes.InferenceSession.ValueMetadata[] }).outputMetadata;
  if (info && Array.isArray(meta)) {
    for (const m of meta) {
      if (!m.isTensor) continue;
      if (m.name === 'descriptors' && typeof m.shape[1] === 'number' && m.shape[1] !== info.descriptorDim) {
        throw contract(`model output 'descriptors' has ${m.shape[1]} channels but the sidecar says descriptorDim ${info.descriptorDim}`);
      }
      if (m.name === 'distinctiveness' && typeof m.shape[1] === 'number' && m.shape[1] !== 1) {
        throw contract(`model output 'distinctiveness' has ${m.shape[1]} channels but must have 1`);
      }
      if ((m.name === 'descriptors' || m.name === 'distinctiveness') && m.type !== 'float32') {
        throw contract(`model output '${m.name}' is ${m.type} but must be float32`);
      }
    }
  }
}

async function tensorData(t: OrtTypes.Tensor): Promise<Float32Array> {
  const data = t.location === 'cpu' || t.location === 'cpu-pinned' ? t.data : await t.getData();
  if (!(data instanceof Float32Array)) throw contract(`model output is ${t.type} but must be float32`);
  return data;
}

/**
 * Check one pass's outputs against the contract and copy them out of ORT's buffers.
 * Exported for the worker and tests; CoamModel.run calls it on every pass.
 */
export function validateOutputs(
  descriptors: { dims: readonly number[]; data: Float32Array },
  distinctiveness: { dims: readonly number[]; data: Float32Array },
  fed: { width: number; height: number },
  info: Pick<ModelInfo, 'stride' | 'descriptorDim'>,
): DenseOutput {
  const { stride, descriptorDim: D } = info;
  const gridWidth = fed.width / stride;
  const gridHeight = fed.height / stride;
  const dd = descriptors.dims;
  if (dd.length !== 4 || dd[0] !== 1) {
    throw contract(`model output 'descriptors' has shape [${dd.join(',')}] but must be [1,D,H/stride,W/stride]`);
  }
  if (dd[1] !== D) {
    throw contract(`model output 'descriptors' has ${dd[1]} channels but the sidecar says descriptorDim ${D}`);
  }
  if (dd[2] !== gridHeight || dd[3] !== gridWidth) {
    const s = fed.height / dd[2];
    throw contract(
      `model output 'descriptors' is a ${dd[3]}×${dd[2]} grid for a ${fed.width}×${fed.height} input, but the sidecar's stride ${stride} needs ${gridWidth}×${gridHeight}` +
        (Number.isFinite(s) && s !== stride ? ` (the model looks like stride ${s})` : ''),
    );
  }
  const sd = distinctiveness.dims;
  if (sd.length !== 4 || sd[0] !== 1 || sd[1] !== 1 || sd[2] !== gridHeight || sd[3] !== gridWidth) {
    throw contract(`model output 'distinctiveness' has shape [${sd.join(',')}] but must be [1,1,${gridHeight},${gridWidth}]`);
  }
  const n = gridWidth * gridHeight;
  const desc = new Float32Array(descriptors.data.subarray(0, D * n));
  const dist = new Float32Array(distinctiveness.data.subarray(0, n));
  for (let i = 0; i < n; i++) {
    const v = dist[i];
    if (!Number.isFinite(v)) throw contract(`model output 'distinctiveness' has a non-finite value (${v}) at cell ${i}`);
    if (v < -RANGE_TOLERANCE || v > 1 + RANGE_TOLERANCE) {
      throw contract(`model output 'distinctiveness' must be in [0,1] but has ${v} at cell ${i}`);
    }
    dist[i] = Math.min(1, Math.max(0, v));
  }
  for (let i = 0; i < n; i++) {
    let s = 0;
    for (let c = 0; c < D; c++) {
      const v = desc[c * n + i];
      s += v * v;
    }
    if (!Number.isFinite(s)) throw contract(`model output 'descriptors' has a non-finite value at cell ${i}`);
    if (Math.abs(Math.sqrt(s) - 1) > UNIT_NORM_TOLERANCE) {
      throw contract(`model output 'descriptors' must be unit L2 along the channel axis but has norm ${Math.sqrt(s).toFixed(4)} at cell ${i}`);
    }
  }
  return { descriptors: desc, distinctiveness: dist, descriptorDim: D, gridWidth, gridHeight, stride };
}

export class CoamModel {
  /** Which execution provider runs the model ('webgpu', 'wasm', …). */
  readonly backend: string;
  /** Providers tried before `backend` and why each failed (so the UI can say why WebGPU fell back). */
  readonly fallbacks: ReadonlyArray<{ backend: string; reason: string }>;

  private constructor(
    private readonly ort: OrtModule,
    private session: OrtTypes.InferenceSession | null,
    readonly info: ModelInfo,
    backend: string,
    fallbacks: Array<{ backend: string; reason: string }>,
  ) {
    this.backend = backend;
    this.fallbacks = fallbacks;
  }

  /**
   * Load a model (bytes, or a URL the runtime can fetch) and check its names against the contract.
   * Throws CoamError 'model-load' (unreadable) or 'model-contract' (wrong names/dims).
   */
  static async create(
    ort: OrtModule,
    model: Uint8Array | string,
    info: ModelInfo,
    options: CreateOptions = {},
  ): Promise<CoamModel> {
    const eps = options.executionProviders ?? ['wasm'];
    const { session, backend, fallbacks } = await openSession(ort, model, eps);
    try {
      checkSessionContract(session, info);
    } catch (e) {
      await session.release().catch(() => undefined);
      throw e;
    }
    return new CoamModel(ort, session, info, backend, fallbacks);
  }

  /** One conditioned pass: `image` described in the context of `condition`. */
  async run(image: PreparedImage, condition: PreparedImage): Promise<DenseOutput> {
    const session = this.session;
    if (!session) throw new CoamError('inference', 'The model was released; load it again.');
    const { multiple } = this.info;
    for (const [name, p] of [['image', image], ['condition', condition]] as const) {
      if (p.width % multiple !== 0 || p.height % multiple !== 0 || p.tensor.length !== 3 * p.width * p.height) {
        throw new CoamError(
          'bad-argument',
          `The ${name} tensor is ${p.width}×${p.height} (${p.tensor.length} values); it must be 3×H×W with sides multiples of ${multiple}.`,
        );
      }
    }
    const ort = this.ort;
    const feeds = {
      image: new ort.Tensor('float32', image.tensor, [1, 3, image.height, image.width]),
      condition: new ort.Tensor('float32', condition.tensor, [1, 3, condition.height, condition.width]),
    };
    let out: OrtTypes.InferenceSession.ReturnType;
    try {
      out = await session.run(feeds);
    } catch (e) {
      throw new CoamError('inference', `The model failed while running on ${this.backend} (${describe(e)}).`, { cause: e });
    }
    try {
      const d = out.descriptors as OrtTypes.Tensor;
      const s = out.distinctiveness as OrtTypes.Tensor;
      return validateOutputs(
        { dims: d.dims, data: await tensorData(d) },
        { dims: s.dims, data: await tensorData(s) },
        image,
        this.info,
      );
    } finally {
      for (const t of Object.values(out)) (t as OrtTypes.Tensor).dispose?.();
    }
  }

  async release(): Promise<void> {
    const s = this.session;
    this.session = null;
    if (s) await s.release();
  }
}

// ---------------------------------------------------------------------------------------------
// Bring your own model: no sidecar

export interface InferOptions extends CreateOptions {
  name?: string;
  /** Long side to feed at (not knowable from the graph). Default 640. */
  longSide?: number;
}

/**
 * Probe a model that came without a sidecar: checks the input/output names, then runs it on small
 * synthetic inputs whose sides are odd multiples of 8, 16, 32, 64 (in that order) and takes the
 * first size that runs and gives an exact grid: `multiple` = that size unit (at least the stride),
 * `stride` = input size / grid size, `descriptorDim` = the descriptor channels. Outputs are
 * checked against the contract at the probed numbers, so a model that breaks it still fails here.
 * The returned info is lenient (name/version/training are placeholders).
 */
export async function inferModelInfo(ort: OrtModule, model: Uint8Array | string, options: InferOptions = {}): Promise<ModelInfo> {
  const { session } = await openSession(ort, model, options.executionProviders ?? ['wasm'], true);
  try {
    checkSessionContract(session, null);
    const reasons: string[] = [];
    for (const unit of [8, 16, 32, 64]) {
      const h = unit * 3;
      const w = unit * 5;
      const input = (hh: number, ww: number, salt: number) => {
        const t = new Float32Array(3 * hh * ww);
        for (let i = 0; i < t.length; i++) t[i] = ((i * 7 + salt) % 17) / 16;
        return new ort.Tensor('float32', t, [1, 3, hh, ww]);
      };
      let out: OrtTypes.InferenceSession.ReturnType;
      try {
        out = await session.run({ image: input(h, w, 0), condition: input(h, w, 3) }, { logSeverityLevel: 4 });
      } catch (e) {
        reasons.push(`${w}×${h}: ${describe(e)}`);
        continue;
      }
      const d = out.descriptors as OrtTypes.Tensor;
      const s = out.distinctiveness as OrtTypes.Tensor;
      const dims = d.dims;
      const strideX = w / dims[3];
      const strideY = h / dims[2];
      if (dims.length !== 4 || strideX !== strideY || !Number.isInteger(strideX)) {
        reasons.push(`${w}×${h}: grid ${dims[3]}×${dims[2]} does not divide the input`);
        continue;
      }
      const stride = strideX;
      const descriptorDim = dims[1];
      // Throws model-contract when the outputs break the contract (range, norms, shapes).
      validateOutputs({ dims, data: await tensorData(d) }, { dims: s.dims, data: await tensorData(s) }, { width: w, height: h }, { stride, descriptorDim });
      const multiple = Math.max(unit, stride) % stride === 0 ? Math.max(unit, stride) : unit * stride;
      return parseModelInfo(
        {
          name: options.name ?? 'user model',
          version: 'unknown',
          stride,
          descriptorDim,
          multiple,
          inputSize: { longSide: options.longSide ?? 640 },
          training: { data: 'unknown', steps: 0, date: 'unknown', seed: 0 },
          metrics: {},
          inferred: true,
        },
        { strict: true },
      );
    }
    throw contract(`Could not find an input size the model accepts (${reasons.join('; ')}).`);
  } finally {
    await session.release().catch(() => undefined);
  }
}
