import { describe, expect, it } from 'vitest';
import type { DenseOutput } from '../types';
import { refineSubcell } from './subcell';

describe('refineSubcell', () => {
  // Descriptors vary smoothly with position, so the similarity to a query taken between cells
  // peaks at the query's true (sub-cell) position.
  function smoothField(w: number, h: number, a: number): DenseOutput {
    const cells = w * h;
    const descriptors = new Float32Array(3 * cells);
    for (let i = 0; i < h; i++)
      for (let j = 0; j < w; j++) {
        const v = [1, a * j, a * i];
        const n = Math.hypot(...v);
        for (let d = 0; d < 3; d++) descriptors[d * cells + i * w + j] = v[d] / n;
      }
    return { descriptors, distinctiveness: new Float32Array(cells).fill(1), descriptorDim: 3, gridWidth: w, gridHeight: h, stride: 4 };
  }
  const query = (x: number, y: number, a: number) => {
    const v = [1, a * x, a * y];
    const n = Math.hypot(...v);
    return Float32Array.from(v, (c) => c / n);
  };

  it('recovers the sub-cell position of a query between cells', () => {
    const dense = smoothField(10, 10, 0.05);
    const [dx, dy] = refineSubcell(dense, 5 * 10 + 5, query(5.3, 4.8, 0.05));
    expect(dx).toBeCloseTo(0.3, 1);
    expect(dy).toBeCloseTo(-0.2, 1);
  });

  it('stays within half a cell, and inside the grid on its border', () => {
    const dense = smoothField(10, 10, 0.05);
    const [dx, dy] = refineSubcell(dense, 5 * 10 + 5, query(9, 9, 0.05));
    expect(dx).toBe(0.5);
    expect(dy).toBe(0.5);
    // Corner cell: a query beyond the grid stays on the centre; one inside moves inwards.
    expect(refineSubcell(dense, 0, query(-1, -1, 0.05))).toEqual([0, 0]);
    const [ix, iy] = refineSubcell(dense, 0, query(0.3, 0.3, 0.05));
    expect(ix).toBeCloseTo(0.3, 1);
    expect(iy).toBeCloseTo(0.3, 1);
  });

  it('keeps the cell centre where the field is flat', () => {
    const dense = smoothField(10, 10, 0);
    expect(refineSubcell(dense, 33, query(3, 3, 0))).toEqual([0, 0]);
  });
});
