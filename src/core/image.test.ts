import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import * as jpeg from 'jpeg-js';
import { encode as encodePng } from 'fast-png';
import {
  applyOrientation,
  decodeImage,
  exifOrientation,
  fedSize,
  foreignFormat,
  imageSize,
  fedToOriginal,
  originalToFed,
  prepareImage,
  resizeRgba,
  sizeProblem,
} from './image';
import { isCoamError } from './errors';
import type { RasterImage } from './types';

/** A W×H RGBA raster whose four quadrants are red (TL), green (TR), blue (BL) and white (BR). */
function quadrants(W: number, H: number): RasterImage {
  const data = new Uint8Array(W * H * 4);
  const colours = [
    [255, 0, 0],
    [0, 255, 0],
    [0, 0, 255],
    [255, 255, 255],
  ];
  for (let y = 0; y < H; y++) {
    for (let x = 0; x < W; x++) {
      const q = (y < H / 2 ? 0 : 2) + (x < W / 2 ? 0 : 1);
      data.set([...colours[q], 255], (y * W + x) * 4);
    }
  }
  return { width: W, height: H, data };
}

function pixel(r: RasterImage, x: number, y: number): number[] {
  const o = (y * r.width + x) * 4;
  return [r.data[o], r.data[o + 1], r.data[o + 2]];
}

/** Name the colour at a pixel, tolerant of JPEG loss. */
function colourAt(r: RasterImage, x: number, y: number): string {
  const [R, G, B] = pixel(r, x, y);
  const hi = (v: number) => v > 160;
  if (hi(R) && hi(G) && hi(B)) return 'white';
  if (hi(R)) return 'red';
  if (hi(G)) return 'green';
  if (hi(B)) return 'blue';
  return `?${R},${G},${B}`;
}

/** An APP1 Exif segment holding only IFD0 with the orientation tag. */
function exifSegment(orientation: number, littleEndian: boolean): Uint8Array {
  const tiff: number[] = [];
  const u16 = (v: number) => (littleEndian ? [v & 255, v >> 8] : [v >> 8, v & 255]);
  const u32 = (v: number) =>
    littleEndian ? [v & 255, (v >> 8) & 255, (v >> 16) & 255, v >>> 24] : [v >>> 24, (v >> 16) & 255, (v >> 8) & 255, v & 255];
  tiff.push(...(littleEndian ? [0x49, 0x49] : [0x4d, 0x4d]), ...u16(42), ...u32(8));
  tiff.push(...u16(1)); // one entry
  tiff.push(...u16(0x0112), ...u16(3), ...u32(1), ...u16(orientation), 0, 0);
  tiff.push(...u32(0)); // no next IFD
  const payload = [0x45, 0x78, 0x69, 0x66, 0, 0, ...tiff];
  const len = payload.length + 2;
  return Uint8Array.from([0xff, 0xe1, len >> 8, len & 255, ...payload]);
}

function jpegWithExif(r: RasterImage, orientation: number, littleEndian = false): Uint8Array {
  const plain = new Uint8Array(jpeg.encode({ width: r.width, height: r.height, data: r.data }, 95).data);
  const app1 = exifSegment(orientation, littleEndian);
  const out = new Uint8Array(plain.length + app1.length);
  out.set(plain.subarray(0, 2));
  out.set(app1, 2);
  out.set(plain.subarray(2), 2 + app1.length);
  return out;
}

function expectCoamError(fn: () => unknown, code: string, message?: RegExp): void {
  let caught: unknown;
  try {
    fn();
  } catch (e) {
    caught = e;
  }
  expect(isCoamError(caught), `expected CoamError(${code}), got ${String(caught)}`).toBe(true);
  expect((caught as { code: string }).code).toBe(code);
  if (message) expect((caught as Error).message).toMatch(message);
}

describe('decodeImage', () => {
  it('decodes a baseline JPEG to RGBA', () => {
    const r = decodeImage(jpegWithExif(quadrants(64, 32), 1));
    expect([r.width, r.height]).toEqual([64, 32]);
    expect(r.data.length).toBe(64 * 32 * 4);
    expect(colourAt(r, 8, 4)).toBe('red');
    expect(colourAt(r, 56, 28)).toBe('white');
  });

  it('reads EXIF orientation in both byte orders', () => {
    for (const o of [1, 2, 3, 4, 5, 6, 7, 8]) {
      expect(exifOrientation(jpegWithExif(quadrants(16, 16), o, false))).toBe(o);
      expect(exifOrientation(jpegWithExif(quadrants(16, 16), o, true))).toBe(o);
    }
    const plain = new Uint8Array(jpeg.encode({ width: 16, height: 16, data: quadrants(16, 16).data }, 90).data);
    expect(exifOrientation(plain)).toBe(1);
  });

  // Stored image (64×32): red TL, green TR, blue BL, white BR.
  it('applies orientation 3 (rotate 180°)', () => {
    const r = decodeImage(jpegWithExif(quadrants(64, 32), 3));
    expect([r.width, r.height]).toEqual([64, 32]);
    expect(colourAt(r, 8, 4)).toBe('white');
    expect(colourAt(r, 56, 4)).toBe('blue');
    expect(colourAt(r, 8, 28)).toBe('green');
    expect(colourAt(r, 56, 28)).toBe('red');
  });

  it('applies orientation 6 (rotate 90° clockwise)', () => {
    const r = decodeImage(jpegWithExif(quadrants(64, 32), 6, true));
    expect([r.width, r.height]).toEqual([32, 64]);
    // Clockwise: the stored left column becomes the top row, read right to left.
    expect(colourAt(r, 4, 8)).toBe('blue');
    expect(colourAt(r, 28, 8)).toBe('red');
    expect(colourAt(r, 4, 56)).toBe('white');
    expect(colourAt(r, 28, 56)).toBe('green');
  });

  it('applies orientation 8 (rotate 90° counter-clockwise)', () => {
    const r = decodeImage(jpegWithExif(quadrants(64, 32), 8));
    expect([r.width, r.height]).toEqual([32, 64]);
    expect(colourAt(r, 4, 8)).toBe('green');
    expect(colourAt(r, 28, 8)).toBe('white');
    expect(colourAt(r, 4, 56)).toBe('red');
    expect(colourAt(r, 28, 56)).toBe('blue');
  });

  it('applyOrientation: every orientation is exact on a raster and 5/7 are transposes', () => {
    const r = quadrants(4, 2);
    // Tag each pixel uniquely.
    for (let i = 0; i < 8; i++) r.data[i * 4] = i;
    const at = (img: RasterImage, x: number, y: number) => img.data[(y * img.width + x) * 4];
    expect(at(applyOrientation(r, 2), 0, 0)).toBe(3);
    expect(at(applyOrientation(r, 4), 0, 0)).toBe(4);
    const t5 = applyOrientation(r, 5);
    expect([t5.width, t5.height]).toEqual([2, 4]);
    expect(at(t5, 1, 0)).toBe(4); // (x=0,y=1) → (1,0)
    const t7 = applyOrientation(r, 7);
    expect(at(t7, 0, 0)).toBe(7); // stored bottom-right lands top-left
    expect(applyOrientation(r, 1)).toBe(r);
  });

  it('decodes progressive, greyscale and Adobe CMYK JPEGs (Pillow-made fixtures)', () => {
    const fixture = (name: string) => decodeImage(new Uint8Array(readFileSync(join(__dirname, '__fixtures__', name))));
    // 32×16: left half red, right half blue (greyscale: black | white).
    for (const name of ['progressive.jpg', 'cmyk.jpg']) {
      const r = fixture(name);
      expect([r.width, r.height]).toEqual([32, 16]);
      expect(colourAt(r, 4, 8), name).toBe('red');
      expect(colourAt(r, 28, 8), name).toBe('blue');
      expect(r.data[3]).toBe(255);
    }
    const grey = fixture('grey.jpg');
    expect(pixel(grey, 4, 8)).toEqual([0, 0, 0]);
    expect(pixel(grey, 28, 8)).toEqual([255, 255, 255]);
  });

  it('decodes PNG: grey, grey+alpha, RGB, RGBA, 16-bit, palette, 1-bit', () => {
    const W = 3, H = 2, n = W * H;
    const grey = decodeImage(encodePng({ width: W, height: H, channels: 1, depth: 8, data: Uint8Array.from([0, 50, 100, 150, 200, 255]) }));
    expect(pixel(grey, 1, 0)).toEqual([50, 50, 50]);
    // grey+alpha: alpha 0 → white, alpha 255 → grey value
    const ga = decodeImage(encodePng({ width: W, height: H, channels: 2, depth: 8, data: Uint8Array.from([0, 0, 0, 255, 100, 255, 0, 128, 0, 0, 0, 0]) }));
    expect(pixel(ga, 0, 0)).toEqual([255, 255, 255]);
    expect(pixel(ga, 1, 0)).toEqual([0, 0, 0]);
    expect(pixel(ga, 0, 1)[0]).toBeGreaterThan(120); // half-transparent black over white
    expect(pixel(ga, 0, 1)[0]).toBeLessThan(135);
    const rgb = decodeImage(encodePng({ width: W, height: H, channels: 3, depth: 8, data: new Uint8Array(n * 3).fill(7) }));
    expect(pixel(rgb, 2, 1)).toEqual([7, 7, 7]);
    const rgbaData = new Uint8Array(n * 4);
    for (let i = 0; i < n; i++) rgbaData.set([10, 20, 30, 255], i * 4);
    const rgba = decodeImage(encodePng({ width: W, height: H, channels: 4, depth: 8, data: rgbaData }));
    expect(pixel(rgba, 1, 1)).toEqual([10, 20, 30]);
    const d16 = new Uint16Array(n * 3).fill(65535);
    d16[0] = 0;
    const rgb16 = decodeImage(encodePng({ width: W, height: H, channels: 3, depth: 16, data: d16 }));
    expect(pixel(rgb16, 0, 0)).toEqual([0, 255, 255]);
    const pal = decodeImage(
      encodePng({
        width: W, height: H, channels: 1, depth: 8,
        data: Uint8Array.from([0, 1, 0, 1, 0, 1]),
        palette: [[255, 0, 0], [0, 0, 255]],
      }),
    );
    expect(pixel(pal, 0, 0)).toEqual([255, 0, 0]);
    expect(pixel(pal, 1, 0)).toEqual([0, 0, 255]);
    // 1-bit greyscale: 8 pixels per byte.
    const bits = decodeImage(encodePng({ width: 8, height: 1, channels: 1, depth: 1, data: Uint8Array.from([0b10100000]) }));
    expect(pixel(bits, 0, 0)).toEqual([255, 255, 255]);
    expect(pixel(bits, 1, 0)).toEqual([0, 0, 0]);
    expect(pixel(bits, 2, 0)).toEqual([255, 255, 255]);
  });

  it('decodes PPM and PGM, binary and ASCII', () => {
    const p6 = new Uint8Array([...new TextEncoder().encode('P6\n# comment\n2 1\n255\n'), 1, 2, 3, 4, 5, 6]);
    const r6 = decodeImage(p6);
    expect([r6.width, r6.height]).toEqual([2, 1]);
    expect(pixel(r6, 1, 0)).toEqual([4, 5, 6]);
    const p5 = new Uint8Array([...new TextEncoder().encode('P5 2 2 255\n'), 0, 64, 128, 255]);
    expect(pixel(decodeImage(p5), 0, 1)).toEqual([128, 128, 128]);
    const p3 = new TextEncoder().encode('P3\n1 1\n15\n15 0 15\n');
    expect(pixel(decodeImage(p3), 0, 0)).toEqual([255, 0, 255]);
    const p2 = new TextEncoder().encode('P2 2 1 255 9 250');
    expect(pixel(decodeImage(p2), 1, 0)).toEqual([250, 250, 250]);
  });
});

describe('imageSize (header only)', () => {
  it('reads JPEG (orientation-aware), PNG and PPM sizes without decoding', () => {
    expect(imageSize(jpegWithExif(quadrants(64, 32), 1))).toEqual({ width: 64, height: 32 });
    expect(imageSize(jpegWithExif(quadrants(64, 32), 6))).toEqual({ width: 32, height: 64 });
    expect(imageSize(encodePng({ width: 7, height: 5, channels: 3, depth: 8, data: new Uint8Array(105) }))).toEqual({ width: 7, height: 5 });
    expect(imageSize(new TextEncoder().encode('P6\n# c\n300 200\n255\n'))).toEqual({ width: 300, height: 200 });
    expectCoamError(() => imageSize(new Uint8Array([1, 2, 3])), 'not-an-image');
  });
});

describe('decodeImage typed errors', () => {
  it('empty bytes → empty-image', () => {
    expectCoamError(() => decodeImage(new Uint8Array(0)), 'empty-image');
  });

  it('random bytes → not-an-image with a readable message', () => {
    const rnd = new Uint8Array(1000);
    let s = 12345;
    for (let i = 0; i < rnd.length; i++) rnd[i] = (s = (s * 1103515245 + 12345) >>> 0) >>> 24;
    rnd[0] = 0x12;
    expectCoamError(() => decodeImage(rnd), 'not-an-image', /expected JPEG, PNG or PPM/);
    expectCoamError(() => decodeImage(new TextEncoder().encode('<html></html>')), 'not-an-image');
  });

  it('formats the browser reads are named by their signature, and the error says what to do', () => {
    const fixture = (name: string) => new Uint8Array(readFileSync(join(__dirname, '..', '..', 'e2e', 'fixtures', name)));
    const expected: Array<[string, string]> = [
      ['box.webp', 'webp'], ['box.gif', 'gif'], ['box.avif', 'avif'], ['box.bmp', 'bmp'], ['box.svg', 'svg'], ['box.tiff', 'tiff'], ['photo.heic', 'heic'],
    ];
    for (const [name, format] of expected) expect(foreignFormat(fixture(name)), name).toBe(format);
    expect(foreignFormat(new TextEncoder().encode('<!doctype html><html><svg></svg></html>'))).toBeNull();
    expect(foreignFormat(new TextEncoder().encode('\uFEFF<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg"/>'))).toBe('svg');
    expectCoamError(() => decodeImage(fixture('box.webp')), 'unsupported-format', /WebP image; .*JPEG, PNG and PPM/);
    expectCoamError(() => decodeImage(fixture('photo.heic')), 'unsupported-format', /HEIC\/HEIF photo.*export it as JPEG/);
  });

  it('truncated JPEG → corrupt-image', () => {
    const full = jpegWithExif(quadrants(64, 64), 1);
    for (const keep of [0.9, 0.5, 0.1, 0.02]) {
      expectCoamError(() => decodeImage(full.subarray(0, Math.floor(full.length * keep))), 'corrupt-image');
    }
    expectCoamError(() => decodeImage(full.subarray(0, 3)), 'corrupt-image');
  });

  it('truncated PNG → corrupt-image', () => {
    const full = encodePng({ width: 32, height: 32, channels: 3, depth: 8, data: new Uint8Array(32 * 32 * 3).fill(9) });
    for (const keep of [0.95, 0.6, 0.3]) {
      expectCoamError(() => decodeImage(full.subarray(0, Math.floor(full.length * keep))), 'corrupt-image');
    }
    expectCoamError(() => decodeImage(full.subarray(0, 12)), 'corrupt-image');
  });

  it('zero-size PPM → empty-image; truncated PPM → corrupt-image', () => {
    expectCoamError(() => decodeImage(new TextEncoder().encode('P6\n0 0\n255\n')), 'empty-image');
    expectCoamError(() => decodeImage(new TextEncoder().encode('P5\n4 0\n255\n')), 'empty-image');
    expectCoamError(() => decodeImage(new Uint8Array([...new TextEncoder().encode('P6\n4 4\n255\n'), 1, 2, 3])), 'corrupt-image');
  });

  it('more than 100 MP → image-too-large (from the header, before allocating)', () => {
    expectCoamError(() => decodeImage(new TextEncoder().encode('P6\n20000 20000\n255\n')), 'image-too-large');
  });
});

describe('resizeRgba', () => {
  it('keeps a constant image constant, shrinking and enlarging', () => {
    const data = new Uint8Array(10 * 6 * 4);
    for (let i = 0; i < data.length; i += 4) data.set([40, 80, 120, 255], i);
    for (const [w, h] of [[3, 2], [25, 17], [7, 9]]) {
      const r = resizeRgba({ width: 10, height: 6, data }, w, h);
      expect([r.width, r.height]).toEqual([w, h]);
      expect(pixel(r, w - 1, h - 1)).toEqual([40, 80, 120]);
    }
  });

  it('area-averages when shrinking (antialiased)', () => {
    // 4×1 stripes 0,255,0,255 → 2×1 is 127.5 each; nearest/bilinear-at-centres would give 0/255.
    const data = Uint8Array.from([0, 0, 0, 255, 255, 255, 255, 255, 0, 0, 0, 255, 255, 255, 255, 255]);
    const r = resizeRgba({ width: 4, height: 1, data }, 2, 1);
    expect(pixel(r, 0, 0)[0]).toBe(128);
    expect(pixel(r, 1, 0)[0]).toBe(128);
    // 3 → 2: output 0 covers input [0, 1.5): (a + 0.5 b) / 1.5
    const three = Uint8Array.from([0, 0, 0, 255, 90, 90, 90, 255, 180, 180, 180, 255]);
    const r2 = resizeRgba({ width: 3, height: 1, data: three }, 2, 1);
    expect(pixel(r2, 0, 0)[0]).toBe(30);
    expect(pixel(r2, 1, 0)[0]).toBe(150);
  });

  it('interpolates bilinearly when enlarging', () => {
    const data = Uint8Array.from([0, 0, 0, 255, 200, 200, 200, 255]);
    const r = resizeRgba({ width: 2, height: 1, data }, 4, 1);
    // centres at xSrc = -0.25, 0.25, 0.75, 1.25 → clamp, 50, 150, clamp
    expect([0, 1, 2, 3].map((x) => pixel(r, x, 0)[0])).toEqual([0, 50, 150, 200]);
  });
});

describe('pre-processing and coordinates', () => {
  it('fedSize: long side ≈ longSide, multiples of `multiple`, at least one multiple', () => {
    expect(fedSize(1024, 768, 640, 16)).toEqual({ width: 640, height: 480 });
    expect(fedSize(768, 1024, 640, 16)).toEqual({ width: 480, height: 640 });
    expect(fedSize(1000, 333, 640, 16)).toEqual({ width: 640, height: 208 }); // 213.1 → 208
    expect(fedSize(5000, 10, 640, 16)).toEqual({ width: 640, height: 16 });
    expect(fedSize(100, 80, 640, 32)).toEqual({ width: 640, height: 512 });
    const s = fedSize(777, 555, 500, 16);
    expect(s.width % 16).toBe(0);
    expect(s.height % 16).toBe(0);
  });

  it('prepareImage: planar RGB in [0,1] with per-axis scales', () => {
    const prep = prepareImage(quadrants(100, 75), 64, 16);
    expect([prep.width, prep.height]).toEqual([64, 48]);
    expect(prep.tensor.length).toBe(3 * 64 * 48);
    expect(prep.scaleX).toBeCloseTo(0.64);
    expect(prep.scaleY).toBeCloseTo(0.64);
    expect([prep.originalWidth, prep.originalHeight]).toEqual([100, 75]);
    const n = 64 * 48;
    // top-left is red: R=1, G=0, B=0
    expect([prep.tensor[0], prep.tensor[n], prep.tensor[2 * n]]).toEqual([1, 0, 0]);
    // bottom-left is blue
    const bl = 47 * 64;
    expect([prep.tensor[bl], prep.tensor[n + bl], prep.tensor[2 * n + bl]]).toEqual([0, 0, 1]);
    for (const v of prep.tensor) {
      expect(v >= 0 && v <= 1).toBe(true);
    }
  });

  it('original → fed → original is the identity; pixel-centre convention', () => {
    const prep = prepareImage(quadrants(1000, 750), 640, 16);
    expect(prep.scaleX).toBeCloseTo(0.64);
    expect(prep.scaleY).toBeCloseTo(480 / 750);
    for (const p of [[0, 0], [999, 749], [123.25, 456.5], [-0.5, -0.5]] as [number, number][]) {
      const back = fedToOriginal(originalToFed(p, prep), prep);
      expect(back[0]).toBeCloseTo(p[0], 9);
      expect(back[1]).toBeCloseTo(p[1], 9);
    }
    // The outer pixel edges map onto each other: -0.5 ↔ -0.5 and W-0.5 ↔ Wfed-0.5.
    expect(originalToFed([-0.5, -0.5], prep)).toEqual([-0.5, -0.5]);
    const edge = originalToFed([999.5, 749.5], prep);
    expect(edge[0]).toBeCloseTo(639.5, 9);
    expect(edge[1]).toBeCloseTo(479.5, 9);
  });

  it('cell centres map to original pixels: cell (i,j) → ((j+0.5)s-0.5, (i+0.5)s-0.5) fed', () => {
    // Feeding a 2× downscaled image with stride 4: cell (0,0) centre is fed (1.5,1.5) = original (3.5,3.5),
    // i.e. the centre of the original 8×8 block the cell covers.
    const prep = prepareImage(quadrants(128, 64), 64, 16);
    expect(prep.scaleX).toBe(0.5);
    const stride = 4;
    const cellFed: [number, number] = [(0 + 0.5) * stride - 0.5, (0 + 0.5) * stride - 0.5];
    expect(fedToOriginal(cellFed, prep)).toEqual([3.5, 3.5]);
    const last: [number, number] = [(15 + 0.5) * stride - 0.5, (7 + 0.5) * stride - 0.5];
    expect(fedToOriginal(last, prep)).toEqual([123.5, 59.5]);
  });
});

describe('sizeProblem', () => {
  it('accepts photos, refuses tiny images and strips too thin for the network, saying why', () => {
    expect(sizeProblem(800, 600, 640, 32)).toBeNull();
    expect(sizeProblem(6400, 400, 640, 32)).toBeNull(); // 16:1: 40 px tall when fed
    expect(sizeProblem(1, 1, 640, 32)).toMatch(/1×1 px: too small .* at least 64 px/);
    expect(sizeProblem(20000, 200, 640, 32)).toMatch(/20000×200 \(100:1\).* 6 px tall, too thin .*at most 20:1.*Crop/);
    expect(sizeProblem(200, 20000, 256, 32)).toMatch(/ 3 px wide.*at most 8:1/);
  });
});
