/**
 * Loads onnxruntime-web for one backend with explicit, bundled wasm paths (no CDN, works offline
 * and from any folder). WebGPU uses the WebGPU build; WASM uses the smaller plain build, so a
 * machine without a GPU never downloads the larger binary.
 */
import type { OrtModule } from '../core/model';
import type { BackendName } from './protocol';

import wasmPlainUrl from 'onnxruntime-web/ort-wasm-simd-threaded.wasm?url';
import mjsPlainUrl from 'onnxruntime-web/ort-wasm-simd-threaded.mjs?url';
import wasmGpuUrl from 'onnxruntime-web/ort-wasm-simd-threaded.asyncify.wasm?url';
import mjsGpuUrl from 'onnxruntime-web/ort-wasm-simd-threaded.asyncify.mjs?url';

const loaded = new Map<BackendName, Promise<OrtModule>>();

let requestedThreads = 0;

/** Set before the first load (the `threads` URL parameter); 0 means automatic. */
export function requestThreads(n: number): void {
  requestedThreads = Math.max(0, Math.min(16, Math.floor(n)));
}

/** Threads for the WASM backend: several only when SharedArrayBuffer is allowed (cross-origin isolated). */
export function wasmThreads(): number {
  const isolated = (globalThis as { crossOriginIsolated?: boolean }).crossOriginIsolated === true;
  if (!isolated) return 1;
  if (requestedThreads > 0) return requestedThreads;
  const cores = (globalThis.navigator?.hardwareConcurrency as number | undefined) ?? 2;
  return Math.max(1, Math.min(4, cores));
}

export function loadOrt(backend: BackendName): Promise<OrtModule> {
  let p = loaded.get(backend);
  if (!p) {
    p = (async () => {
      const ort = (backend === 'webgpu'
        ? await import('onnxruntime-web/webgpu')
        : await import('onnxruntime-web/wasm')) as unknown as OrtModule;
      ort.env.wasm.wasmPaths =
        backend === 'webgpu' ? { wasm: wasmGpuUrl, mjs: mjsGpuUrl } : { wasm: wasmPlainUrl, mjs: mjsPlainUrl };
      ort.env.wasm.numThreads = wasmThreads();
      // We already are a worker; ORT's own proxy worker would only add a copy.
      ort.env.wasm.proxy = false;
      ort.env.logLevel = 'error';
      return ort;
    })();
    loaded.set(backend, p);
  }
  return p;
}

/** Asks for a WebGPU adapter; returns why not when there is none. */
export async function webgpuUnavailableReason(): Promise<string | null> {
  const gpu = (globalThis.navigator as Navigator & { gpu?: { requestAdapter(): Promise<unknown> } }).gpu;
  if (!gpu) return 'WebGPU unavailable: not supported by this browser';
  try {
    const adapter = await gpu.requestAdapter();
    if (!adapter) return 'WebGPU unavailable: no adapter';
  } catch (e) {
    return `WebGPU unavailable: ${(e as Error).message || 'adapter request failed'}`;
  }
  return null;
}
