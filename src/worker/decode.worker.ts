/// <reference lib="webworker" />
/**
 * Decodes images on a thread of their own, so a decode never waits for, or delays, the model's
 * compilation or a run. The page forwards the pixels (transferred, not copied) to the inference
 * worker. JPEG, PNG and PPM go through the core's decoders, which are exact (EXIF orientation,
 * CMYK, 16-bit PNG) and the same as the CLI's; every other format goes through the browser's own
 * decoder (createImageBitmap), which reads WebP, GIF, AVIF, BMP and more.
 */
import { CoamError, isCoamError } from '../core/errors';
import { MAX_IMAGE_PIXELS, decodeImage, sniffFormat, unreadableImageError } from '../core/image';
import type { RasterImage } from '../core/types';

declare const self: DedicatedWorkerGlobalScope;

export type DecodeRequest = { imageId: string; bytes: ArrayBuffer };
export type DecodeReply =
  | { imageId: string; ok: true; width: number; height: number; data: Uint8ClampedArray | Uint8Array; ms: number }
  | { imageId: string; ok: false; code: string; message: string };

/** The browser's decoder: EXIF orientation applied, transparent pixels on white as the core does. */
async function decodeWithBrowser(bytes: Uint8Array): Promise<RasterImage> {
  let bitmap: ImageBitmap;
  try {
    bitmap = await createImageBitmap(new Blob([bytes as Uint8Array<ArrayBuffer>]), { imageOrientation: 'from-image' });
  } catch (e) {
    throw unreadableImageError(bytes, true, e instanceof Error ? e.message : undefined);
  }
  try {
    const { width, height } = bitmap;
    if (!(width > 0 && height > 0)) throw new CoamError('empty-image', `The image has zero size (${width}×${height}).`);
    if (width * height > MAX_IMAGE_PIXELS) {
      throw new CoamError('image-too-large', `The image is ${width}×${height} (${((width * height) / 1e6).toFixed(0)} MP); coam reads at most ${MAX_IMAGE_PIXELS / 1e6} MP.`);
    }
    const canvas = new OffscreenCanvas(width, height);
    const ctx = canvas.getContext('2d', { willReadFrequently: true });
    if (!ctx) throw new CoamError('image-too-large', `No canvas for a ${width}×${height} image in this browser.`);
    ctx.fillStyle = '#fff';
    ctx.fillRect(0, 0, width, height);
    ctx.drawImage(bitmap, 0, 0);
    return { width, height, data: ctx.getImageData(0, 0, width, height).data };
  } finally {
    bitmap.close();
  }
}

self.onmessage = async (event: MessageEvent<DecodeRequest>) => {
  const { imageId, bytes } = event.data;
  const t0 = performance.now();
  try {
    const view = new Uint8Array(bytes);
    const raster = view.length === 0 || sniffFormat(view) !== null ? decodeImage(view) : await decodeWithBrowser(view);
    const reply: DecodeReply = { imageId, ok: true, width: raster.width, height: raster.height, data: raster.data, ms: performance.now() - t0 };
    self.postMessage(reply, [raster.data.buffer as ArrayBuffer]);
  } catch (e) {
    const reply: DecodeReply = isCoamError(e)
      ? { imageId, ok: false, code: e.code, message: e.message }
      : { imageId, ok: false, code: 'internal', message: e instanceof Error ? e.message : String(e) };
    self.postMessage(reply);
  }
};
