/**
 * The ONNX session adapter: loads a CoAM model through onnxruntime-web, checks it keeps the model
 * contract, and runs one conditioned pass (image | condition) → dense descriptors + distinctiveness.
 *
 * Browser-safe: the caller injects the ort module (the browser picks the webgpu or wasm bundle, Node
 * imports 'onnxruntime-web' which resolves to its Node build with the wasm backend).
 *
 * The model contract: inputs `image` [1,3,H,W] and `condition` [1,3,Hc,Wc], float32 RGB in
 * [0,1]; outputs `descriptors` [1,D,H/s,W/s] unit-L2 along axis 1 and `distinctiveness`
 * [1,1,H/s,W/s] in [0,1]. The sidecar (ModelInfo) is the one source of truth for s, D, multiple.
 *
 * The fast path (optional): the same weights split into an encoder graph (`image` → the feature maps
 * the decoder reads) and a conditioned-decoder graph (an image's features + the condition's
 * co-attention features → `descriptors`, `distinctiveness`), named in the sidecar's `split`. A pair
 * then encodes each image once and decodes twice, instead of encoding both images in each pass.
 *
 * The co-attention view (optional, needs the split): a graph of the same weights that gives each
 * co-attention level's weights from the encoder's outputs, named in the sidecar's `attention`.
 */
import type * as OrtTypes from 'onnxruntime-web';
import { CoamError } from './errors';
import type { Conditioning, DenseOutput, ModelInfo, PreparedImage } from './types';

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

/** The sidecar's `split`: the encoder/decoder graphs' files and the names that join them. */
export interface SplitInfo {
  encoder: string;
  decoder: string;
  /** Encoder outputs, fed to the decoder under the same names for the image being described. */
  featureNames: string[];
  /** Of featureNames, those of the condition the decoder reads, fed as `condition_<name>`. */
  conditionFeatureNames: string[];
  /** sha256 of the contract graph exported with this split (a loader uses the split only beside it). */
  contractSha256?: string;
}

const conditionInput = (name: string) => `condition_${name}`;

/** The sidecar's `split`, checked; null when the sidecar names none. Throws model-contract when malformed. */
export function splitInfoOf(info: { readonly split?: unknown }): SplitInfo | null {
  const raw = info.split;
  if (raw === undefined || raw === null) return null;
  if (typeof raw !== 'object' || Array.isArray(raw)) throw contract(`The model sidecar's 'split' must be an object, got ${JSON.stringify(raw)}.`);
  const o = raw as Record<string, unknown>;
  const names = (key: string): string[] => {
    const v = field(o, key, `split.${key}`);
    if (!Array.isArray(v) || v.length === 0 || !v.every((n) => typeof n === 'string' && n.length > 0)) {
      throw contract(`The model sidecar's 'split.${key}' must be a non-empty list of names, got ${JSON.stringify(v)}.`);
    }
    return v as string[];
  };
  const featureNames = names('featureNames');
  const conditionFeatureNames = names('conditionFeatureNames');
  const unknown = conditionFeatureNames.filter((n) => !featureNames.includes(n));
  if (unknown.length > 0) throw contract(`The model sidecar's 'split.conditionFeatureNames' names features the encoder does not output: ${unknown.join(', ')}.`);
  const sha = o.contractSha256;
  // Files beside the model, by name only: a sidecar cannot point a loader elsewhere.
  const file = (key: string): string => {
    const v = str(o, key, `split.${key}`);
    if (!/^[\w.-]+\.onnx$/.test(v) || v.startsWith('.')) throw contract(`The model sidecar's 'split.${key}' must be a file name beside the model, got ${JSON.stringify(v)}.`);
    return v;
  };
  return {
    encoder: file('encoder'),
    decoder: file('decoder'),
    featureNames,
    conditionFeatureNames,
    ...(typeof sha === 'string' ? { contractSha256: sha } : {}),
  };
}

/** The sidecar's `attention`: the co-attention weights graph, fed the encoder graph's outputs. */
export interface AttentionInfo {
  graph: string;
  /** The co-attention levels, named as the encoder's outputs ('s16', 's32'). */
  levels: string[];
  /** The graph's inputs: each level of the image, then `condition_<level>` of the condition. */
  inputs: string[];
  /** `attention_<level>`: float32 [1, hA*wA, hB*wB], each row a softmax over the condition's grid. */
  outputs: string[];
  contractSha256?: string;
}

/**
 * The sidecar's `attention`, checked; null when the sidecar names none (a model of the user's:
 * the app then hides the attention view). It needs the split (its inputs are the encoder's
 * outputs) and levels named s<stride> among the split's conditioning features.
 */
export function attentionInfoOf(info: { readonly attention?: unknown; readonly split?: unknown }): AttentionInfo | null {
  const raw = info.attention;
  if (raw === undefined || raw === null) return null;
  if (typeof raw !== 'object' || Array.isArray(raw)) throw contract(`The model sidecar's 'attention' must be an object, got ${JSON.stringify(raw)}.`);
  const o = raw as Record<string, unknown>;
  const split = splitInfoOf(info);
  if (!split) throw contract("The model sidecar's 'attention' needs its 'split': the attention graph reads the encoder graph's outputs.");
  const names = (key: string): string[] => {
    const v = field(o, key, `attention.${key}`);
    if (!Array.isArray(v) || v.length === 0 || !v.every((n) => typeof n === 'string' && n.length > 0)) {
      throw contract(`The model sidecar's 'attention.${key}' must be a non-empty list of names, got ${JSON.stringify(v)}.`);
    }
    return v as string[];
  };
  const levels = names('levels');
  const bad = levels.filter((l) => !/^s[1-9]\d*$/.test(l) || !split.conditionFeatureNames.includes(l));
  if (bad.length > 0) throw contract(`The model sidecar's 'attention.levels' must be co-attention levels of the split (${split.conditionFeatureNames.join(', ')}), not ${bad.join(', ')}.`);
  const inputs = names('inputs');
  const wantInputs = [...levels, ...levels.map(conditionInput)];
  if (inputs.length !== wantInputs.length || !wantInputs.every((n) => inputs.includes(n))) {
    throw contract(`The model sidecar's 'attention.inputs' must be ${wantInputs.join(', ')}, got ${inputs.join(', ')}.`);
  }
  const outputs = names('outputs');
  const wantOutputs = levels.map((l) => `attention_${l}`);
  if (outputs.join() !== wantOutputs.join()) throw contract(`The model sidecar's 'attention.outputs' must be ${wantOutputs.join(', ')}, got ${outputs.join(', ')}.`);
  const graph = str(o, 'graph', 'attention.graph');
  if (!/^[\w.-]+\.onnx$/.test(graph) || graph.startsWith('.')) throw contract(`The model sidecar's 'attention.graph' must be a file name beside the model, got ${JSON.stringify(graph)}.`);
  const sha = o.contractSha256;
  return { graph, levels, inputs, outputs, ...(typeof sha === 'string' ? { contractSha256: sha } : {}) };
}

/** One co-attention level's weights: `rows` cells of the image, each over `columns` cells of the condition. */
export interface AttentionWeights {
  level: string;
  rows: number;
  columns: number;
  /** rows × columns, row-major; each row sums to 1. */
  weights: Float32Array;
}

/** The split graphs' bytes (or URLs the runtime can fetch). */
export interface SplitGraphs {
  encoder: Uint8Array | string;
  decoder: Uint8Array | string;
}

export interface CreateOptions {
  /**
   * Execution providers to try, in order (e.g. ['webgpu', 'wasm']). Each is tried on its own so
   * `backend` says which one actually runs and `fallbacks` says why the earlier ones did not.
   * Default ['wasm'].
   */
  executionProviders?: string[];
  /**
   * The encoder and conditioned-decoder graphs of the same weights (the sidecar's `split` names
   * them). They run on the backend the contract graph got; `runPair` then encodes each image once.
   * Without a contract graph (`create(ort, null, …)`) they are the whole model.
   */
  split?: SplitGraphs;
  /**
   * The co-attention weights graph (the sidecar's `attention` names it); needs the split, whose
   * encoder outputs it reads. Runs on the split's backend.
   */
  attention?: Uint8Array | string;
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
  checkOutputMetadata(session, info);
}

function namesOf(names: readonly string[]): string {
  return names.map((n) => `'${n}'`).join(', ');
}

/** The split graphs' names: the encoder takes 'image' and outputs every feature; the decoder takes
 *  exactly the image's features and the condition's, and returns the contract's outputs. */
function checkSplitContract(encoder: OrtTypes.InferenceSession, decoder: OrtTypes.InferenceSession, split: SplitInfo, info: ModelInfo): void {
  const encIn = [...encoder.inputNames];
  const encOut = [...encoder.outputNames];
  if (encIn.length !== 1 || encIn[0] !== 'image') {
    throw contract(`The encoder graph's inputs are ${namesOf(encIn)}; it must take only 'image'.`);
  }
  const missingOut = split.featureNames.filter((n) => !encOut.includes(n));
  if (missingOut.length > 0) {
    throw contract(`The encoder graph has no output ${namesOf(missingOut)} (its outputs are ${namesOf(encOut)}), which the sidecar's split names.`);
  }
  const expected = [...split.featureNames, ...split.conditionFeatureNames.map(conditionInput)];
  const decIn = [...decoder.inputNames];
  const missingIn = expected.filter((n) => !decIn.includes(n));
  const extraIn = decIn.filter((n) => !expected.includes(n));
  if (missingIn.length > 0 || extraIn.length > 0) {
    throw contract(`The decoder graph's inputs are ${namesOf(decIn)} but the sidecar's split needs exactly ${namesOf(expected)}.`);
  }
  for (const name of OUTPUT_NAMES) {
    if (!decoder.outputNames.includes(name)) {
      throw contract(`The decoder graph has no output '${name}' (its outputs are ${namesOf(decoder.outputNames)}).`);
    }
  }
  checkOutputMetadata(decoder, info);
}

/** Static checks where metadata is available (ORT ≥ 1.21 exposes it; dynamic dims are strings). */
function checkOutputMetadata(session: OrtTypes.InferenceSession, info: ModelInfo | null): void {
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

/** One image through the encoder graph: its feature maps, to decode as image or as condition. */
export interface EncodedImage {
  /** The fed size (the decoder's outputs are checked against it). */
  readonly width: number;
  readonly height: number;
  readonly features: Readonly<Record<string, OrtTypes.Tensor>>;
  /** Free the runtime's buffers; the features cannot be decoded afterwards. */
  dispose(): void;
}

function checkPrepared(name: string, p: PreparedImage, multiple: number): void {
  if (p.width % multiple !== 0 || p.height % multiple !== 0 || p.tensor.length !== 3 * p.width * p.height) {
    throw new CoamError(
      'bad-argument',
      `The ${name} tensor is ${p.width}×${p.height} (${p.tensor.length} values); it must be 3×H×W with sides multiples of ${multiple}.`,
    );
  }
}

interface SplitSessions {
  encoder: OrtTypes.InferenceSession;
  decoder: OrtTypes.InferenceSession;
  names: SplitInfo;
}

interface AttentionSession {
  session: OrtTypes.InferenceSession;
  names: AttentionInfo;
}

/** The attention graph's names: exactly the sidecar's inputs, and its outputs. */
function checkAttentionContract(session: OrtTypes.InferenceSession, names: AttentionInfo): void {
  const inputs = [...session.inputNames];
  const missing = names.inputs.filter((n) => !inputs.includes(n));
  const extra = inputs.filter((n) => !names.inputs.includes(n));
  if (missing.length > 0 || extra.length > 0) {
    throw contract(`The attention graph's inputs are ${namesOf(inputs)} but the sidecar's 'attention' needs exactly ${namesOf(names.inputs)}.`);
  }
  const absent = names.outputs.filter((n) => !session.outputNames.includes(n));
  if (absent.length > 0) throw contract(`The attention graph has no output ${namesOf(absent)} (its outputs are ${namesOf(session.outputNames)}).`);
}

export class CoamModel {
  /** Which execution provider runs the model ('webgpu', 'wasm', …). */
  readonly backend: string;
  /** Providers tried before `backend` and why each failed (so the UI can say why WebGPU fell back). */
  readonly fallbacks: ReadonlyArray<{ backend: string; reason: string }>;

  private released = false;

  private constructor(
    private readonly ort: OrtModule,
    private session: OrtTypes.InferenceSession | null,
    readonly info: ModelInfo,
    backend: string,
    fallbacks: Array<{ backend: string; reason: string }>,
    private split: SplitSessions | null = null,
    private attentionGraph: AttentionSession | null = null,
  ) {
    this.backend = backend;
    this.fallbacks = fallbacks;
  }

  /** Whether the encoder/decoder graphs are loaded, so `runPair` encodes each image once. */
  get hasSplit(): boolean {
    return this.split !== null;
  }

  /** Whether the co-attention weights graph is loaded (`attention` can run). */
  get hasAttention(): boolean {
    return this.attentionGraph !== null;
  }

  /** The co-attention levels' names ('s16', 's32'); empty without the attention graph. */
  get attentionLevels(): readonly string[] {
    return this.attentionGraph?.names.levels ?? [];
  }

  /** Whether the contract graph is loaded (a model may come as its split graphs alone). */
  get hasContractGraph(): boolean {
    return this.session !== null;
  }

  /**
   * Load a model and check its names against the contract: the contract graph (bytes, or a URL the
   * runtime can fetch), its split graphs (`options.split`), or both. With `model` null the split
   * graphs are the whole model (the app's bundled model: half the download).
   * Throws CoamError 'model-load' (unreadable) or 'model-contract' (wrong names/dims).
   */
  static async create(
    ort: OrtModule,
    model: Uint8Array | string | null,
    info: ModelInfo,
    options: CreateOptions = {},
  ): Promise<CoamModel> {
    if (model === null && !options.split) {
      throw new CoamError('bad-argument', 'A model needs its contract graph, its encoder/decoder split, or both.');
    }
    let eps = options.executionProviders ?? ['wasm'];
    const opened: OrtTypes.InferenceSession[] = [];
    try {
      let session: OrtTypes.InferenceSession | null = null;
      let backend = '';
      let fallbacks: Array<{ backend: string; reason: string }> = [];
      if (model !== null) {
        ({ session, backend, fallbacks } = await openSession(ort, model, eps));
        opened.push(session);
        checkSessionContract(session, info);
        // The split runs on the backend the contract graph got: one device, and `backend` stays the truth.
        eps = [backend];
      }
      let split: SplitSessions | null = null;
      if (options.split) {
        const names = splitInfoOf(info);
        if (!names) throw contract("Split graphs were given but the model sidecar has no 'split' naming their features.");
        const enc = await openSession(ort, options.split.encoder, eps);
        opened.push(enc.session);
        if (!session) ({ backend, fallbacks } = enc);
        const decoder = (await openSession(ort, options.split.decoder, [enc.backend])).session;
        opened.push(decoder);
        checkSplitContract(enc.session, decoder, names, info);
        split = { encoder: enc.session, decoder, names };
      }
      let attention: AttentionSession | null = null;
      if (options.attention) {
        const names = attentionInfoOf(info);
        if (!names) throw contract("An attention graph was given but the model sidecar has no 'attention' naming its levels.");
        if (!split) throw contract('The attention graph reads the encoder graph’s outputs: it needs the split graphs.');
        const att = (await openSession(ort, options.attention, [backend])).session;
        opened.push(att);
        checkAttentionContract(att, names);
        attention = { session: att, names };
      }
      return new CoamModel(ort, session, info, backend, fallbacks, split, attention);
    } catch (e) {
      for (const s of opened) await s.release().catch(() => undefined);
      throw e;
    }
  }

  /** One conditioned pass: `image` described in the context of `condition`. */
  async run(image: PreparedImage, condition: PreparedImage): Promise<DenseOutput> {
    if (this.released) throw new CoamError('inference', 'The model was released; load it again.');
    checkPrepared('image', image, this.info.multiple);
    checkPrepared('condition', condition, this.info.multiple);
    const session = this.session;
    if (!session) {
      // Split graphs only: encode both (once if they are the same image), decode the image.
      const encImage = await this.encode(image);
      const encCondition = condition === image ? encImage : await this.encode(condition).catch((e) => {
        encImage.dispose();
        throw e;
      });
      try {
        return await this.decode(encImage, encCondition);
      } finally {
        encImage.dispose();
        encCondition.dispose();
      }
    }
    const ort = this.ort;
    const feeds = {
      image: new ort.Tensor('float32', image.tensor, [1, 3, image.height, image.width]),
      condition: new ort.Tensor('float32', condition.tensor, [1, 3, condition.height, condition.width]),
    };
    return this.dense(await this.runSession(session, feeds), image);
  }

  /**
   * Both passes of a pair: A conditioned on B and B on A ('pair'), or each on itself ('self').
   * With the split graphs each image is encoded once; without, the contract graph runs twice.
   */
  async runPair(a: PreparedImage, b: PreparedImage, conditioning: Conditioning = 'pair'): Promise<[DenseOutput, DenseOutput]> {
    const self = conditioning === 'self';
    if (!this.split) return [await this.run(a, self ? a : b), await this.run(b, self ? b : a)];
    const encA = await this.encode(a);
    let encB: EncodedImage | null = null;
    try {
      encB = await this.encode(b);
      return [await this.decode(encA, self ? encA : encB), await this.decode(encB, self ? encB : encA)];
    } finally {
      encA.dispose();
      encB?.dispose();
    }
  }

  /** The encoder graph on one image (needs the split graphs: see `hasSplit`). */
  async encode(image: PreparedImage): Promise<EncodedImage> {
    const split = this.requireSplit();
    checkPrepared('image', image, this.info.multiple);
    const out = await this.runSession(split.encoder, {
      image: new this.ort.Tensor('float32', image.tensor, [1, 3, image.height, image.width]),
    });
    const features: Record<string, OrtTypes.Tensor> = {};
    for (const name of split.names.featureNames) features[name] = out[name] as OrtTypes.Tensor;
    for (const [name, t] of Object.entries(out)) if (!(name in features)) (t as OrtTypes.Tensor).dispose?.();
    let disposed = false;
    return {
      width: image.width,
      height: image.height,
      features,
      dispose: () => {
        if (disposed) return;
        disposed = true;
        for (const t of Object.values(features)) t.dispose?.();
      },
    };
  }

  /** The conditioned decoder: `image` described in the context of `condition` (both encoded). */
  async decode(image: EncodedImage, condition: EncodedImage): Promise<DenseOutput> {
    const split = this.requireSplit();
    const feeds: Record<string, OrtTypes.Tensor> = {};
    for (const name of split.names.featureNames) feeds[name] = image.features[name];
    for (const name of split.names.conditionFeatureNames) feeds[conditionInput(name)] = condition.features[name];
    return this.dense(await this.runSession(split.decoder, feeds), image);
  }

  /**
   * The co-attention weights of `image` over `condition` (both encoded), one entry per level. With
   * `cells` (one per level, a cell of the image's grid at that level, row-major) only those cells'
   * rows are computed: the graph is fed that one position of the image's features, and since the
   * query is a 1×1 convolution and the softmax is per row, the row equals the full matrix's.
   */
  async attention(image: EncodedImage, condition: EncodedImage, cells?: readonly number[]): Promise<AttentionWeights[]> {
    this.requireSplit();
    const graph = this.attentionGraph;
    if (!graph) throw new CoamError('bad-argument', "This model has no attention graph (its sidecar names no 'attention').");
    const { levels, outputs } = graph.names;
    if (cells && cells.length !== levels.length) throw new CoamError('bad-argument', `One cell per level (${levels.join(', ')}) is needed, got ${cells.length}.`);
    const feeds: Record<string, OrtTypes.Tensor> = {};
    const sliced: OrtTypes.Tensor[] = [];
    for (const [i, level] of levels.entries()) {
      const t = image.features[level];
      const c = condition.features[level];
      if (!t || !c) throw new CoamError('bad-argument', `The encoded images have no feature '${level}'.`);
      feeds[conditionInput(level)] = c;
      if (!cells) {
        feeds[level] = t;
        continue;
      }
      const [, channels, h, w] = t.dims;
      const cell = cells[i];
      if (!(Number.isInteger(cell) && cell >= 0 && cell < h * w)) throw new CoamError('bad-argument', `Cell ${cell} is outside the ${w}×${h} grid of level ${level}.`);
      const data = await tensorData(t);
      const column = new Float32Array(channels);
      for (let ch = 0; ch < channels; ch++) column[ch] = data[ch * h * w + cell];
      const one = new this.ort.Tensor('float32', column, [1, channels, 1, 1]);
      sliced.push(one);
      feeds[level] = one;
    }
    const out = await this.runSession(graph.session, feeds);
    try {
      const result: AttentionWeights[] = [];
      for (const [i, level] of levels.entries()) {
        const t = out[outputs[i]] as OrtTypes.Tensor | undefined;
        if (!t || t.dims.length !== 3 || t.dims[0] !== 1) throw contract(`The attention graph's '${outputs[i]}' has shape [${t?.dims.join(',') ?? ''}] but must be [1,cells,conditionCells].`);
        const [, rows, columns] = t.dims;
        const [, , hc, wc] = condition.features[level].dims;
        if (columns !== hc * wc) throw contract(`The attention graph's '${outputs[i]}' has ${columns} columns for a ${wc}×${hc} condition grid.`);
        result.push({ level, rows, columns, weights: new Float32Array(await tensorData(t)) });
      }
      return result;
    } finally {
      for (const t of Object.values(out)) (t as OrtTypes.Tensor).dispose?.();
      for (const t of sliced) t.dispose?.();
    }
  }

  private requireSplit(): SplitSessions {
    if (this.released) throw new CoamError('inference', 'The model was released; load it again.');
    if (!this.split) throw new CoamError('bad-argument', 'This model has no encoder/decoder split; use run().');
    return this.split;
  }

  private async runSession(
    session: OrtTypes.InferenceSession,
    feeds: Record<string, OrtTypes.Tensor>,
  ): Promise<OrtTypes.InferenceSession.ReturnType> {
    try {
      return await session.run(feeds);
    } catch (e) {
      throw new CoamError('inference', `The model failed while running on ${this.backend} (${describe(e)}).`, { cause: e });
    }
  }

  /** The contract checks on one pass's outputs, copied out of the runtime's buffers. */
  private async dense(out: OrtTypes.InferenceSession.ReturnType, fed: { width: number; height: number }): Promise<DenseOutput> {
    try {
      const d = out.descriptors as OrtTypes.Tensor;
      const s = out.distinctiveness as OrtTypes.Tensor;
      return validateOutputs({ dims: d.dims, data: await tensorData(d) }, { dims: s.dims, data: await tensorData(s) }, fed, this.info);
    } finally {
      for (const t of Object.values(out)) (t as OrtTypes.Tensor).dispose?.();
    }
  }

  async release(): Promise<void> {
    const s = this.session;
    const split = this.split;
    const attention = this.attentionGraph;
    this.released = true;
    this.session = null;
    this.split = null;
    this.attentionGraph = null;
    if (split) await Promise.all([split.encoder.release(), split.decoder.release()]);
    if (attention) await attention.session.release();
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
