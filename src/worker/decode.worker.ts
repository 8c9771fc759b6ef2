/// <reference lib="webworker" />
/**
 * Decodes images with the core's decoder on a thread of their own, so a JPEG decode never waits
 * for, or delays, the model's compilation or a run. The page forwards the pixels (transferred,
 * not copied) to the inference worker.
 */
import { isCoamError } from '../core/errors';
import { decodeImage } from '../core/image';

declare const self: DedicatedWorkerGlobalScope;

export type DecodeRequest = { imageId: string; bytes: ArrayBuffer };
export type DecodeReply =
  | { imageId: string; ok: true; width: number; height: number; data: Uint8ClampedArray | Uint8Array; ms: number }
  | { imageId: string; ok: false; code: string; message: string };

self.onmessage = (event: MessageEvent<DecodeRequest>) => {
  const { imageId, bytes } = event.data;
  const t0 = performance.now();
  try {
    const raster = decodeImage(new Uint8Array(bytes));
    const reply: DecodeReply = { imageId, ok: true, width: raster.width, height: raster.height, data: raster.data, ms: performance.now() - t0 };
    self.postMessage(reply, [raster.data.buffer as ArrayBuffer]);
  } catch (e) {
    const reply: DecodeReply = isCoamError(e)
      ? { imageId, ok: false, code: e.code, message: e.message }
      : { imageId, ok: false, code: 'internal', message: e instanceof Error ? e.message : String(e) };
    self.postMessage(reply);
  }
};
