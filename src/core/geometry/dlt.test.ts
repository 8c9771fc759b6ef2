import { describe, expect, it } from 'vitest';
import { isCollinear } from './dlt';

describe('isCollinear', () => {
  it('is true for points on a line and for fewer than 3 points', () => {
    expect(isCollinear([[0, 0], [1, 1], [2, 2]])).toBe(true);
    expect(isCollinear([[0, 0], [1, 1], [2, 2.5]])).toBe(false);
    expect(isCollinear([[0, 0], [1, 1]])).toBe(true);
  });
});
