import { describe, expect, it } from 'vitest';
import {
  attentionRow,
  cellOfPoint,
  cellToOriginal,
  levelGrid,
  levelStride,
  peaksInOriginal,
  queryCells,
  topPeaks,
  turnCell,
  unturnedRow,
  type AttentionFrame,
} from './attention';
import { prepareImage } from './image';
import type { FedGeometry, RasterImage } from './types';
import { turnRaster, unturnGeometry, type QuarterTurns } from './views';

/** Pixel (x, y) holds x in red and y in green (sizes under 256), so any pixel says where it came from. */
function coordinateImage(width: number, height: number): RasterImage {
  const data = new Uint8ClampedArray(width * height * 4);
  for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) data.set([x, y, 0, 255], (y * width + x) * 4);
  return { width, height, data };
}

const geometry = (prep: ReturnType<typeof prepareImage>): FedGeometry => {
  const { tensor: _t, ...rest } = prep;
  return rest;
};

describe('co-attention levels and cells', () => {
  it('reads a level stride from its name and refuses other names', () => {
    expect(levelStride('s16')).toBe(16);
    expect(levelStride('s32')).toBe(32);
    expect(levelStride('s0')).toBeNull();
    expect(levelStride('attention_s16')).toBeNull();
    expect(levelStride('16')).toBeNull();
  });

  it('maps original pixels to a level cell through the fed size, corners to corner cells', () => {
    // 400×300 fed at 640×480 (scale 1.6): the s16 grid is 40×30, the s32 grid 20×15.
    const g: FedGeometry = { width: 640, height: 480, originalWidth: 400, originalHeight: 300, scaleX: 1.6, scaleY: 1.6 };
    expect(levelGrid(g, 16)).toEqual({ gridWidth: 40, gridHeight: 30, stride: 16 });
    expect(cellOfPoint([0, 0], g, 16)).toBe(0);
    expect(cellOfPoint([399, 299], g, 16)).toBe(40 * 30 - 1);
    expect(cellOfPoint([399, 0], g, 32)).toBe(19);
    // 10 original px = 16 fed px: x in [10, 20) is column 1 of s16.
    expect(cellOfPoint([15, 0], g, 16)).toBe(1);
    expect(cellOfPoint([5, 25], g, 16)).toBe(2 * 40);
    // Outside the image: clamped to the edge cells, never an index off the grid.
    expect(cellOfPoint([-50, 1e6], g, 16)).toBe(29 * 40);
    // Every cell's centre falls back in that cell.
    for (let c = 0; c < 20 * 15; c++) expect(cellOfPoint(cellToOriginal(c, g, 32), g, 32)).toBe(c);
  });

  it('turns a cell as turnRaster turns the image, for each quarter turn', () => {
    // Stride 4 on a 24×16 image fed as is: which original pixel the turned cell's centre shows.
    const raster = coordinateImage(24, 16);
    const stride = 4;
    const [w, h] = [6, 4];
    for (const k of [0, 1, 2, 3] as QuarterTurns[]) {
      const turned = turnRaster(raster, k);
      const tw = turned.width / stride;
      for (let cell = 0; cell < w * h; cell++) {
        const t = turnCell(cell, w, h, k);
        const ti = Math.floor(t / tw);
        const tj = t % tw;
        // The turned cell's 4×4 block holds original pixels of exactly the unturned cell.
        const px = (ti * stride + 1) * turned.width + tj * stride + 1;
        const [x, y] = [turned.data[px * 4], turned.data[px * 4 + 1]];
        expect(Math.floor(y / stride) * w + Math.floor(x / stride), `turn ${k}, cell ${cell}`).toBe(cell);
      }
    }
  });

  it('takes a row of the weights matrix, and refuses a row outside it', () => {
    const m = Float32Array.from({ length: 12 }, (_, i) => i);
    expect(Array.from(attentionRow(m, 2, 4))).toEqual([8, 9, 10, 11]);
    expect(() => attentionRow(m, 3, 4)).toThrow(RangeError);
  });

  it('finds the strongest local maxima, strongest first, one per plateau', () => {
    const w = 5;
    const h = 4;
    const g = new Float32Array(w * h).fill(0.01);
    g[1 * w + 1] = 0.3; // a peak
    g[1 * w + 2] = 0.2; // its shoulder: not a peak
    g[3 * w + 4] = 0.25; // a corner peak
    g[0 * w + 4] = 0.1; // a smaller peak
    g[3 * w + 0] = g[3 * w + 1] = 0.05; // a plateau of two: one peak
    const peaks = topPeaks(g, w, h, 10);
    expect(peaks.map((p) => p.cell)).toEqual([6, 19, 4, 15]);
    expect(peaks[0].weight).toBeCloseTo(0.3);
    expect(topPeaks(g, w, h, 2).map((p) => p.cell)).toEqual([6, 19]);
    expect(topPeaks(g, w, h, 0)).toEqual([]);
  });
});

describe('a query through the kept view', () => {
  // A 48×32 and B 32×64, fed as they are; B was turned once (90° clockwise) for the network.
  const A = coordinateImage(48, 32);
  const B = coordinateImage(32, 64);
  const prepA = prepareImage(A, 48, 16);
  const k: QuarterTurns = 1;
  const prepBTurned = prepareImage(turnRaster(B, k), 64, 16);
  const frame: AttentionFrame = { geometryA: geometry(prepA), geometryB: unturnGeometry(geometry(prepBTurned), k), quarterTurns: k };

  it("puts a point of B on the turned grid the network saw", () => {
    // B's pixel (5, 50): unturned s16 cell (row 3, col 0) of its 2×4 grid; turned (H-1-y, x) = (13, 5):
    // cell (row 0, col 0) of the turned 4×2 grid.
    const [q] = queryCells('B', [5, 50], frame, [{ level: 's16', stride: 16 }]);
    expect(q.cell).toBe(3 * 2 + 0);
    expect(q.cellFed).toBe(0);
    // A is never turned.
    const [qa] = queryCells('A', [40, 20], frame, [{ level: 's16', stride: 16 }]);
    expect(qa.cell).toBe(1 * 3 + 2);
    expect(qa.cellFed).toBe(qa.cell);
  });

  it("turns a row over B back onto B's own grid, and its peak back to B's pixels", () => {
    // A row on the turned 4×2 grid with all its weight on turned cell (row 1, col 2) = index 6,
    // turned pixels x' 32..47, y' 16..31, which show B's x = y' = 16..31, y = 63 - x' = 16..31:
    // B's cell (row 1, col 1).
    const row = new Float32Array(8);
    row[6] = 1;
    const level = { ...unturnedRow(row, 'B', frame, 16), stride: 16 };
    expect([level.gridWidth, level.gridHeight]).toEqual([2, 4]);
    expect(Array.from(level.weights).indexOf(1)).toBe(1 * 2 + 1);
    const [peak] = peaksInOriginal(level, frame.geometryB, 3);
    expect(peak.xy[0]).toBeCloseTo(23.5);
    expect(peak.xy[1]).toBeCloseTo(23.5);
    // The turned raster at that turned cell shows B's pixels around the peak.
    const turned = turnRaster(B, k);
    const px = (1 * 16 + 8) * turned.width + 2 * 16 + 8;
    expect(Math.abs(turned.data[px * 4] - peak.xy[0])).toBeLessThanOrEqual(8);
    expect(Math.abs(turned.data[px * 4 + 1] - peak.xy[1])).toBeLessThanOrEqual(8);
    expect(() => unturnedRow(new Float32Array(5), 'B', frame, 16)).toThrow(/5 cells/);
  });
});
