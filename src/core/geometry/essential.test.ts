import { describe, expect, it } from 'vitest';
import { mul3, transpose3 } from '../linalg';
import { rotationAngleDeg, translationAngleDeg } from '../metrics';
import { estimateEssential, ransacEssential } from './essential';
import { normalizePoints, recoverPose } from './pose';
import { K, R_GT, T_GT, sceneMatches } from './__fixtures__/scenes';

describe('essential matrix', () => {
  it('estimateEssential enforces two equal singular values and a zero one', () => {
    const { p1, p2 } = sceneMatches(10, 40, 0, 0.5);
    const E = estimateEssential(normalizePoints(p1, K), normalizePoints(p2, K))!;
    // E E^T has eigenvalues (s^2, s^2, 0): trace = 2 s^2, and E E^T E = s^2 E.
    const EEt = mul3(E, transpose3(E));
    const s2 = (EEt[0] + EEt[4] + EEt[8]) / 2;
    const EEtE = mul3(EEt, E);
    EEtE.forEach((v, k) => expect(v).toBeCloseTo(s2 * E[k], 10));
  });

  it('RANSAC essential + recoverPose on a synthetic scene with 50% outliers', () => {
    const { p1, p2 } = sceneMatches(11, 100, 100);
    const n1 = normalizePoints(p1, K);
    const n2 = normalizePoints(p2, K);
    const r = ransacEssential(n1, n2, { threshold: 1.5 / 500, seed: 2 })!;
    expect(r).not.toBeNull();
    let trueIn = 0;
    for (let i = 0; i < 100; i++) trueIn += r.inliers[i];
    expect(trueIn / 100).toBeGreaterThan(0.9);
    const { R, t } = recoverPose(r.E, n1, n2, r.inliers);
    expect(rotationAngleDeg(R, R_GT)).toBeLessThan(1);
    expect(translationAngleDeg(t, T_GT)).toBeLessThan(2);
    // Not just sign-agnostic: cheirality picks the true direction.
    expect(t[0] * T_GT[0] + t[1] * T_GT[1] + t[2] * T_GT[2]).toBeGreaterThan(0);
  });
});
