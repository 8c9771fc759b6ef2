import initSqlJs from 'sql.js';
import { describe, expect, it } from 'vitest';
import type { Point } from '../types';
import { ColmapDatabase, imagesOfPairId, MAX_NUM_IMAGES, pairIdOf, TWO_VIEW_CONFIG } from './database';
import { KeypointSet, mergePairMatches, trackLengths } from './keypoints';
import { exhaustivePairs, parsePairsTxt, sequentialPairs, uniquePairs } from './pairs';
import { ColmapScene } from './scene';
import { verifyPair } from './twoView';

describe('KeypointSet', () => {
  it('merges a point into the nearest keypoint within the radius, and only within it', () => {
    const set = new KeypointSet(3, [
      [10, 10],
      [14, 10],
    ]);
    expect(set.nearest([11, 10])).toBe(0);
    expect(set.nearest([13, 10.5])).toBe(1);
    expect(set.nearest([10, 13])).toBe(0); // exactly at the radius
    expect(set.nearest([10, 13.01])).toBe(-1);
    expect(set.nearest([100, 100])).toBe(-1);
    // Across bucket borders and at negative coordinates.
    const edge = new KeypointSet(2, [[-0.5, -0.5]]);
    expect(edge.nearest([1, 0.5])).toBe(0);
  });

  it('with radius 0 merges identical points only', () => {
    const set = new KeypointSet(0, [[5.5, 7.5]]);
    expect(set.nearest([5.5, 7.5])).toBe(0);
    expect(set.nearest([5.5, 7.51])).toBe(-1);
    expect(() => new KeypointSet(-1)).toThrow(RangeError);
  });
});

describe('mergePairMatches', () => {
  it('turns two pairs that see one point into a track across three images', () => {
    const [s1, s2, s3] = [new KeypointSet(2), new KeypointSet(2), new KeypointSet(2)];
    const m12 = mergePairMatches(s1, s2, [{ xyA: [10, 10], xyB: [20, 20] }]);
    const m23 = mergePairMatches(s2, s3, [{ xyA: [21, 20.5], xyB: [30, 30] }]); // image 2's point 1.1 px away
    expect(m12).toEqual([[0, 0]]);
    expect(m23).toEqual([[0, 0]]);
    expect(s2.points).toEqual([[20, 20]]); // a keypoint stays where it was first seen
    expect(
      trackLengths([
        { imageA: 1, imageB: 2, matches: m12 },
        { imageA: 2, imageB: 3, matches: m23 },
      ]),
    ).toEqual([3]);
    // With a radius below that distance, the track breaks into two of length 2.
    const [t1, t2, t3] = [new KeypointSet(1), new KeypointSet(1), new KeypointSet(1)];
    const n12 = mergePairMatches(t1, t2, [{ xyA: [10, 10], xyB: [20, 20] }]);
    const n23 = mergePairMatches(t2, t3, [{ xyA: [21, 20.5], xyB: [30, 30] }]);
    expect(n23).toEqual([[1, 0]]);
    expect(
      trackLengths([
        { imageA: 1, imageB: 2, matches: n12 },
        { imageA: 2, imageB: 3, matches: n23 },
      ]).sort(),
    ).toEqual([2, 2]);
  });

  it('keeps a pair one-to-one: a later match landing on a used keypoint is dropped and adds nothing', () => {
    const a = new KeypointSet(2);
    const b = new KeypointSet(2);
    const out = mergePairMatches(a, b, [
      { xyA: [10, 10], xyB: [50, 50] },
      { xyA: [11, 10], xyB: [80, 80] }, // A's point merges into the first match's keypoint
      { xyA: [30, 30], xyB: [51, 50] }, // B's point does
      { xyA: [40, 40], xyB: [90, 90] },
    ]);
    expect(out).toEqual([
      [0, 0],
      [1, 1],
    ]);
    expect(a.points).toEqual([
      [10, 10],
      [40, 40],
    ]);
    expect(b.points).toEqual([
      [50, 50],
      [90, 90],
    ]);
  });
});

describe('pair lists', () => {
  it("reads COLMAP's pairs.txt and reports lines that are not two different names", () => {
    const { pairs, malformed } = parsePairsTxt('# comment\na.jpg b.jpg\n\n  c/d.png   e.png \r\nonly.jpg\nx.jpg x.jpg\n');
    expect(pairs).toEqual([
      ['a.jpg', 'b.jpg'],
      ['c/d.png', 'e.png'],
    ]);
    expect(malformed.map((m) => m.line)).toEqual([5, 6]);
  });

  it('lists exhaustive and sequential pairs, and drops repeats in either order', () => {
    const names = ['1', '2', '3', '4'];
    expect(exhaustivePairs(names)).toHaveLength(6);
    expect(sequentialPairs(names, 2)).toEqual([
      ['1', '2'],
      ['1', '3'],
      ['2', '3'],
      ['2', '4'],
      ['3', '4'],
    ]);
    expect(uniquePairs([['a', 'b'], ['b', 'a'], ['a', 'c']])).toEqual([
      ['a', 'b'],
      ['a', 'c'],
    ]);
  });
});

describe('ColmapDatabase', () => {
  it("uses COLMAP's pair id (smaller id first) and stores a pair given in the other order swapped", async () => {
    expect(pairIdOf(3, 7)).toBe(3 * MAX_NUM_IMAGES + 7);
    expect(pairIdOf(7, 3)).toBe(3 * MAX_NUM_IMAGES + 7);
    expect(imagesOfPairId(pairIdOf(1000, 2))).toEqual([2, 1000]);

    const SQL = await initSqlJs();
    const db = ColmapDatabase.create(new SQL.Database());
    expect(db.missingTables()).toEqual([]);
    const cam = db.addCamera({ model: 2, width: 40, height: 30, params: [48, 20, 15, 0] });
    const id1 = db.addImage('one.jpg', cam);
    const id2 = db.addImage('two.jpg', cam);
    db.setKeypoints(id1, [[1.5, 2.5], [3.5, 4.5]]);
    expect(db.keypoints(id1)).toEqual([[1.5, 2.5], [3.5, 4.5]]);
    // Given as (two, one): stored under one's column first, F transposed.
    const F = [1, 2, 3, 4, 5, 6, 7, 8, 9];
    db.setMatches(id2, id1, [[5, 0], [6, 1]]);
    db.setTwoViewGeometry(id2, id1, { inliers: [[6, 1]], config: TWO_VIEW_CONFIG.UNCALIBRATED, F });
    const pairId = pairIdOf(id1, id2);
    expect(pairId).toBeGreaterThan(2 ** 31); // past 32 bits: stored as a 64-bit integer
    expect(db.matches(pairId)).toEqual([[0, 5], [1, 6]]);
    expect(db.matches(pairId, 'two_view_geometries')).toEqual([[1, 6]]);
    const [[storedId, type, fBlob]] = db.db.exec('SELECT pair_id, typeof(pair_id), F FROM two_view_geometries')[0].values;
    expect([Number(storedId), type]).toEqual([pairId, 'integer']);
    const f = new Float64Array((fBlob as Uint8Array).slice().buffer);
    expect([...f]).toEqual([1, 4, 7, 2, 5, 8, 3, 6, 9]);
  });
});

describe('ColmapScene', () => {
  it('shifts points into COLMAP pixel centres, verifies, and resumes from the database', async () => {
    const SQL = await initSqlJs();
    const db = ColmapDatabase.create(new SQL.Database());
    const scene = new ColmapScene(db, () => 1);
    scene.addImage('a.png', 200, 100);
    scene.addImage('b.png', 200, 100);
    // A sideways camera move over points at different depths (disparity along x only), one gross outlier.
    const matches: Array<{ xyA: Point; xyB: Point }> = [];
    for (let i = 0; i < 40; i++) {
      const p: Point = [10 + (i % 8) * 20, 10 + Math.floor(i / 8) * 18];
      matches.push({ xyA: p, xyB: i === 7 ? [5, 90] : [p[0] + 3 + ((i * 7) % 11) * 0.7, p[1]] });
    }
    const summary = scene.addPair('a.png', 'b.png', matches, { thresholdPx: 1 });
    expect(summary.matches).toBe(40);
    expect(summary.inliers).toBe(39);
    expect(db.keypoints(1)[0]).toEqual([10.5, 10.5]);
    expect(scene.isMatched('b.png', 'a.png')).toBe(true);

    const again = new ColmapScene(db, () => 1);
    expect(again.isMatched('a.png', 'b.png')).toBe(true);
    expect(again.image('b.png')!.keypoints.points).toHaveLength(40);
    expect(() => again.addImage('a.png', 100, 100)).toThrow(/200x100/);
  });

  it('stores a pair that does not verify as DEGENERATE with no inliers', () => {
    const pts: Point[] = Array.from({ length: 10 }, (_, i) => [i * 3, (i * 7) % 11]);
    const g = verifyPair(pts, pts, pts.map((_, i) => [i, i] as [number, number]), { thresholdPx: 1 });
    expect(g).toEqual({ inliers: [], config: TWO_VIEW_CONFIG.DEGENERATE });
  });
});
