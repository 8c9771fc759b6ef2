/**
 * Image decoding and pre-processing: file bytes → RGBA pixels (EXIF orientation applied) → the
 * planar float tensor the network is fed, with the per-axis scales to map points back.
 *
 * Browser-safe: no Node imports. Decoders are pure JS (jpeg-js, fast-png) so the worker, the CLI
 * and the tests decode identically.
 *
 * Alpha: transparent pixels are composited on WHITE (the network never sees alpha); every decoded
 * raster comes back with alpha 255.
 */
import * as jpeg from 'jpeg-js';
import { convertIndexedToRgb, decode as decodePng } from 'fast-png';
import { CoamError } from './errors';
import type { Point, PreparedImage, RasterImage } from './types';

/** Beyond this many pixels we refuse to decode (memory in a browser tab is finite). */
export const MAX_IMAGE_PIXELS = 100_000_000;

export type ImageFormat = 'jpeg' | 'png' | 'pnm';

const NOT_AN_IMAGE = 'This file is not an image coam can read (expected JPEG, PNG or PPM)';

/** Formats coam's own decoders do not read; a browser reads most of them (not HEIC or TIFF in chromium). */
export type ForeignFormat = 'webp' | 'gif' | 'avif' | 'heic' | 'bmp' | 'svg' | 'tiff' | 'ico';

export const FOREIGN_FORMAT_NAMES: Record<ForeignFormat, string> = {
  webp: 'WebP', gif: 'GIF', avif: 'AVIF', heic: 'HEIC/HEIF', bmp: 'BMP', svg: 'SVG', tiff: 'TIFF', ico: 'ICO',
};

const ascii = (bytes: Uint8Array, start: number, end: number) => String.fromCharCode(...bytes.subarray(start, end));

/** Which of the formats coam does not decode itself the bytes are, from their signature; null when none. */
export function foreignFormat(bytes: Uint8Array): ForeignFormat | null {
  if (bytes.length >= 12 && ascii(bytes, 0, 4) === 'RIFF' && ascii(bytes, 8, 12) === 'WEBP') return 'webp';
  if (bytes.length >= 6 && (ascii(bytes, 0, 6) === 'GIF87a' || ascii(bytes, 0, 6) === 'GIF89a')) return 'gif';
  if (bytes.length >= 12 && ascii(bytes, 4, 8) === 'ftyp') {
    // ISO-BMFF: the major brand, then the compatible ones, say AVIF or HEIF.
    const size = Math.min(bytes.length, Math.max(16, (bytes[0] << 24) | (bytes[1] << 16) | (bytes[2] << 8) | bytes[3]));
    const brands: string[] = [ascii(bytes, 8, 12)];
    for (let o = 16; o + 4 <= size; o += 4) brands.push(ascii(bytes, o, o + 4));
    if (brands.some((b) => b === 'avif' || b === 'avis')) return 'avif';
    if (brands.some((b) => ['heic', 'heix', 'hevc', 'hevx', 'heim', 'heis', 'mif1', 'msf1'].includes(b))) return 'heic';
    return null;
  }
  if (bytes.length >= 14 && bytes[0] === 0x42 && bytes[1] === 0x4d) return 'bmp';
  if (bytes.length >= 4 && ((bytes[0] === 0x49 && bytes[1] === 0x49 && bytes[2] === 0x2a && bytes[3] === 0) || (bytes[0] === 0x4d && bytes[1] === 0x4d && bytes[2] === 0 && bytes[3] === 0x2a))) return 'tiff';
  if (bytes.length >= 6 && bytes[0] === 0 && bytes[1] === 0 && bytes[2] === 1 && bytes[3] === 0) return 'ico';
  // SVG is text: an optional BOM, XML prolog, comments or doctype, then an <svg element.
  const head = new TextDecoder('utf-8', { fatal: false }).decode(bytes.subarray(0, 1024)).replace(/^\uFEFF/, '').trimStart();
  if (head.startsWith('<') && /<svg[\s>]/i.test(head) && !/^<!doctype html|^<html/i.test(head)) return 'svg';
  return null;
}

/**
 * Why bytes that no decoder read cannot be used, and what to do: named when the signature says
 * which format they are. `browser`: whether a browser's decoder was tried too.
 */
export function unreadableImageError(bytes: Uint8Array, browser: boolean, cause?: string): CoamError {
  const format = foreignFormat(bytes);
  if (format === 'heic') {
    return new CoamError(
      'unsupported-format',
      `This is a HEIC/HEIF photo, which ${browser ? 'this browser cannot decode' : "coam's decoders do not read"}. Save or export it as JPEG (on an iPhone: Settings › Camera › Formats › Most Compatible) and add it again.`,
    );
  }
  if (format) {
    const name = FOREIGN_FORMAT_NAMES[format];
    return new CoamError(
      'unsupported-format',
      browser
        ? `This ${name} image could not be decoded by this browser${cause ? ` (${cause})` : ''}. Convert it to JPEG or PNG and add it again.`
        : `This is a ${name} image; coam's own decoders read JPEG, PNG and PPM (the app also reads what the browser does). Convert it to JPEG or PNG.`,
    );
  }
  return new CoamError(
    'not-an-image',
    browser
      ? 'This file is not an image coam or this browser can read (JPEG, PNG, PPM, WebP, GIF, AVIF, BMP, SVG).'
      : NOT_AN_IMAGE,
  );
}

/** Which decoder the bytes need, from their signature; null when none matches. */
export function sniffFormat(bytes: Uint8Array): ImageFormat | null {
  if (bytes.length >= 3 && bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff) return 'jpeg';
  if (
    bytes.length >= 8 &&
    bytes[0] === 0x89 && bytes[1] === 0x50 && bytes[2] === 0x4e && bytes[3] === 0x47 &&
    bytes[4] === 0x0d && bytes[5] === 0x0a && bytes[6] === 0x1a && bytes[7] === 0x0a
  ) {
    return 'png';
  }
  if (bytes.length >= 2 && bytes[0] === 0x50 /* P */ && bytes[1] >= 0x32 && bytes[1] <= 0x36 && bytes[1] !== 0x34) {
    // P2, P3, P5, P6 (P4 bitmaps are not supported)
    const next = bytes.length > 2 ? bytes[2] : 0x20;
    if (isSpace(next) || next === 0x23 /* # */) return 'pnm';
  }
  return null;
}

/**
 * Decode JPEG / PNG / PPM-PGM bytes to 8-bit RGBA with EXIF orientation applied.
 * Throws CoamError: 'empty-image', 'not-an-image', 'corrupt-image', 'image-too-large'.
 */
export function decodeImage(bytes: Uint8Array): RasterImage {
  if (!bytes || bytes.length === 0) throw new CoamError('empty-image', 'The file is empty (0 bytes).');
  const format = sniffFormat(bytes);
  if (format === null) throw unreadableImageError(bytes, false);
  switch (format) {
    case 'jpeg':
      return decodeJpeg(bytes);
    case 'png':
      return decodePngBytes(bytes);
    case 'pnm':
      return decodePnm(bytes);
  }
}

function checkSize(width: number, height: number, what: string): void {
  if (!(width > 0) || !(height > 0)) {
    throw new CoamError('empty-image', `The ${what} image has zero size (${width}×${height}).`);
  }
  if (width * height > MAX_IMAGE_PIXELS) {
    throw new CoamError(
      'image-too-large',
      `The ${what} image is ${width}×${height} (${((width * height) / 1e6).toFixed(0)} MP); coam reads at most ${MAX_IMAGE_PIXELS / 1e6} MP.`,
    );
  }
}

/**
 * Width and height as decodeImage would return them (EXIF orientation applied), from the header
 * alone: no pixels are decoded. Same typed errors as decodeImage for unreadable headers.
 */
export function imageSize(bytes: Uint8Array): { width: number; height: number } {
  if (!bytes || bytes.length === 0) throw new CoamError('empty-image', 'The file is empty (0 bytes).');
  const format = sniffFormat(bytes);
  if (format === null) throw new CoamError('not-an-image', NOT_AN_IMAGE);
  if (format === 'jpeg') {
    const scan = scanJpeg(bytes);
    const swap = scan.orientation >= 5;
    return swap ? { width: scan.height, height: scan.width } : { width: scan.width, height: scan.height };
  }
  if (format === 'png') {
    if (bytes.length < 24) throw new CoamError('corrupt-image', 'This PNG is truncated (no complete header).');
    const u32 = (o: number) => ((bytes[o] << 24) | (bytes[o + 1] << 16) | (bytes[o + 2] << 8) | bytes[o + 3]) >>> 0;
    return { width: u32(16), height: u32(20) };
  }
  const header = pnmHeader(bytes);
  return { width: header.width, height: header.height };
}

// ---------------------------------------------------------------------------------------------
// JPEG

interface JpegScan {
  width: number;
  height: number;
  hasScan: boolean;
  hasEoi: boolean;
  orientation: number;
}

/** Walk the JPEG marker segments (without decoding) for the frame size, EXIF and completeness. */
function scanJpeg(bytes: Uint8Array): JpegScan {
  const out: JpegScan = { width: 0, height: 0, hasScan: false, hasEoi: false, orientation: 1 };
  let o = 2;
  const n = bytes.length;
  while (o + 2 <= n) {
    if (bytes[o] !== 0xff) {
      throw new CoamError('corrupt-image', `This JPEG is damaged (no marker at byte ${o}).`);
    }
    let marker = bytes[o + 1];
    while (marker === 0xff && o + 2 < n) {
      o++; // fill bytes
      marker = bytes[o + 1];
    }
    if (marker === 0xd9) {
      out.hasEoi = true;
      return out;
    }
    if (marker >= 0xd0 && marker <= 0xd7) {
      o += 2;
      continue;
    }
    const len = o + 4 <= n ? (bytes[o + 2] << 8) | bytes[o + 3] : 0;
    if (len < 2 || o + 2 + len > n) {
      throw new CoamError('corrupt-image', 'This JPEG is truncated or damaged (a header segment runs past the end of the file).');
    }
    const seg = o + 4;
    if ((marker >= 0xc0 && marker <= 0xcf) && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc) {
      out.height = (bytes[seg + 1] << 8) | bytes[seg + 2];
      out.width = (bytes[seg + 3] << 8) | bytes[seg + 4];
      if (marker !== 0xc0 && marker !== 0xc1 && marker !== 0xc2) {
        throw new CoamError(
          'corrupt-image',
          'This JPEG uses a coding coam cannot decode (lossless or arithmetic); save it as a baseline or progressive JPEG.',
        );
      }
    } else if (marker === 0xe1 && out.orientation === 1) {
      out.orientation = exifOrientationFromApp1(bytes, seg, len - 2);
    }
    o += 2 + len;
    if (marker === 0xda) {
      out.hasScan = true;
      // Entropy-coded data: skip to the next marker that is not a stuffed byte or a restart marker.
      while (o + 1 < n) {
        if (bytes[o] === 0xff) {
          const m = bytes[o + 1];
          if (m !== 0x00 && !(m >= 0xd0 && m <= 0xd7) && m !== 0xff) break;
        }
        o++;
      }
      if (o + 1 >= n) return out; // ran out without EOI
    }
  }
  return out;
}

function decodeJpeg(bytes: Uint8Array): RasterImage {
  const scan = scanJpeg(bytes);
  if (scan.width === 0 && scan.height === 0 && !scan.hasScan) {
    throw new CoamError('corrupt-image', 'This JPEG is truncated or damaged (no image frame found).');
  }
  checkSize(scan.width, scan.height, 'JPEG');
  if (!scan.hasScan || !scan.hasEoi) {
    throw new CoamError('corrupt-image', 'This JPEG is truncated: its image data ends before the end-of-image marker.');
  }
  let decoded: { width: number; height: number; data: Uint8Array };
  try {
    decoded = jpeg.decode(bytes, {
      useTArray: true,
      formatAsRGBA: true,
      tolerantDecoding: true,
      maxResolutionInMP: MAX_IMAGE_PIXELS / 1e6,
      maxMemoryUsageInMB: 2048,
    });
  } catch (e) {
    const msg = e instanceof Error ? e.message : String(e);
    if (/maxResolutionInMP|maxMemoryUsage|allocate/.test(msg)) {
      throw new CoamError('image-too-large', `This JPEG is too large to decode in memory (${msg}).`, { cause: e });
    }
    throw new CoamError('corrupt-image', `This JPEG is damaged and cannot be decoded (${msg}).`, { cause: e });
  }
  checkSize(decoded.width, decoded.height, 'JPEG');
  const raster: RasterImage = { width: decoded.width, height: decoded.height, data: decoded.data };
  return applyOrientation(raster, scan.orientation);
}

/** The EXIF orientation tag (1–8) of JPEG bytes; 1 when absent, unreadable or not a JPEG. */
export function exifOrientation(bytes: Uint8Array): number {
  if (sniffFormat(bytes) !== 'jpeg') return 1;
  let o = 2;
  const n = bytes.length;
  while (o + 4 <= n && bytes[o] === 0xff) {
    const marker = bytes[o + 1];
    if (marker === 0xda || marker === 0xd9) break;
    if (marker === 0xff) {
      o++;
      continue;
    }
    const len = (bytes[o + 2] << 8) | bytes[o + 3];
    if (len < 2 || o + 2 + len > n) break;
    if (marker === 0xe1) {
      const v = exifOrientationFromApp1(bytes, o + 4, len - 2);
      if (v !== 1) return v;
    }
    o += 2 + len;
  }
  return 1;
}

/** Parse the orientation tag (0x0112) of IFD0 in an APP1 "Exif\0\0" payload; 1 if absent. */
function exifOrientationFromApp1(bytes: Uint8Array, start: number, length: number): number {
  const end = Math.min(bytes.length, start + length);
  if (end - start < 14) return 1;
  // "Exif\0\0"
  if (
    bytes[start] !== 0x45 || bytes[start + 1] !== 0x78 || bytes[start + 2] !== 0x69 ||
    bytes[start + 3] !== 0x66 || bytes[start + 4] !== 0 || bytes[start + 5] !== 0
  ) {
    return 1;
  }
  const tiff = start + 6;
  const little = bytes[tiff] === 0x49 && bytes[tiff + 1] === 0x49;
  const big = bytes[tiff] === 0x4d && bytes[tiff + 1] === 0x4d;
  if (!little && !big) return 1;
  const u16 = (p: number) => (p + 2 > end ? -1 : little ? bytes[p] | (bytes[p + 1] << 8) : (bytes[p] << 8) | bytes[p + 1]);
  const u32 = (p: number) =>
    p + 4 > end
      ? -1
      : little
        ? (bytes[p] | (bytes[p + 1] << 8) | (bytes[p + 2] << 16) | (bytes[p + 3] << 24)) >>> 0
        : ((bytes[p] << 24) | (bytes[p + 1] << 16) | (bytes[p + 2] << 8) | bytes[p + 3]) >>> 0;
  if (u16(tiff + 2) !== 42) return 1;
  const ifd0 = u32(tiff + 4);
  if (ifd0 < 8) return 1;
  const ifd = tiff + ifd0;
  const count = u16(ifd);
  if (count <= 0) return 1;
  for (let i = 0; i < count; i++) {
    const entry = ifd + 2 + i * 12;
    if (entry + 12 > end) return 1;
    if (u16(entry) === 0x0112) {
      const type = u16(entry + 2);
      const value = type === 3 ? u16(entry + 8) : type === 4 ? u32(entry + 8) : -1;
      return value >= 1 && value <= 8 ? value : 1;
    }
  }
  return 1;
}

/**
 * Apply an EXIF orientation (1–8) so that the result is the image as it should be displayed.
 * 2: mirror horizontally, 3: rotate 180°, 4: mirror vertically, 5: transpose,
 * 6: rotate 90° clockwise, 7: transverse, 8: rotate 90° counter-clockwise.
 */
export function applyOrientation(raster: RasterImage, orientation: number): RasterImage {
  if (!(orientation >= 2 && orientation <= 8)) return raster;
  const { width: W, height: H, data: src } = raster;
  const swap = orientation >= 5;
  const outW = swap ? H : W;
  const outH = swap ? W : H;
  const out = new Uint8ClampedArray(outW * outH * 4);
  const aligned = src.byteOffset % 4 === 0 ? src : new Uint8Array(src);
  const src32 = new Uint32Array(aligned.buffer, aligned.byteOffset, W * H);
  const out32 = new Uint32Array(out.buffer);
  for (let y = 0; y < outH; y++) {
    for (let x = 0; x < outW; x++) {
      let sx: number;
      let sy: number;
      switch (orientation) {
        case 2: sx = W - 1 - x; sy = y; break;
        case 3: sx = W - 1 - x; sy = H - 1 - y; break;
        case 4: sx = x; sy = H - 1 - y; break;
        case 5: sx = y; sy = x; break;
        case 6: sx = y; sy = H - 1 - x; break;
        case 7: sx = W - 1 - y; sy = H - 1 - x; break;
        default: sx = W - 1 - y; sy = x; break; // 8
      }
      out32[y * outW + x] = src32[sy * W + sx];
    }
  }
  return { width: outW, height: outH, data: out };
}

// ---------------------------------------------------------------------------------------------
// PNG

function decodePngBytes(bytes: Uint8Array): RasterImage {
  if (bytes.length < 33) throw new CoamError('corrupt-image', 'This PNG is truncated (no complete header).');
  const w = ((bytes[16] << 24) | (bytes[17] << 16) | (bytes[18] << 8) | bytes[19]) >>> 0;
  const h = ((bytes[20] << 24) | (bytes[21] << 16) | (bytes[22] << 8) | bytes[23]) >>> 0;
  checkSize(w, h, 'PNG');
  // A PNG must end with an IEND chunk; without it the file was cut short.
  if (!hasIend(bytes)) throw new CoamError('corrupt-image', 'This PNG is truncated (it has no end chunk).');
  let png: ReturnType<typeof decodePng>;
  try {
    png = decodePng(bytes, { checkCrc: false });
  } catch (e) {
    const msg = e instanceof Error ? e.message : String(e);
    throw new CoamError('corrupt-image', `This PNG is damaged and cannot be decoded (${msg}).`, { cause: e });
  }
  const { width, height } = png;
  checkSize(width, height, 'PNG');
  const n = width * height;
  const out = new Uint8ClampedArray(n * 4);
  try {
    if (png.palette) {
      const rgb = convertIndexedToRgb(png);
      const c = png.palette[0].length; // 3, or 4 with tRNS
      for (let i = 0; i < n; i++) {
        const a = c === 4 ? rgb[i * 4 + 3] : 255;
        writeOnWhite(out, i, rgb[i * c], rgb[i * c + 1], rgb[i * c + 2], a);
      }
      return { width, height, data: out };
    }
    const channels = png.channels;
    const depth = png.depth;
    const samples = depth < 8 ? unpackBits(png.data as Uint8Array, width, height, depth) : png.data;
    // Scale every sample to 0..255.
    const maxv = depth === 16 ? 65535 : (1 << depth) - 1;
    const to8 = (v: number) => (depth === 8 ? v : Math.round((v * 255) / maxv));
    const key = png.transparency; // colour key (tRNS) for grey / RGB
    if (samples.length < n * channels) throw new Error('pixel data is shorter than the image');
    for (let i = 0; i < n; i++) {
      const p = i * channels;
      let r: number, g: number, b: number, a: number;
      if (channels === 1 || channels === 2) {
        r = g = b = samples[p];
        a = channels === 2 ? samples[p + 1] : maxv;
        if (channels === 1 && key && key.length >= 1 && samples[p] === key[0]) a = 0;
      } else {
        r = samples[p];
        g = samples[p + 1];
        b = samples[p + 2];
        a = channels === 4 ? samples[p + 3] : maxv;
        if (channels === 3 && key && key.length >= 3 && r === key[0] && g === key[1] && b === key[2]) a = 0;
      }
      writeOnWhite(out, i, to8(r), to8(g), to8(b), to8(a));
    }
  } catch (e) {
    if (e instanceof CoamError) throw e;
    const msg = e instanceof Error ? e.message : String(e);
    throw new CoamError('corrupt-image', `This PNG is damaged and cannot be decoded (${msg}).`, { cause: e });
  }
  return { width, height, data: out };
}

function hasIend(bytes: Uint8Array): boolean {
  // IEND is the last chunk; allow trailing junk after it by searching the tail.
  const from = Math.max(8, bytes.length - 4096);
  for (let i = bytes.length - 8; i >= from; i--) {
    if (bytes[i] === 0x49 && bytes[i + 1] === 0x45 && bytes[i + 2] === 0x4e && bytes[i + 3] === 0x44) return true;
  }
  return false;
}

function unpackBits(packed: Uint8Array, width: number, height: number, depth: number): Uint8Array {
  const out = new Uint8Array(width * height);
  const bytesPerRow = Math.ceil((width * depth) / 8);
  const mask = (1 << depth) - 1;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const bit = x * depth;
      const byte = packed[y * bytesPerRow + (bit >> 3)];
      out[y * width + x] = (byte >> (8 - depth - (bit & 7))) & mask;
    }
  }
  return out;
}

/** Composite a pixel over white (alpha is dropped after this). */
function writeOnWhite(out: Uint8ClampedArray, i: number, r: number, g: number, b: number, a: number): void {
  const o = i * 4;
  if (a >= 255) {
    out[o] = r;
    out[o + 1] = g;
    out[o + 2] = b;
  } else {
    const t = a / 255;
    out[o] = r * t + 255 * (1 - t);
    out[o + 1] = g * t + 255 * (1 - t);
    out[o + 2] = b * t + 255 * (1 - t);
  }
  out[o + 3] = 255;
}

// ---------------------------------------------------------------------------------------------
// PPM / PGM (P2, P3 ASCII; P5, P6 binary; maxval up to 65535)

function isSpace(c: number): boolean {
  return c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d || c === 0x0b || c === 0x0c;
}

function pnmHeader(bytes: Uint8Array): { width: number; height: number; maxval: number; offset: number } {
  let o = 2;
  const readToken = (): number => {
    for (;;) {
      while (o < bytes.length && isSpace(bytes[o])) o++;
      if (o < bytes.length && bytes[o] === 0x23) {
        while (o < bytes.length && bytes[o] !== 0x0a && bytes[o] !== 0x0d) o++;
        continue;
      }
      break;
    }
    const start = o;
    let v = 0;
    while (o < bytes.length && bytes[o] >= 0x30 && bytes[o] <= 0x39) {
      v = v * 10 + (bytes[o] - 0x30);
      o++;
    }
    if (o === start) throw new CoamError('corrupt-image', 'This PPM/PGM file is truncated or damaged (bad header).');
    return v;
  };
  const width = readToken();
  const height = readToken();
  const maxval = readToken();
  return { width, height, maxval, offset: o };
}

function decodePnm(bytes: Uint8Array): RasterImage {
  const kind = bytes[1] - 0x30; // 2, 3, 5, 6
  const header = pnmHeader(bytes);
  const { width, height, maxval } = header;
  let o = header.offset;
  const readToken = (): number => {
    while (o < bytes.length && isSpace(bytes[o])) o++;
    const start = o;
    let v = 0;
    while (o < bytes.length && bytes[o] >= 0x30 && bytes[o] <= 0x39) {
      v = v * 10 + (bytes[o] - 0x30);
      o++;
    }
    if (o === start) throw new CoamError('corrupt-image', 'This PPM/PGM file is truncated: it has fewer pixel values than its header says.');
    return v;
  };
  checkSize(width, height, 'PPM');
  if (maxval < 1 || maxval > 65535) throw new CoamError('corrupt-image', `This PPM/PGM has an invalid maximum value ${maxval}.`);
  const channels = kind === 3 || kind === 6 ? 3 : 1;
  const n = width * height;
  const out = new Uint8ClampedArray(n * 4);
  const scale = 255 / maxval;
  if (kind === 5 || kind === 6) {
    o++; // exactly one whitespace byte after maxval
    const bps = maxval > 255 ? 2 : 1;
    const need = n * channels * bps;
    if (bytes.length - o < need) {
      throw new CoamError('corrupt-image', `This PPM/PGM is truncated: ${bytes.length - o} of ${need} pixel bytes present.`);
    }
    for (let i = 0; i < n; i++) {
      for (let c = 0; c < 3; c++) {
        const s = i * channels + (channels === 3 ? c : 0);
        const v = bps === 1 ? bytes[o + s] : (bytes[o + 2 * s] << 8) | bytes[o + 2 * s + 1];
        out[i * 4 + c] = v * scale;
      }
      out[i * 4 + 3] = 255;
    }
  } else {
    for (let i = 0; i < n; i++) {
      if (channels === 3) {
        out[i * 4] = readToken() * scale;
        out[i * 4 + 1] = readToken() * scale;
        out[i * 4 + 2] = readToken() * scale;
      } else {
        out[i * 4] = out[i * 4 + 1] = out[i * 4 + 2] = readToken() * scale;
      }
      out[i * 4 + 3] = 255;
    }
  }
  return { width, height, data: out };
}

// ---------------------------------------------------------------------------------------------
// Resizing and the network's input

/**
 * Resize RGBA pixels. Per axis: area averaging when shrinking (each output pixel is the
 * coverage-weighted mean of the input pixels under it, so no aliasing), bilinear when enlarging.
 * Both use the pixel-centre convention xDst = (xSrc + 0.5) * dst/src - 0.5.
 */
export function resizeRgba(raster: RasterImage, width: number, height: number): RasterImage {
  if (!(width >= 1 && height >= 1) || !Number.isInteger(width) || !Number.isInteger(height)) {
    throw new CoamError('bad-argument', `Cannot resize to ${width}×${height}.`);
  }
  const { width: W, height: H, data } = raster;
  if (W === width && H === height) return { width, height, data: new Uint8ClampedArray(data) };
  const wx = axisWeights(W, width);
  const wy = axisWeights(H, height);
  // Horizontal pass: H rows × width cols × 4 channels (float).
  const tmp = new Float32Array(H * width * 4);
  for (let y = 0; y < H; y++) {
    const row = y * W * 4;
    for (let x = 0; x < width; x++) {
      const { start, weights } = wx[x];
      let r = 0, g = 0, b = 0, a = 0;
      for (let k = 0; k < weights.length; k++) {
        const p = row + (start + k) * 4;
        const w = weights[k];
        r += data[p] * w;
        g += data[p + 1] * w;
        b += data[p + 2] * w;
        a += data[p + 3] * w;
      }
      const q = (y * width + x) * 4;
      tmp[q] = r;
      tmp[q + 1] = g;
      tmp[q + 2] = b;
      tmp[q + 3] = a;
    }
  }
  const out = new Uint8ClampedArray(width * height * 4);
  for (let y = 0; y < height; y++) {
    const { start, weights } = wy[y];
    for (let x = 0; x < width; x++) {
      let r = 0, g = 0, b = 0, a = 0;
      for (let k = 0; k < weights.length; k++) {
        const p = ((start + k) * width + x) * 4;
        const w = weights[k];
        r += tmp[p] * w;
        g += tmp[p + 1] * w;
        b += tmp[p + 2] * w;
        a += tmp[p + 3] * w;
      }
      const q = (y * width + x) * 4;
      out[q] = r;
      out[q + 1] = g;
      out[q + 2] = b;
      out[q + 3] = a;
    }
  }
  return { width, height, data: out };
}

interface Taps {
  start: number;
  weights: Float32Array;
}

/** Per output index, the contiguous input taps and their weights (summing to 1). */
function axisWeights(src: number, dst: number): Taps[] {
  const taps: Taps[] = new Array(dst);
  const scale = src / dst; // input pixels per output pixel
  if (dst < src) {
    // Area average: output pixel i covers input interval [i*scale, (i+1)*scale).
    for (let i = 0; i < dst; i++) {
      const x0 = i * scale;
      const x1 = (i + 1) * scale;
      const start = Math.floor(x0);
      const end = Math.min(src, Math.ceil(x1));
      const weights = new Float32Array(end - start);
      for (let k = start; k < end; k++) {
        weights[k - start] = (Math.min(x1, k + 1) - Math.max(x0, k)) / scale;
      }
      taps[i] = { start, weights };
    }
  } else {
    for (let i = 0; i < dst; i++) {
      const x = Math.min(src - 1, Math.max(0, (i + 0.5) * scale - 0.5));
      const x0 = Math.floor(x);
      const x1 = Math.min(src - 1, x0 + 1);
      const f = x - x0;
      taps[i] = x1 === x0 ? { start: x0, weights: Float32Array.of(1) } : { start: x0, weights: Float32Array.of(1 - f, f) };
    }
  }
  return taps;
}

/**
 * The size an image is fed at: long side ≈ longSide, aspect kept, each side rounded to a
 * multiple of `multiple` (at least `multiple`).
 */
/** Below this many pixels on its short side an image gives the network too few cells to match. */
export const MIN_IMAGE_SIDE = 64;

/**
 * Why an image of this size cannot be matched usefully, and what to do; null when it can. Too
 * small: fewer than MIN_IMAGE_SIDE pixels on a side. Too thin: fed at `longSide` on its long
 * side, its short side would come out under `multiple` pixels, so the network would see it
 * stretched to a strip one multiple high.
 */
export function sizeProblem(width: number, height: number, longSide: number, multiple: number): string | null {
  const short = Math.min(width, height);
  const long = Math.max(width, height);
  if (short < MIN_IMAGE_SIDE) {
    return `The image is ${width}×${height} px: too small to match (the network needs at least ${MIN_IMAGE_SIDE} px on each side). Use a larger photo of the scene.`;
  }
  const fedShort = (short * longSide) / long;
  if (fedShort < multiple) {
    const ratio = long / short;
    return (
      `The image is ${width}×${height} (${ratio >= 10 ? Math.round(ratio) : ratio.toFixed(1)}:1): fed to the network at ${longSide} px on its long side, ` +
      `it would be ${Math.max(1, Math.round(fedShort))} px ${width > height ? 'tall' : 'wide'}, too thin to match (at most ${Math.floor(longSide / multiple)}:1 at this size). ` +
      `Crop it to the part you want to match.`
    );
  }
  return null;
}

export function fedSize(width: number, height: number, longSide: number, multiple: number): { width: number; height: number } {
  if (!(width > 0 && height > 0)) throw new CoamError('empty-image', `Cannot size a ${width}×${height} image.`);
  if (!(longSide > 0) || !(multiple >= 1)) {
    throw new CoamError('bad-argument', `longSide (${longSide}) and multiple (${multiple}) must be positive.`);
  }
  const s = longSide / Math.max(width, height);
  const round = (v: number) => Math.max(multiple, Math.round(v / multiple) * multiple);
  return { width: round(width * s), height: round(height * s) };
}

/** Resize for the network and lay out as planar RGB floats in [0,1] (1×3×H×W). */
export function prepareImage(raster: RasterImage, longSide: number, multiple: number): PreparedImage {
  const { width, height } = fedSize(raster.width, raster.height, longSide, multiple);
  const resized = resizeRgba(raster, width, height);
  const n = width * height;
  const tensor = new Float32Array(3 * n);
  const d = resized.data;
  const inv = 1 / 255;
  for (let i = 0; i < n; i++) {
    tensor[i] = d[i * 4] * inv;
    tensor[n + i] = d[i * 4 + 1] * inv;
    tensor[2 * n + i] = d[i * 4 + 2] * inv;
  }
  return {
    tensor,
    width,
    height,
    originalWidth: raster.width,
    originalHeight: raster.height,
    scaleX: width / raster.width,
    scaleY: height / raster.height,
  };
}

type Scales = Pick<PreparedImage, 'scaleX' | 'scaleY'>;

/** A point in fed pixels → original pixels (pixel-centre convention). */
export function fedToOriginal(p: Point, prep: Scales): Point {
  return [(p[0] + 0.5) / prep.scaleX - 0.5, (p[1] + 0.5) / prep.scaleY - 0.5];
}

/** A point in original pixels → fed pixels: xFed = (xOrig + 0.5) * scaleX - 0.5. */
export function originalToFed(p: Point, prep: Scales): Point {
  return [(p[0] + 0.5) * prep.scaleX - 0.5, (p[1] + 0.5) * prep.scaleY - 0.5];
}
