/**
 * Per-image keypoints shared across pairs. CoAM's matches are pair-dependent (each image is
 * described conditioned on the other), so the same corner seen in three pairs comes back as three
 * slightly different points. COLMAP builds tracks only through shared keypoint indices, so each
 * image keeps one list of keypoints and every new point within `radius` pixels of one already in
 * the list becomes that keypoint (the nearest, when several are that close); points farther than
 * that from all of them become new keypoints. A keypoint stays where it was first seen, so the
 * lists only grow, indices never change and a run can resume from the lists in the database.
 *
 * Plain maths, no I/O: the CLI feeds it each pair's matches and writes the lists out.
 */
import type { Point } from '../types';

/** One image's keypoints, with a grid of `radius`-sized buckets for the nearest-within-radius query. */
export class KeypointSet {
  readonly points: Point[] = [];
  private readonly buckets = new Map<number, number[]>();
  private readonly bucket: number;

  /** `radius` in the image's pixels; 0 merges only identical points. */
  constructor(
    readonly radius: number,
    existing: readonly Point[] = [],
  ) {
    if (!(radius >= 0) || !Number.isFinite(radius)) throw new RangeError(`radius must be a finite number ≥ 0, got ${radius}`);
    this.bucket = Math.max(radius, 1);
    for (const p of existing) this.add(p);
  }

  private key(bx: number, by: number): number {
    // Buckets of ≥ 1 px over images below 2^20 px a side (and a margin for negative coordinates).
    return (bx + 1024) * 4_194_304 + (by + 1024);
  }

  /** Index of the nearest keypoint within the radius, or -1. */
  nearest(p: Point): number {
    const bx = Math.floor(p[0] / this.bucket);
    const by = Math.floor(p[1] / this.bucket);
    let best = -1;
    let bestD2 = this.radius * this.radius;
    for (let dy = -1; dy <= 1; dy++) {
      for (let dx = -1; dx <= 1; dx++) {
        const list = this.buckets.get(this.key(bx + dx, by + dy));
        if (!list) continue;
        for (const i of list) {
          const q = this.points[i];
          const d2 = (q[0] - p[0]) ** 2 + (q[1] - p[1]) ** 2;
          if (d2 < bestD2 || (d2 === bestD2 && (best < 0 || i < best))) {
            best = i;
            bestD2 = d2;
          }
        }
      }
    }
    return best;
  }

  /** Append a new keypoint (no merging) and return its index. */
  add(p: Point): number {
    const i = this.points.length;
    this.points.push([p[0], p[1]]);
    const k = this.key(Math.floor(p[0] / this.bucket), Math.floor(p[1] / this.bucket));
    const list = this.buckets.get(k);
    if (list) list.push(i);
    else this.buckets.set(k, [i]);
    return i;
  }
}

/**
 * One pair's matches (best first) as keypoint indices into A's and B's sets, merging each point
 * into its image's set. A keypoint takes part in at most one match of a pair (COLMAP's
 * correspondence graph expects one-to-one matches): a later match whose point merges into a
 * keypoint an earlier one already used is dropped, and adds no keypoints.
 */
export function mergePairMatches(
  setA: KeypointSet,
  setB: KeypointSet,
  matches: ReadonlyArray<{ xyA: Point; xyB: Point }>,
): Array<[number, number]> {
  const usedA = new Set<number>();
  const usedB = new Set<number>();
  const out: Array<[number, number]> = [];
  for (const m of matches) {
    let ia = setA.nearest(m.xyA);
    let ib = setB.nearest(m.xyB);
    if ((ia >= 0 && usedA.has(ia)) || (ib >= 0 && usedB.has(ib))) continue;
    if (ia < 0) ia = setA.add(m.xyA);
    if (ib < 0) ib = setB.add(m.xyB);
    usedA.add(ia);
    usedB.add(ib);
    out.push([ia, ib]);
  }
  return out;
}

/**
 * Track lengths implied by pairwise matches over keypoint indices (union-find over
 * (image, keypoint) nodes): how many images each connected set of keypoints spans. For the
 * command's summary and tests; COLMAP builds its own tracks from the same matches.
 */
export function trackLengths(pairs: ReadonlyArray<{ imageA: number; imageB: number; matches: ReadonlyArray<readonly [number, number]> }>): number[] {
  const parent = new Map<string, string>();
  const find = (x: string): string => {
    let r = x;
    while (parent.has(r) && parent.get(r) !== r) r = parent.get(r)!;
    let c = x;
    while (c !== r) {
      const next = parent.get(c) ?? r;
      parent.set(c, r);
      c = next;
    }
    return r;
  };
  for (const p of pairs) {
    for (const [a, b] of p.matches) {
      const ka = `${p.imageA}:${a}`;
      const kb = `${p.imageB}:${b}`;
      if (!parent.has(ka)) parent.set(ka, ka);
      if (!parent.has(kb)) parent.set(kb, kb);
      const ra = find(ka);
      const rb = find(kb);
      if (ra !== rb) parent.set(ra, rb);
    }
  }
  const images = new Map<string, Set<string>>();
  for (const k of parent.keys()) {
    const r = find(k);
    const image = k.slice(0, k.indexOf(':'));
    let s = images.get(r);
    if (!s) images.set(r, (s = new Set()));
    s.add(image);
  }
  return [...images.values()].map((s) => s.size);
}
