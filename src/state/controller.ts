/**
 * Side effects around the store: the inference worker, fetching and decoding images, loading
 * models, re-running when inputs change, and geometry requests. Components call these actions.
 */
import encoderUrl from '../../models/coam-encoder.onnx?url';
import decoderUrl from '../../models/coam-decoder.onnx?url';
// The co-attention graph: a build file like the split, so the service worker precaches it too.
import attentionUrl from '../../models/coam-attention.onnx?url';
import bundledInfo from '../../models/coam.json';
import type { ModelInfo, Point, Slot } from '../core/types';
import { foreignFormat, sizeProblem } from '../core/image';
import type { BackendName, FromWorker, ModelSource, ToWorker } from '../worker/protocol';
import type { DecodeReply, DecodeRequest } from '../worker/decode.worker';
import { SAMPLE_PAIRS, sampleUrl } from './samples';
import { currentAttention, currentGeometry, shownCount } from './derived';
import { clearNotices, notify, useCoam, type CoamState, type RunSummary } from './store';
import type { ImageRef, UrlSettings } from './url-params';

let worker: Worker | null = null;
let imageCounter = 0;
let requestCounter = 0;
let preferBackend: BackendName | 'auto' = 'auto';
let wasmThreadCount = 0;
const probes = new Map<number, (m: FromWorker & { type: 'probe' }) => void>();

function send(msg: ToWorker, transfer: Transferable[] = []): void {
  getWorker().postMessage(msg, transfer);
}

function getWorker(): Worker {
  if (!worker) {
    worker = new Worker(new URL('../worker/inference.worker.ts', import.meta.url), { type: 'module', name: 'coam-inference' });
    worker.onmessage = (e: MessageEvent<FromWorker>) => onWorkerMessage(e.data);
    worker.onerror = (e) => {
      notify('error', `The inference worker crashed: ${e.message || 'unknown error'}. Reload the page.`);
      useCoam.setState({ progress: null, run: { ...useCoam.getState().run, status: 'error' } });
    };
  }
  return worker;
}

let decoder: Worker | null | undefined;

/** The decode worker; null where it cannot start (the inference worker then decodes). */
function getDecoder(): Worker | null {
  if (decoder === undefined) {
    try {
      decoder = new Worker(new URL('../worker/decode.worker.ts', import.meta.url), { type: 'module', name: 'coam-decode' });
      decoder.onmessage = (e: MessageEvent<DecodeReply>) => onDecoded(e.data);
    } catch {
      decoder = null;
    }
  }
  return decoder;
}

function onDecoded(reply: DecodeReply): void {
  if (!slotOf(reply.imageId)) return; // replaced meanwhile
  if (!reply.ok) {
    onWorkerMessage({ type: 'error', scope: 'image', imageId: reply.imageId, code: reply.code as 'internal', message: reply.message });
    return;
  }
  send({ type: 'put-raster', imageId: reply.imageId, width: reply.width, height: reply.height, data: reply.data }, [reply.data.buffer as ArrayBuffer]);
  onWorkerMessage({ type: 'decoded', imageId: reply.imageId, width: reply.width, height: reply.height, decodeMs: reply.ms });
}

const slotOf = (imageId: string): Slot | null => {
  const { images } = useCoam.getState();
  if (images.A?.id === imageId) return 'A';
  if (images.B?.id === imageId) return 'B';
  return null;
};

const CODE_NAMES: Record<string, string> = {
  'not-an-image': 'Not an image',
  'unsupported-format': 'Format not supported',
  'corrupt-image': 'Corrupt or truncated image',
  'empty-image': 'Empty image',
  'image-too-large': 'Image too large',
  'image-unusable': 'Image unusable',
  'model-contract': 'Model breaks the contract',
  'model-load': 'Model could not be loaded',
  inference: 'Inference failed',
  'bad-argument': 'Bad argument',
  internal: 'Unexpected error',
};

export function describeError(code: string, message: string): string {
  return `${CODE_NAMES[code] ?? code}: ${message}`;
}

function onWorkerMessage(msg: FromWorker): void {
  const s = useCoam.getState();
  switch (msg.type) {
    case 'progress':
      if (msg.runId !== undefined && msg.runId !== s.run.runId) return;
      useCoam.setState({ progress: { stage: msg.stage, fraction: msg.fraction } });
      return;
    case 'interim':
      if (msg.runId !== s.run.runId || s.run.status !== 'running') return;
      useCoam.setState({ result: msg.result, run: { ...s.run, interim: true }, geometry: null, inspect: null });
      return;
    case 'model':
      useCoam.setState({
        model: {
          status: 'ready',
          label: msg.label,
          info: msg.info,
          backend: msg.backend,
          fallbackReason: msg.fallbackReason,
          threads: msg.threads,
          loadMs: msg.loadMs,
          fetchMs: msg.fetchMs,
          attentionLevels: msg.attentionLevels,
        },
        // A new model invalidates the old result (a mid-run fallback to WASM does not).
        ...(msg.keepRun ? {} : { progress: null, run: { status: 'idle' as const, runId: s.run.runId } }),
      });
      clearNotices('model');
      {
        const level = useCoam.getState().attentionLevel;
        const levels = msg.attentionLevels;
        if (level && levels.length && !levels.includes(level)) notify('info', `Parameter "level": this model's co-attention levels are ${levels.join(' and ')}; showing ${levels[0]}.`, 'url');
      }
      // The note that a model fell back stays until a model of the user's loads.
      if (msg.label !== BUNDLED_LABEL) clearNotices('model fallback');
      if (!msg.keepRun) {
        modelLoading = null;
        maybeRun();
      }
      return;
    case 'decoded': {
      const slot = slotOf(msg.imageId);
      if (!slot) return;
      const entry = s.images[slot]!;
      const info = s.model.info ?? (bundledInfo as unknown as ModelInfo);
      const problem = sizeProblem(msg.width, msg.height, s.longSide ?? info.inputSize.longSide, info.multiple);
      if (problem) {
        onWorkerMessage({ type: 'error', scope: 'image', imageId: msg.imageId, code: 'image-unusable', message: problem });
        return;
      }
      useCoam.setState({
        images: { ...s.images, [slot]: { ...entry, status: 'ready', width: msg.width, height: msg.height } },
      });
      clearNotices(`image ${slot}`);
      maybeRun();
      return;
    }
    case 'result': {
      if (msg.runId !== s.run.runId) return;
      const summary: RunSummary = {
        imageA: s.run.imageA!,
        imageB: s.run.imageB!,
        longSide: s.run.longSide!,
        search: s.run.search!,
        maxRatio: s.run.maxRatio!,
        conditioning: s.run.conditioning!,
        matches: msg.result.matches.length,
        inliers: [],
      };
      useCoam.setState({
        result: msg.result,
        run: { ...s.run, status: 'done', interim: false },
        progress: null,
        geometry: null,
        inspect: null,
        summaries: [...s.summaries.filter((x) => x.conditioning !== summary.conditioning), summary],
      });
      clearNotices('run');
      return;
    }
    case 'geometry': {
      if (msg.requestId !== pendingGeometry?.requestId) return;
      const { runId, k } = pendingGeometry;
      pendingGeometry = null;
      const cond = s.run.conditioning;
      useCoam.setState({
        geometry: { runId, k, kind: msg.kind, matrix: msg.matrix, inliers: msg.inliers, inlierCount: msg.inlierCount, ms: msg.ms },
        summaries:
          runId === s.run.runId
            ? s.summaries.map((x) =>
                x.conditioning === cond
                  ? { ...x, inliers: [...x.inliers.filter((i) => i.kind !== msg.kind || i.k !== k), { kind: msg.kind, k, count: msg.inlierCount }] }
                  : x,
              )
            : s.summaries,
      });
      return;
    }
    case 'attention': {
      if (msg.requestId !== pendingAttention?.requestId) return;
      pendingAttention = null;
      const { requestId: _id, type: _type, ...attention } = msg;
      useCoam.setState({ attention });
      clearNotices('attention');
      return;
    }
    case 'probe':
      probes.get(msg.requestId)?.(msg);
      probes.delete(msg.requestId);
      return;
    case 'error': {
      const text = describeError(msg.code, msg.message);
      if (msg.scope === 'image' && msg.imageId) {
        const slot = slotOf(msg.imageId);
        if (!slot) return;
        const entry = s.images[slot]!;
        entry.bitmap?.close();
        useCoam.setState({ images: { ...s.images, [slot]: { ...entry, status: 'error', error: text, bitmap: null } } });
        notify('error', `Image ${slot} (${entry.name}): ${text}`, `image ${slot}`);
      } else if (msg.scope === 'model') {
        // The worker keeps the model it had; with none, a model of the user's gives way to the bundled one.
        const failed = modelLoading;
        modelLoading = null;
        const fallBack = !s.model.info && failed !== null && failed.kind !== 'split';
        const name = failed?.kind === 'url' ? failed.url : failed?.label ?? 'the model';
        const cause = msg.code === 'internal' ? msg.message : text;
        const then = s.model.info ? `; still using ${s.model.label}` : fallBack ? '; using the bundled model instead' : '';
        useCoam.setState({ model: { ...s.model, status: s.model.info ? 'ready' : 'error' }, progress: null });
        notify('error', `Model ${name} could not be loaded (${cause})${then}.`, fallBack ? 'model fallback' : 'model');
        if (fallBack) loadBundledModel();
      } else if (msg.scope === 'run') {
        if (msg.runId !== s.run.runId) return;
        useCoam.setState({ run: { ...s.run, status: 'error' }, progress: null });
        notify('error', `Matching failed: ${text}`, 'run');
      } else if (msg.scope === 'attention') {
        if (msg.requestId !== pendingAttention?.requestId) return;
        pendingAttention = null;
        notify('error', `Attention: ${text}`, 'attention');
      } else if (msg.scope === 'geometry') {
        pendingGeometry = null;
        notify('error', `RANSAC: ${text}`, 'geometry');
      }
      return;
    }
  }
}

/** Runs the pair when both images and the model are ready and the result is not already theirs. */
export function maybeRun(force = false): void {
  const s = useCoam.getState();
  const a = s.images.A;
  const b = s.images.B;
  if (!a || !b || a.status !== 'ready' || b.status !== 'ready' || s.model.status !== 'ready' || !s.model.info) return;
  const longSide = s.longSide ?? s.model.info.inputSize.longSide;
  const same =
    s.run.imageA === a.id && s.run.imageB === b.id && s.run.conditioning === s.conditioning && s.run.search === s.search && s.run.maxRatio === s.maxRatio && s.run.longSide === longSide;
  if (same && !force && s.run.status !== 'idle') return;
  const runId = s.run.runId + 1;
  useCoam.setState({
    run: { status: 'running', runId, imageA: a.id, imageB: b.id, conditioning: s.conditioning, search: s.search, maxRatio: s.maxRatio, longSide },
    progress: { stage: 'preprocess', fraction: 0 },
    inferenceRuns: s.inferenceRuns + 1,
  });
  send({
    type: 'match',
    runId,
    imageA: a.id,
    imageB: b.id,
    longSide,
    conditioning: s.conditioning,
    search: s.search,
    maxRatio: s.maxRatio,
  });
}

// Each slot's loads are ordered: every request (a file, a URL, a sample) takes a ticket, and one
// that is no longer its slot's latest when its bytes arrive is dropped, so a slow download never
// overwrites a newer choice nor pairs with another request's image.
let ticketCounter = 0;
const latestTicket: Record<Slot, number> = { A: 0, B: 0 };
const takeTicket = (slot: Slot): number => (latestTicket[slot] = ++ticketCounter);
const isLatest = (slot: Slot, ticket: number): boolean => latestTicket[slot] === ticket;

/** Puts a file (or any blob) into a slot: the worker decodes it, the page keeps a sharp display copy. */
export async function setImage(slot: Slot, blob: Blob, name: string, shareRef?: string, ticket = takeTicket(slot)): Promise<void> {
  let bytes = await blob.arrayBuffer();
  let svgError: string | null = null;
  if (foreignFormat(new Uint8Array(bytes, 0, Math.min(bytes.byteLength, 1024))) === 'svg') {
    try {
      blob = await rasteriseSvg(blob);
      bytes = await blob.arrayBuffer();
    } catch (e) {
      svgError = (e as Error).message;
    }
  }
  if (!isLatest(slot, ticket)) return;
  const id = `img-${++imageCounter}`;
  const s = useCoam.getState();
  const old = s.images[slot];
  const otherSlot: Slot = slot === 'A' ? 'B' : 'A';
  if (old && old.id !== s.images[otherSlot]?.id) {
    old.bitmap?.close();
    send({ type: 'forget', imageId: old.id });
  }
  useCoam.setState({
    images: { ...s.images, [slot]: { id, name, shareRef, status: 'decoding', bitmap: null, width: 0, height: 0 } },
    ...staleResult(s),
  });
  if (svgError !== null) {
    onWorkerMessage({ type: 'error', scope: 'image', imageId: id, code: 'corrupt-image', message: svgError });
    return;
  }
  const dec = getDecoder();
  if (dec) dec.postMessage({ imageId: id, bytes } satisfies DecodeRequest, [bytes]);
  else send({ type: 'decode', imageId: id, bytes }, [bytes]);
  try {
    const bitmap = await displayBitmap(blob);
    const cur = useCoam.getState().images[slot];
    if (cur?.id === id && cur.status !== 'error') useCoam.setState({ images: { ...useCoam.getState().images, [slot]: { ...cur, bitmap } } });
    else bitmap.close();
  } catch {
    // The worker's decoder is the judge of what is an image; it reports why this one is not.
  }
}

/** Longest side of the display copy: sharp on any screen, and within every GPU's texture limit. */
const DISPLAY_MAX_SIDE = 4096;

async function displayBitmap(blob: Blob): Promise<ImageBitmap> {
  const full = await createImageBitmap(blob, { imageOrientation: 'from-image' });
  const long = Math.max(full.width, full.height);
  if (long <= DISPLAY_MAX_SIDE) return full;
  const f = DISPLAY_MAX_SIDE / long;
  const small = await createImageBitmap(full, {
    resizeWidth: Math.max(1, Math.round(full.width * f)),
    resizeHeight: Math.max(1, Math.round(full.height * f)),
    resizeQuality: 'high',
  });
  full.close();
  return small;
}

/** Largest side an SVG is drawn at (it has no pixels of its own; its own size when it has one). */
const SVG_MAX_SIDE = 4096;

/**
 * SVG has no decoder off the page (createImageBitmap refuses it in chromium): the page draws it
 * once, as an <img> would (no scripts, no outside requests), into a PNG that takes the usual path.
 */
async function rasteriseSvg(blob: Blob): Promise<Blob> {
  const url = URL.createObjectURL(new Blob([blob], { type: 'image/svg+xml' }));
  try {
    const img = new Image();
    img.src = url;
    try {
      await img.decode();
    } catch {
      throw new Error('This SVG could not be drawn by this browser (it is damaged, or not an SVG image).');
    }
    let width = img.naturalWidth || 1024;
    let height = img.naturalHeight || Math.round(width * 0.75);
    const f = Math.min(1, SVG_MAX_SIDE / Math.max(width, height));
    width = Math.max(1, Math.round(width * f));
    height = Math.max(1, Math.round(height * f));
    const canvas = new OffscreenCanvas(width, height);
    const ctx = canvas.getContext('2d')!;
    ctx.fillStyle = '#fff'; // transparent parts on white, as for every other image
    ctx.fillRect(0, 0, width, height);
    ctx.drawImage(img, 0, 0, width, height);
    return await canvas.convertToBlob({ type: 'image/png' });
  } finally {
    URL.revokeObjectURL(url);
  }
}

export async function setImageFromUrl(slot: Slot, ref: ImageRef): Promise<void> {
  const ticket = takeTicket(slot);
  try {
    const r = await fetch(ref.url);
    if (!r.ok) throw new Error(`HTTP ${r.status}`);
    const blob = await r.blob();
    await setImage(slot, blob, ref.name, ref.shareRef, ticket);
  } catch (e) {
    if (!isLatest(slot, ticket)) return; // a newer choice for this slot: this one's failure is moot
    notify('error', `Image ${slot} (${ref.name}) could not be fetched: ${(e as Error).message}`, `image ${slot}`);
  }
}

/** Two files dropped at once fill both slots; one file fills the empty slot (A first), else B. */
export function setFiles(files: File[], target?: Slot): void {
  const images = files.slice(0, 2);
  if (images.length === 0) return;
  if (images.length === 2 && !target) {
    void setImage('A', images[0], images[0].name);
    void setImage('B', images[1], images[1].name);
    return;
  }
  const { A } = useCoam.getState().images;
  const slot: Slot = target ?? (!A || A.status === 'error' ? 'A' : 'B');
  void setImage(slot, images[0], images[0].name);
}

export function loadSample(pairId: string): void {
  const pair = SAMPLE_PAIRS.find((p) => p.id === pairId);
  if (!pair) return;
  void setImageFromUrl('A', { name: pair.a, url: sampleUrl(pair.a), shareRef: pair.a });
  void setImageFromUrl('B', { name: pair.b, url: sampleUrl(pair.b), shareRef: pair.b });
}

export function swapImages(): void {
  const s = useCoam.getState();
  useCoam.setState({ images: { A: s.images.B, B: s.images.A }, ...staleResult(s) });
  maybeRun();
}

/** New inputs: the old lines must not be drawn over them, and a run still in flight is ignored. */
function staleResult(s: CoamState): Partial<CoamState> {
  return { result: null, geometry: null, inspect: null, progress: null, run: { status: 'idle', runId: s.run.runId + 1 } };
}

export function setConditioning(conditioning: CoamState['conditioning']): void {
  useCoam.setState({ conditioning });
  maybeRun();
}

/** Test-time views: 'auto' (default), 'full', 'always' or 'off'. Re-runs. */
export function setSearch(search: CoamState['search']): void {
  useCoam.setState({ search });
  maybeRun();
}

/** The ratio test's threshold (1: off). Re-matches (the network runs again). */
export function setMaxRatio(maxRatio: number): void {
  useCoam.setState({ maxRatio });
  maybeRun();
}

/** The network's input size (long side, pixels); null: the model sidecar's. Re-runs. */
export function setLongSide(longSide: number | null): void {
  useCoam.setState({ longSide });
  maybeRun();
}

export function rerun(): void {
  maybeRun(true);
}

/** The load in flight (without its bytes), to name it if it fails. */
let modelLoading: { kind: ModelSource['kind']; label: string; url?: string } | null = null;
const BUNDLED_LABEL = 'bundled model';

export function loadModel(source: ModelSource): void {
  modelLoading = { kind: source.kind, label: source.label, url: source.kind === 'url' ? source.url : undefined };
  useCoam.setState((s) => ({ model: { ...s.model, status: 'loading', label: source.label }, progress: { stage: 'download', fraction: 0 } }));
  send(
    { type: 'load-model', source, fallbackInfo: bundledInfo as unknown as ModelInfo, prefer: preferBackend, threads: wasmThreadCount },
    source.kind === 'bytes' ? [source.bytes] : [],
  );
}

export function loadBundledModel(): void {
  const href = (url: string) => new URL(url, document.baseURI).href;
  // The encoder/decoder split holds all of coam.onnx's weights: the contract graph is not fetched.
  loadModel({
    kind: 'split',
    encoderUrl: href(encoderUrl),
    decoderUrl: href(decoderUrl),
    ...((bundledInfo as { attention?: unknown }).attention ? { attentionUrl: href(attentionUrl) } : {}),
    label: BUNDLED_LABEL,
    cache: true,
  });
}

/** A user's own model: an .onnx file, optionally with its .json sidecar (else the bundled sidecar applies). */
export async function loadModelFiles(files: File[]): Promise<void> {
  const onnx = files.find((f) => f.name.toLowerCase().endsWith('.onnx')) ?? files[0];
  const json = files.find((f) => f.name.toLowerCase().endsWith('.json'));
  if (!onnx) return;
  let info: unknown;
  if (json) {
    try {
      info = JSON.parse(await json.text());
    } catch {
      notify('error', `Model: the sidecar ${json.name} is not valid JSON.`, 'model');
      return;
    }
  }
  loadModel({ kind: 'bytes', bytes: await onnx.arrayBuffer(), info, label: onnx.name });
}

export function loadModelUrl(ref: ImageRef): void {
  const infoUrl = ref.url.replace(/\.onnx(\?.*)?$/i, '.json$1');
  loadModel({ kind: 'url', url: ref.url, infoUrl: infoUrl !== ref.url ? infoUrl : undefined, label: ref.name });
}

// Geometry: requested for the shown prefix whenever RANSAC is on and the current answer is stale.
let pendingGeometry: { requestId: number; runId: number; k: number; kind: string } | null = null;
let geometryTimer: ReturnType<typeof setTimeout> | null = null;

function requestGeometry(): void {
  const s = useCoam.getState();
  if (s.ransac === 'off' || !s.result || s.run.status !== 'done') return;
  const k = shownCount(s);
  if (currentGeometry(s)) return;
  if (pendingGeometry && pendingGeometry.runId === s.run.runId && pendingGeometry.k === k && pendingGeometry.kind === s.ransac) return;
  const matches = s.result.matches.slice(0, k);
  const requestId = ++requestCounter;
  pendingGeometry = { requestId, runId: s.run.runId, k, kind: s.ransac };
  send({ type: 'geometry', requestId, kind: s.ransac, src: matches.map((m) => m.xyA), dst: matches.map((m) => m.xyB) });
}

useCoam.subscribe((s, prev) => {
  if (s.ransac === prev.ransac && s.result === prev.result && s.k === prev.k && s.run === prev.run) return;
  if (geometryTimer) clearTimeout(geometryTimer);
  // K can move many times a second while dragging; fit once it settles.
  geometryTimer = setTimeout(requestGeometry, s.k === prev.k ? 0 : 120);
});

// The attention view: the co-attention at the query point, asked of the worker (which holds the
// run's encodings) once the run is done, and again when the point or the run changes.
let pendingAttention: { requestId: number; runId: number; from: Slot; xy: Point } | null = null;

function requestAttention(): void {
  const s = useCoam.getState();
  const q = s.attentionQuery;
  if (s.view !== 'attention' || !q || !s.result || s.run.status !== 'done' || !s.model.attentionLevels?.length) return;
  if (currentAttention(s)) return;
  const p = pendingAttention;
  if (p && p.runId === s.run.runId && p.from === q.from && p.xy[0] === q.xy[0] && p.xy[1] === q.xy[1]) return;
  const requestId = ++requestCounter;
  pendingAttention = { requestId, runId: s.run.runId, from: q.from, xy: q.xy };
  send({ type: 'attention', requestId, runId: s.run.runId, from: q.from, xy: q.xy });
}

useCoam.subscribe((s, prev) => {
  if (s.view === prev.view && s.attentionQuery === prev.attentionQuery && s.run === prev.run && s.result === prev.result && s.model === prev.model) return;
  requestAttention();
});

/** The attention view on or off (the matches' view). */
export function setView(view: CoamState['view']): void {
  useCoam.setState({ view, inspect: null });
}

/** The co-attention at a point of A (over B) or of B (over A), in that image's original pixels. */
export function queryAttention(from: Slot, xy: Point): void {
  const entry = useCoam.getState().images[from];
  if (!entry || !(entry.width > 0)) return;
  const clamp = (v: number, n: number) => Math.min(n - 1, Math.max(0, Math.round(v)));
  useCoam.setState({ attentionQuery: { from, xy: [clamp(xy[0], entry.width), clamp(xy[1], entry.height)] } });
}

export function setAttentionLevel(level: string): void {
  useCoam.setState({ attentionLevel: level });
}

/** Test hook: dense outputs of a tiny synthetic pair on one backend. */
export function probeBackend(backend: BackendName, size: number): Promise<FromWorker & { type: 'probe' }> {
  const requestId = ++requestCounter;
  return new Promise((resolve) => {
    probes.set(requestId, resolve);
    send({ type: 'probe', requestId, backend, size });
  });
}

/** Applies URL parameters and starts loading the model and any images named there. */
export function start(url: UrlSettings): void {
  preferBackend = url.backend ?? 'auto';
  wasmThreadCount = url.threads ?? 0;
  useCoam.setState((s) => ({
    k: url.k ?? s.k,
    layout: url.layout ?? s.layout,
    heatmap: url.heatmap ?? s.heatmap,
    ransac: url.ransac ?? s.ransac,
    conditioning: url.conditioning ?? s.conditioning,
    search: url.search ?? s.search,
    maxRatio: url.ratio ?? s.maxRatio,
    longSide: url.longSide ?? null,
    embed: url.embed,
    presentation: url.present,
    view: url.view ?? s.view,
    attentionQuery: url.point ? { from: url.from ?? 'A', xy: url.point } : s.attentionQuery,
    attentionLevel: url.level ?? s.attentionLevel,
  }));
  // One note for all of them: the page shows four notes at most, and these come together.
  if (url.warnings.length) notify('info', url.warnings.join(' '), 'url');
  if (url.model) loadModelUrl(url.model);
  else loadBundledModel();
  if (url.a) void setImageFromUrl('A', url.a);
  if (url.b) void setImageFromUrl('B', url.b);
}
