import { describe, expect, it } from 'vitest';
import type { Point } from './types';
import {
  cornerError,
  fractionBelow,
  matchingAccuracy,
  meanOfFinite,
  poseAuc,
  poseErrorDeg,
  rotationAngleDeg,
  symmetricEpipolarDistance,
  translationAngleDeg,
} from './metrics';

const I3 = [1, 0, 0, 0, 1, 0, 0, 0, 1];
const THRESHOLDS = [1, 2, 3, 5, 10];

function rotZ(deg: number): number[] {
  const a = (deg * Math.PI) / 180;
  return [Math.cos(a), -Math.sin(a), 0, Math.sin(a), Math.cos(a), 0, 0, 0, 1];
}

describe('matchingAccuracy (MMA)', () => {
  const H = [1.1, 0.02, 5, -0.03, 0.95, 7, 1e-4, 2e-4, 1];
  const project = (p: Point): Point => {
    const w = H[6] * p[0] + H[7] * p[1] + H[8];
    return [(H[0] * p[0] + H[1] * p[1] + H[2]) / w, (H[3] * p[0] + H[4] * p[1] + H[5]) / w];
  };
  const pts: Point[] = Array.from({ length: 30 }, (_, i) => [(i * 37) % 200, (i * 53) % 150]);

  it('perfect matches give 1 at every threshold', () => {
    const matches = pts.map((p) => ({ xyA: p, xyB: project(p) }));
    expect(matchingAccuracy(matches, H, THRESHOLDS)).toEqual([1, 1, 1, 1, 1]);
  });

  it('a 2 px shift gives 0 at 1 px and 1 at 3 px', () => {
    const matches = pts.map((p) => {
      const q = project(p);
      return { xyA: p, xyB: [q[0] + 1.2, q[1] - 1.6] as Point }; // |(1.2, -1.6)| = 2
    });
    expect(matchingAccuracy(matches, H, [1, 1.99, 3, 5])).toEqual([0, 0, 1, 1]);
  });

  it('a mix gives the fraction; no matches give 0', () => {
    const matches = pts.slice(0, 4).map((p, i) => {
      const q = project(p);
      return { xyA: p, xyB: [q[0] + [0, 1.5, 4, 20][i], q[1]] as Point };
    });
    expect(matchingAccuracy(matches, H, [1, 2, 5, 10])).toEqual([0.25, 0.5, 0.75, 0.75]);
    expect(matchingAccuracy([], H, THRESHOLDS)).toEqual([0, 0, 0, 0, 0]);
  });
});

describe('cornerError', () => {
  it('is 0 for identical homographies and 5 for a 5 px translation', () => {
    const H = [1.1, 0.02, 5, -0.03, 0.95, 7, 1e-4, 2e-4, 1];
    expect(cornerError(H, H, 640, 480)).toBe(0);
    expect(cornerError(H.map((v) => v * 3), H, 640, 480)).toBeCloseTo(0, 9); // scale-invariant
    expect(cornerError([1, 0, 3, 0, 1, -4, 0, 0, 1], I3, 640, 480)).toBeCloseTo(5, 12);
  });

  it('averages the four corners (0,0), (w-1,0), (w-1,h-1), (0,h-1)', () => {
    // Scaling x by 2 moves the corners by 0, w-1, w-1, 0: mean (w-1)/2.
    expect(cornerError([2, 0, 0, 0, 1, 0, 0, 0, 1], I3, 101, 50)).toBeCloseTo(50, 12);
    expect(cornerError(null, I3, 10, 10)).toBe(Infinity);
  });
});

describe('symmetricEpipolarDistance', () => {
  // Pure horizontal translation (rectified pair): F = [t]x with t = (1, 0, 0), epipolar lines y2 = y1.
  const F = [0, 0, 0, 0, 0, -1, 0, 1, 0];

  it('is 0 for points on their epipolar lines', () => {
    const d = symmetricEpipolarDistance(F, [
      [10, 20, 50, 20],
      [0, -3, 100, -3],
    ]);
    expect(d).toEqual([0, 0]);
  });

  it('is the mean of the two point-to-line distances in px', () => {
    // x2 is 3 px below the line y = 20 in image 2; x1 is 3 px above y = 23 in image 1.
    expect(symmetricEpipolarDistance(F, [[10, 20, 50, 23]])[0]).toBeCloseTo(3, 12);
    // Scale of F does not matter.
    expect(symmetricEpipolarDistance(F.map((v) => -7 * v), [[10, 20, 50, 23]])[0]).toBeCloseTo(3, 12);
  });

  it('handles unequal distances in the two images', () => {
    // F with l2 = F x1 = (0, -1, y1) (line y = y1 in image 2) and l1 = F^T x2 = (0, 2, -2 y2)...
    // Use F = [[0,0,0],[0,0,-1],[0,2,0]]: l2 = (0, -1, 2 y1) -> y2 = 2 y1; l1 = (0, 2, -y2) -> y1 = y2 / 2.
    const G = [0, 0, 0, 0, 0, -1, 0, 2, 0];
    // x1 = (0, 10), x2 = (0, 26): distance in image 2 = |26 - 20| = 6; in image 1 = |10 - 13| = 3.
    expect(symmetricEpipolarDistance(G, [[0, 10, 0, 26]])[0]).toBeCloseTo(4.5, 12);
  });
});

describe('pose errors', () => {
  it('rotation angle of a known relative rotation', () => {
    expect(rotationAngleDeg(I3, I3)).toBe(0);
    expect(rotationAngleDeg(rotZ(30), rotZ(10))).toBeCloseTo(20, 9);
    expect(rotationAngleDeg(rotZ(90), I3)).toBeCloseTo(90, 9);
    expect(rotationAngleDeg(rotZ(180), I3)).toBeCloseTo(180, 6);
  });

  it('translation angle is sign- and scale-agnostic', () => {
    expect(translationAngleDeg([1, 0, 0], [5, 0, 0])).toBe(0);
    expect(translationAngleDeg([1, 0, 0], [-2, 0, 0])).toBe(0);
    expect(translationAngleDeg([1, 1, 0], [1, 0, 0])).toBeCloseTo(45, 9);
    expect(translationAngleDeg([-1, 1, 0], [1, 0, 0])).toBeCloseTo(45, 9);
    expect(translationAngleDeg([0, 1, 0], [1, 0, 0])).toBeCloseTo(90, 9);
  });

  it('pose error is the max of the two', () => {
    expect(poseErrorDeg(rotZ(3), [1, 1, 0], I3, [1, 0, 0])).toBeCloseTo(45, 9);
    expect(poseErrorDeg(rotZ(50), [1, 0.01, 0], I3, [1, 0, 0])).toBeCloseTo(50, 9);
  });
});

describe('poseAuc', () => {
  it('matches hand-computed areas', () => {
    // Errors 1, 2, 3, 4 (and a failure): recall steps 0.2 per pair.
    const errors = [3, 1, Infinity, 4, 2];
    // Up to t = 5: points (0,0),(1,.2),(2,.4),(3,.6),(4,.8),(5,.8): area = .1+.3+.5+.7+.8 = 2.4 -> 0.48.
    // Up to t = 2: (0,0),(1,.2),(2,.2)  [last recall before t]: area = .1+.2 = .3 -> 0.15.
    // Up to t = 2.5: (0,0),(1,.2),(2,.4),(2.5,.4): .1+.3+.2 = .6 -> 0.24.
    const auc = poseAuc(errors, [5, 2, 2.5, 1]);
    expect(auc[0]).toBeCloseTo(0.48, 12);
    expect(auc[1]).toBeCloseTo(0.15, 12);
    expect(auc[2]).toBeCloseTo(0.24, 12);
    // Up to t = 1: an error equal to t does not count yet (as in SuperGlue): (0,0),(1,0) -> 0.
    expect(auc[3]).toBe(0);
  });

  it('perfect poses give 1; all failures give 0', () => {
    expect(poseAuc([0, 0, 0], [5, 10, 20])).toEqual([1, 1, 1]);
    expect(poseAuc([Infinity, NaN], [5, 10])).toEqual([0, 0]);
    expect(poseAuc([], [5])).toEqual([0]);
  });
});

describe('fractionBelow and meanOfFinite', () => {
  it('counts strictly below each threshold', () => {
    expect(fractionBelow([0.5, 1, 3, Infinity], [1, 3, 10])).toEqual([0.25, 0.5, 0.75]);
    expect(fractionBelow([NaN, 2], [5])).toEqual([0.5]);
    expect(fractionBelow([], [5])).toEqual([0]);
  });

  it('meanOfFinite ignores non-finite values', () => {
    expect(meanOfFinite([1, 2, Infinity, 3])).toBe(2);
    expect(meanOfFinite([Infinity])).toBeNaN();
  });
});
