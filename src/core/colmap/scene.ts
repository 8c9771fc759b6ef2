/**
 * Pairs of matches in, a COLMAP scene out: images and cameras, per-image keypoints merged across
 * pairs (keypoints.ts), each pair's matches and its verified geometry (twoView.ts), written to a
 * COLMAP database (database.ts). Open it on an existing database to resume: its images, keypoints
 * and matched pairs are read back and new pairs add to them.
 */
import { CoamError } from '../errors';
import type { Point } from '../types';
import { ColmapDatabase, defaultCamera, pairIdOf } from './database';
import { KeypointSet, mergePairMatches } from './keypoints';
import { verifyPair } from './twoView';

export interface SceneImage {
  imageId: number;
  name: string;
  width: number;
  height: number;
  keypoints: KeypointSet;
}

export interface PairSummary {
  /** Matches written (after merging and one-to-one). */
  matches: number;
  /** Of those, RANSAC inliers written to two_view_geometries (0 when the pair did not verify). */
  inliers: number;
}

export class ColmapScene {
  private readonly byName = new Map<string, SceneImage>();
  private readonly dirty = new Set<SceneImage>();
  private readonly done: Set<number>;
  private sharedCameraId: number | null = null;

  /**
   * `mergeRadius(width, height)`: the merge radius, in an image's own pixels, for an image of that
   * size. Images already in the database keep their keypoints, merged with that radius from now on.
   */
  constructor(
    readonly db: ColmapDatabase,
    private readonly mergeRadius: (width: number, height: number) => number,
    private readonly options: { singleCamera?: boolean } = {},
  ) {
    for (const row of db.images()) {
      const keypoints = new KeypointSet(mergeRadius(row.width, row.height), db.keypoints(row.imageId));
      this.byName.set(row.name, { imageId: row.imageId, name: row.name, width: row.width, height: row.height, keypoints });
      if (options.singleCamera) this.sharedCameraId ??= row.cameraId;
    }
    this.done = db.matchedPairIds();
  }

  image(name: string): SceneImage | undefined {
    return this.byName.get(name);
  }

  get images(): SceneImage[] {
    return [...this.byName.values()];
  }

  /** Add an image (with COLMAP's default camera for its size) unless it is there already. */
  addImage(name: string, width: number, height: number): SceneImage {
    const have = this.byName.get(name);
    if (have) {
      if (have.width !== width || have.height !== height) {
        throw new CoamError('bad-argument', `${name} is ${width}x${height} but the database has it as ${have.width}x${have.height}; --force starts the database over`);
      }
      return have;
    }
    let cameraId = this.options.singleCamera ? this.sharedCameraId : null;
    if (cameraId === null) {
      cameraId = this.db.addCamera(defaultCamera(width, height));
      if (this.options.singleCamera) this.sharedCameraId = cameraId;
    }
    const imageId = this.db.addImage(name, cameraId);
    const image = { imageId, name, width, height, keypoints: new KeypointSet(this.mergeRadius(width, height)) };
    this.byName.set(name, image);
    this.dirty.add(image);
    return image;
  }

  /** Whether the pair (either order) already has its matches in the database. */
  isMatched(nameA: string, nameB: string): boolean {
    const a = this.byName.get(nameA);
    const b = this.byName.get(nameB);
    return !!a && !!b && this.done.has(pairIdOf(a.imageId, b.imageId));
  }

  /**
   * One pair's matches, best first, in original pixels with pixel centres at integers (the
   * pipeline's frame): shifted by half a pixel into COLMAP's (top-left pixel centred at 0.5, 0.5),
   * merged into each image's keypoints, written with their verified geometry.
   */
  addPair(nameA: string, nameB: string, matches: ReadonlyArray<{ xyA: Point; xyB: Point }>, verify: { thresholdPx: number; minInliers?: number }): PairSummary {
    const a = this.byName.get(nameA);
    const b = this.byName.get(nameB);
    if (!a || !b) throw new Error(`unknown image ${a ? nameB : nameA}`);
    // Rounded to float32 as the database stores them, so a resumed run merges exactly as an uninterrupted one.
    const colmapPixel = (p: Point): Point => [Math.fround(p[0] + 0.5), Math.fround(p[1] + 0.5)];
    const shifted = matches.map((m) => ({ xyA: colmapPixel(m.xyA), xyB: colmapPixel(m.xyB) }));
    const before = [a.keypoints.points.length, b.keypoints.points.length];
    const indexed = mergePairMatches(a.keypoints, b.keypoints, shifted);
    if (a.keypoints.points.length !== before[0]) this.dirty.add(a);
    if (b.keypoints.points.length !== before[1]) this.dirty.add(b);
    const geometry = verifyPair(a.keypoints.points, b.keypoints.points, indexed, verify);
    // Keypoints first: a matches row marks the pair done, and its indices must exist on resume.
    this.flushKeypoints();
    this.db.setTwoViewGeometry(a.imageId, b.imageId, geometry);
    this.db.setMatches(a.imageId, b.imageId, indexed);
    this.done.add(pairIdOf(a.imageId, b.imageId));
    return { matches: indexed.length, inliers: geometry.inliers.length };
  }

  /** Write the keypoints of images that gained some (every image gets a row, possibly empty). */
  flushKeypoints(): void {
    for (const image of this.dirty) this.db.setKeypoints(image.imageId, image.keypoints.points);
    this.dirty.clear();
  }
}
