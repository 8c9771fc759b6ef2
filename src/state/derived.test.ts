import { describe, expect, it } from 'vitest';
import type { Conditioning } from '../core/types';
import { conditioningComparison } from './derived';
import type { CoamState, RunSummary } from './store';

const summary = (conditioning: Conditioning, over: Partial<RunSummary> = {}): RunSummary => ({
  imageA: 'a',
  imageB: 'b',
  longSide: 640,
  search: 'auto',
  maxRatio: 0.85,
  conditioning,
  matches: conditioning === 'pair' ? 120 : 90,
  // Inliers are looked up at min(K, matches): 100 for the pair run, 90 for the self run.
  inliers: [{ kind: 'homography', k: conditioning === 'pair' ? 100 : 90, count: conditioning === 'pair' ? 60 : 40 }],
  ...over,
});

function state(summaries: RunSummary[]): Pick<CoamState, 'summaries' | 'images' | 'run' | 'k' | 'result' | 'ransac'> {
  return {
    summaries,
    images: { A: { id: 'a' }, B: { id: 'b' } } as unknown as CoamState['images'],
    run: { status: 'done', runId: 3, imageA: 'a', imageB: 'b', longSide: 640, search: 'auto', maxRatio: 0.85, conditioning: 'pair' },
    k: 100,
    result: null,
    ransac: 'homography',
  };
}

describe('conditioningComparison', () => {
  it('compares the pair and self runs of the same images and matcher settings', () => {
    expect(conditioningComparison(state([summary('pair'), summary('self')]))).toEqual({
      pair: { matches: 120, inliers: 60 },
      self: { matches: 90, inliers: 40 },
    });
  });

  it('does not compare runs made with another ratio test, view search or input size', () => {
    for (const over of [{ maxRatio: 1 }, { search: 'off' as const }, { longSide: 320 }, { imageB: 'c' }]) {
      expect(conditioningComparison(state([summary('pair'), summary('self', over)])), JSON.stringify(over)).toBeNull();
    }
  });
});
