import { describe, expect, it } from 'vitest';
import { mul3, transpose3 } from '../linalg';
import { rotationAngleDeg } from '../metrics';
import { essentialFromPose, normalizePoints, recoverPose } from './pose';
import { K, R_GT, T_GT, sceneMatches } from './__fixtures__/scenes';

describe('recoverPose', () => {
  it('recoverPose picks the true decomposition of an exact E', () => {
    const { p1, p2 } = sceneMatches(9, 50, 0, 0);
    const n1 = normalizePoints(p1, K);
    const n2 = normalizePoints(p2, K);
    const E = essentialFromPose(R_GT, T_GT);
    const { R, t } = recoverPose(E, n1, n2);
    expect(rotationAngleDeg(R, R_GT)).toBeLessThan(1e-6);
    const tn = Math.hypot(...T_GT);
    t.forEach((v, k) => expect(v).toBeCloseTo(T_GT[k] / tn, 8)); // the sign too, by cheirality
    // R is a proper rotation.
    const rtr = mul3(transpose3(R), R);
    rtr.forEach((v, k) => expect(v).toBeCloseTo(k % 4 === 0 ? 1 : 0, 10));
  });
});
