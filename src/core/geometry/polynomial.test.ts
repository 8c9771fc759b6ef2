import { describe, expect, it } from 'vitest';
import { realRoots } from './polynomial';

describe('realRoots', () => {
  it('realRoots finds the real roots of a known polynomial', () => {
    // (x - 1)(x + 2)(x - 0.5)(x^2 + 1) = x^5 + 0.5x^4 - 1.5x^3 + 1.5x^2 - 2.5x + 1
    const roots = realRoots([1, -2.5, 1.5, -1.5, 0.5, 1]).sort((a, b) => a - b);
    expect(roots).toHaveLength(3);
    [-2, 0.5, 1].forEach((r, k) => expect(roots[k]).toBeCloseTo(r, 10));
    expect(realRoots([1, 0, 1])).toEqual([]); // x^2 + 1
    expect(realRoots([0, 0, 0])).toEqual([]);
  });
});
