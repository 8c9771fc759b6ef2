/// <reference lib="webworker" />
/**
 * The one place in the browser that owns the ORT session. It loads the model (the bundled model as
 * its encoder/decoder split alone: each image encoded once per pair, and half the download; a
 * user's model through its one contract graph), keeps the images the page's decode worker decoded
 * (decoding here only when that worker could not start), runs the pair both ways with the
 * test-time views, matches, fits RANSAC geometry, and probes a backend on request. It answers with
 * the nine kinds of `FromWorker` message: progress, model, decoded, interim, result, geometry,
 * probe, attention, and error with a typed code; a result's dense arrays are transferred, not copied.
 * It keeps the latest run's encodings of the kept view, so the attention view's clicks run only
 * the small co-attention graph, for the clicked cell.
 */
import { CoamError, isCoamError, type CoamErrorCode } from '../core/errors';
import type { ModelInfo, PairResult, RasterImage } from '../core/types';
import { decodeImage, prepareImage } from '../core/image';
import { CoamModel, inferModelInfo, parseModelInfo, type SplitGraphs } from '../core/model';
import { matchPair, type KeptEncodings } from '../core/pipeline';
import { levelStride, queryCells, unturnedRow, type AttentionLevel } from '../core/attention';
import { ransacFundamental, ransacHomography } from '../core/geometry';
import { loadOrt, requestThreads, wasmThreads, webgpuUnavailableReason } from './ort-loader';
import type { BackendName, FromWorker, ModelSource, ToWorker } from './protocol';

declare const self: DedicatedWorkerGlobalScope;

let model: CoamModel | null = null;
/** The contract graph's bytes; null for the bundled model, which comes as its split alone. */
let modelBytes: Uint8Array | null = null;
/** The bundled model's encoder/decoder graphs (each image encoded once per pair) and its attention graph; null for others. */
let splitBytes: SplitBytes | null = null;
type SplitBytes = { encoder: Uint8Array; decoder: Uint8Array; attention?: Uint8Array };
/** The latest run's encodings of its kept view (the attention view reads them); freed when replaced. */
let kept: (KeptEncodings & { runId: number }) | null = null;

function keep(next: (KeptEncodings & { runId: number }) | null): void {
  if (kept) {
    kept.a.dispose();
    kept.b.dispose();
  }
  kept = next;
}
let modelInfo: ModelInfo | null = null;
let modelLabel = '';
let loading: Promise<void> | null = null;
const rasters = new Map<string, RasterImage>();


function post(msg: FromWorker, transfer: Transferable[] = []): void {
  self.postMessage(msg, transfer);
}

/** A result's four dense arrays, moved to the page rather than copied. */
function denseBuffers(result: PairResult): Transferable[] {
  const { denseA, denseB } = result;
  return [denseA.descriptors.buffer, denseA.distinctiveness.buffer, denseB.descriptors.buffer, denseB.distinctiveness.buffer] as Transferable[];
}

function errorOf(e: unknown): { code: CoamErrorCode | 'internal'; message: string } {
  if (isCoamError(e)) return { code: e.code, message: e.message };
  const message = e instanceof Error ? e.message : String(e);
  return { code: 'internal', message: message || 'unknown error' };
}

const MODEL_CACHE = 'coam-models-v1';

/**
 * Fetches one file, reporting bytes received and the total (0 when the server does not say).
 * With a cache, reads from and keeps a copy in Cache Storage so a reload does not download again
 * (only for content-hashed URLs: a user's URL may change behind our back).
 */
async function fetchBytes(url: string, onBytes: (received: number, total: number) => void, cache: Cache | null): Promise<Uint8Array> {
  const cached = cache ? await cache.match(url).catch(() => undefined) : undefined;
  const response = cached ?? (await fetch(url));
  if (!response.ok) throw new Error(`HTTP ${response.status} for ${url}`);
  const total = Number(response.headers.get('content-length')) || 0;
  onBytes(0, total);
  let bytes: Uint8Array;
  if (!response.body) {
    bytes = new Uint8Array(await response.arrayBuffer());
  } else {
    const reader = response.body.getReader();
    const chunks: Uint8Array[] = [];
    let received = 0;
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      chunks.push(value);
      received += value.byteLength;
      onBytes(received, total);
    }
    bytes = new Uint8Array(received);
    let offset = 0;
    for (const c of chunks) {
      bytes.set(c, offset);
      offset += c.byteLength;
    }
  }
  if (cache && !cached) {
    const headers = { 'content-type': 'application/octet-stream', 'content-length': String(bytes.byteLength) };
    await cache.put(url, new Response(bytes.slice(), { headers })).catch(() => undefined);
  }
  onBytes(bytes.byteLength, bytes.byteLength);
  return bytes;
}

/**
 * Fetches the model's files together; one download fraction over all of them: bytes received over
 * the bytes the files add up to once every size is known, else the share of files finished. With
 * `useCache`, the cache keeps these files and drops any earlier build's (one bundled model at a time).
 */
async function fetchAll(urls: string[], onFraction: (f: number) => void, useCache: boolean): Promise<Uint8Array[]> {
  const cache = useCache && typeof caches !== 'undefined' ? await caches.open(MODEL_CACHE).catch(() => null) : null;
  const received = urls.map(() => 0);
  const totals: Array<number | null> = urls.map(() => null); // null: headers not in yet; 0: unknown size
  const finished = urls.map(() => false);
  let shown = 0;
  const report = () => {
    const sized = totals.every((t) => t !== null && t > 0);
    const sum = (xs: Array<number | null>) => xs.reduce<number>((a, x) => a + (x ?? 0), 0);
    const f = sized ? sum(received) / sum(totals) : finished.filter(Boolean).length / urls.length;
    // Never backwards (a compressed response's length is not its body's), never 1 before the end,
    // and only when it moves (a chunk per message would flood the page).
    const next = Math.min(finished.every(Boolean) ? 1 : 0.99, f);
    if (next >= shown + 0.005 || (next === 1 && shown < 1)) {
      shown = next;
      onFraction(shown);
    }
  };
  const files = await Promise.all(
    urls.map((url, i) =>
      fetchBytes(
        url,
        (r, t) => {
          received[i] = r;
          totals[i] = t;
          report();
        },
        cache,
      ).then((bytes) => {
        finished[i] = true;
        report();
        return bytes;
      }),
    ),
  );
  if (cache) {
    for (const old of await cache.keys().catch(() => [])) {
      if (!urls.includes(old.url)) await cache.delete(old).catch(() => undefined);
    }
  }
  if (shown < 1) onFraction(1);
  return files;
}

async function fetchInfo(url: string): Promise<unknown | undefined> {
  try {
    const r = await fetch(url);
    if (!r.ok) return undefined;
    return await r.json();
  } catch {
    return undefined;
  }
}

async function createOn(
  backend: BackendName,
  bytes: Uint8Array | null,
  info: ModelInfo,
  split: SplitBytes | null = null,
): Promise<CoamModel> {
  const ort = await loadOrt(backend);
  // ORT may take ownership of the buffers; hand it copies so a fallback can retry with the originals.
  const graphs: SplitGraphs | undefined = split ? { encoder: split.encoder.slice(), decoder: split.decoder.slice() } : undefined;
  const attention = split?.attention?.slice();
  return CoamModel.create(ort, bytes ? bytes.slice() : null, info, {
    executionProviders: [backend],
    ...(graphs ? { split: graphs } : {}),
    ...(attention ? { attention } : {}),
  });
}

async function loadModel(source: ModelSource, fallbackInfo: ModelInfo, prefer: BackendName | 'auto'): Promise<void> {
  const t0 = performance.now();
  post({ type: 'progress', stage: 'download', fraction: 0 });
  let bytes: Uint8Array | null = null;
  let rawInfo: unknown;
  let split: SplitBytes | null = null;
  const onFraction = (f: number) => post({ type: 'progress', stage: 'download', fraction: f });
  if (source.kind === 'url') {
    [bytes] = await fetchAll([source.url], onFraction, source.cache === true);
    rawInfo = source.infoUrl ? await fetchInfo(source.infoUrl) : undefined;
  } else if (source.kind === 'split') {
    const urls = [source.encoderUrl, source.decoderUrl, ...(source.attentionUrl ? [source.attentionUrl] : [])];
    const [encoder, decoder, attention] = await fetchAll(urls, onFraction, source.cache === true);
    split = { encoder, decoder, ...(attention ? { attention } : {}) };
    rawInfo = fallbackInfo;
  } else {
    bytes = new Uint8Array(source.bytes);
    rawInfo = source.info;
  }
  // The bundled model always has its sidecar; a user's model without one is probed for its numbers.
  const info =
    rawInfo !== undefined
      ? parseModelInfo(rawInfo)
      : source.kind === 'url' && !source.infoUrl
        ? parseModelInfo(fallbackInfo)
        : await inferModelInfo(await loadOrt('wasm'), (bytes as Uint8Array).slice(), { name: source.label, longSide: fallbackInfo.inputSize.longSide });

  const tFetched = performance.now();
  post({ type: 'progress', stage: 'compile', fraction: 0 });
  let fallbackReason: string | undefined;
  let next: CoamModel | null = null;
  let backend: BackendName = 'wasm';
  if (prefer !== 'wasm') {
    fallbackReason = (await webgpuUnavailableReason()) ?? undefined;
    if (!fallbackReason) {
      try {
        next = await createOn('webgpu', bytes, info, split);
        backend = 'webgpu';
      } catch (e) {
        // A contract error is the model's fault, not the GPU's: report it instead of retrying.
        if (isCoamError(e) && e.code === 'model-contract') throw e;
        fallbackReason = `WebGPU failed: ${errorOf(e).message}`;
      }
    }
  }
  if (!next) next = await createOn('wasm', bytes, info, split);
  post({ type: 'progress', stage: 'compile', fraction: 1 });

  keep(null);
  void model?.release();
  model = next;
  modelBytes = bytes;
  splitBytes = split;
  modelInfo = info;
  modelLabel = source.label;
  post({
    type: 'model',
    info,
    backend,
    fallbackReason: prefer === 'wasm' ? 'WASM requested' : fallbackReason,
    threads: backend === 'wasm' ? wasmThreads() : 0,
    loadMs: performance.now() - t0,
    fetchMs: tFetched - t0,
    label: source.label,
    attentionLevels: [...next.attentionLevels],
  });
}

async function probe(requestId: number, backend: BackendName, size: number): Promise<void> {
  if (!modelInfo || (!modelBytes && !splitBytes)) throw new Error('no model loaded');
  if (backend === 'webgpu') {
    const reason = await webgpuUnavailableReason();
    if (reason) {
      post({ type: 'probe', requestId, backend, ok: false, reason });
      return;
    }
  }
  // A deterministic, textured pair: two phase-shifted gradients.
  const make = (phase: number): RasterImage => {
    const data = new Uint8ClampedArray(size * size * 4);
    for (let y = 0; y < size; y++)
      for (let x = 0; x < size; x++) {
        const i = (y * size + x) * 4;
        data[i] = (128 + 127 * Math.sin((x + phase) * 0.4)) | 0;
        data[i + 1] = (128 + 127 * Math.cos((y - phase) * 0.3)) | 0;
        data[i + 2] = ((x * y + phase * 7) % 256) | 0;
        data[i + 3] = 255;
      }
    return { width: size, height: size, data };
  };
  const m = await createOn(backend, modelBytes, modelInfo, splitBytes);
  try {
    const a = prepareImage(make(0), size, modelInfo.multiple);
    const b = prepareImage(make(3), size, modelInfo.multiple);
    await m.run(a, b); // warm-up: the first run compiles kernels
    const t0 = performance.now();
    const dense = await m.run(a, b);
    const ms = performance.now() - t0;
    post(
      {
        type: 'probe',
        requestId,
        backend: m.backend as BackendName,
        ok: true,
        ms,
        graphs: m.hasContractGraph ? 'contract' : 'split',
        descriptors: dense.descriptors,
        distinctiveness: dense.distinctiveness,
      },
      [dense.descriptors.buffer, dense.distinctiveness.buffer],
    );
  } finally {
    await m.release();
  }
}

/** The co-attention at one point, from the kept view's encodings: each level's row for that cell. */
async function attentionAt(msg: ToWorker & { type: 'attention' }): Promise<FromWorker & { type: 'attention' }> {
  const t0 = performance.now();
  if (!model?.hasAttention) throw new CoamError('bad-argument', "This model has no attention graph (its sidecar names no 'attention').");
  const encodings = kept;
  if (!encodings || encodings.runId !== msg.runId) throw new CoamError('bad-argument', 'The attention view needs the finished run of this pair; run it again.');
  const levels = model.attentionLevels.map((level) => ({ level, stride: levelStride(level) ?? NaN }));
  const queries = queryCells(msg.from, msg.xy, encodings, levels);
  const [image, condition] = msg.from === 'A' ? [encodings.a, encodings.b] : [encodings.b, encodings.a];
  const rows = await model.attention(image, condition, queries.map((q) => q.cellFed));
  const to = msg.from === 'A' ? 'B' : 'A';
  const out: AttentionLevel[] = rows.map((row, i) => ({
    level: row.level,
    stride: queries[i].stride,
    cell: queries[i].cell,
    ...unturnedRow(row.weights, to, encodings, queries[i].stride),
  }));
  return { type: 'attention', requestId: msg.requestId, runId: msg.runId, from: msg.from, xy: msg.xy, levels: out, ms: performance.now() - t0 };
}

async function handle(msg: ToWorker): Promise<void> {
  switch (msg.type) {
    case 'load-model': {
      if (msg.threads) requestThreads(msg.threads);
      loading = loadModel(msg.source, msg.fallbackInfo, msg.prefer);
      try {
        await loading;
      } catch (e) {
        post({ type: 'error', scope: 'model', ...errorOf(e) });
      }
      return;
    }
    case 'decode': {
      // Fallback when the page could not start its decode worker: decode here.
      const t0 = performance.now();
      try {
        const raster = decodeImage(new Uint8Array(msg.bytes));
        rasters.set(msg.imageId, raster);
        post({ type: 'decoded', imageId: msg.imageId, width: raster.width, height: raster.height, decodeMs: performance.now() - t0 });
      } catch (e) {
        post({ type: 'error', scope: 'image', imageId: msg.imageId, ...errorOf(e) });
      }
      return;
    }
    case 'put-raster':
      rasters.set(msg.imageId, { width: msg.width, height: msg.height, data: msg.data });
      return;
    case 'forget':
      rasters.delete(msg.imageId);
      return;
    case 'match': {
      const { runId } = msg;
      // A newer run was asked for while this one waited in the queue: it would only be discarded.
      if (runId !== latestRun.runId) return;
      const { signal } = latestRun.controller;
      try {
        if (loading) await loading.catch(() => undefined);
        if (!model) throw new CoamError('model-load', 'The model is not loaded.');
        const a = rasters.get(msg.imageA);
        const b = rasters.get(msg.imageB);
        if (!a || !b) throw new CoamError('bad-argument', 'Both images must be decoded first.');
        const options = {
          longSide: msg.longSide,
          conditioning: msg.conditioning,
          search: msg.search,
          match: { maxRatio: msg.maxRatio },
          onUpright: (upright: PairResult) => {
            // The search may still keep these outputs, so send copies, made here and transferred:
            // the page then does not deserialise megabytes on its main thread.
            const copy = (d: PairResult['denseA']) => ({ ...d, descriptors: d.descriptors.slice(), distinctiveness: d.distinctiveness.slice() });
            const interim = { ...upright, denseA: copy(upright.denseA), denseB: copy(upright.denseB) };
            post({ type: 'interim', runId, result: interim }, denseBuffers(interim));
          },
          onProgress: (stage: string, fraction: number) => post({ type: 'progress', stage, fraction, runId }),
          signal,
          keepEncoded: (encodings: KeptEncodings) => keep({ ...encodings, runId }),
        };
        keep(null);
        let result;
        try {
          result = await matchPair(model, a, b, options);
        } catch (e) {
          if (signal.aborted || model.backend !== 'webgpu' || !modelInfo || (!modelBytes && !splitBytes)) throw e;
          // A lost device or a failing kernel: switch to WASM for good, say so, and finish this run.
          const t0 = performance.now();
          const next = await createOn('wasm', modelBytes, modelInfo, splitBytes);
          keep(null);
          void model.release();
          model = next;
          post({
            type: 'model',
            info: modelInfo,
            backend: 'wasm',
            fallbackReason: `WebGPU failed while running: ${errorOf(e).message}`,
            threads: wasmThreads(),
            loadMs: performance.now() - t0,
            label: modelLabel,
            keepRun: true,
            attentionLevels: [...next.attentionLevels],
          });
          result = await matchPair(model, a, b, options);
        }
        post({ type: 'result', runId, result }, denseBuffers(result));
      } catch (e) {
        // Stopped for a newer run: the page has moved on and expects nothing from this one.
        if (!signal.aborted) post({ type: 'error', scope: 'run', runId, ...errorOf(e) });
      }
      return;
    }
    case 'geometry': {
      const t0 = performance.now();
      try {
        const fit = msg.kind === 'homography' ? ransacHomography(msg.src, msg.dst) : ransacFundamental(msg.src, msg.dst);
        const matrix = fit ? ('H' in fit ? fit.H : fit.F) : null;
        post({
          type: 'geometry',
          requestId: msg.requestId,
          kind: msg.kind,
          matrix: matrix ? Array.from(matrix) : null,
          inliers: fit ? fit.inliers : null,
          inlierCount: fit ? fit.inlierCount : 0,
          ms: performance.now() - t0,
        });
      } catch (e) {
        post({ type: 'error', scope: 'geometry', requestId: msg.requestId, ...errorOf(e) });
      }
      return;
    }
    case 'attention': {
      try {
        const reply = await attentionAt(msg);
        post(reply, reply.levels.map((l) => l.weights.buffer as ArrayBuffer));
      } catch (e) {
        post({ type: 'error', scope: 'attention', requestId: msg.requestId, runId: msg.runId, ...errorOf(e) });
      }
      return;
    }
    case 'probe': {
      try {
        await probe(msg.requestId, msg.backend, msg.size);
      } catch (e) {
        post({ type: 'probe', requestId: msg.requestId, backend: msg.backend, ok: false, reason: errorOf(e).message });
      }
      return;
    }
  }
}

// Model loads, runs and probes are handled one at a time, in order: a run never overlaps a model
// swap. Images (decoded by the page's decode worker) are stored as soon as they arrive. A 'match'
// request aborts the run in progress as it arrives (the run stops before its next view: the
// test-time views take seconds), and a queued run that a newer one has overtaken is skipped.
let queue: Promise<void> = Promise.resolve();
let latestRun = { runId: -1, controller: new AbortController() };
self.onmessage = (event: MessageEvent<ToWorker>) => {
  const msg = event.data;
  if (msg.type === 'match') {
    latestRun.controller.abort();
    latestRun = { runId: msg.runId, controller: new AbortController() };
  }
  if (msg.type === 'decode' || msg.type === 'forget' || msg.type === 'put-raster') void handle(msg);
  else queue = queue.then(() => handle(msg));
};
