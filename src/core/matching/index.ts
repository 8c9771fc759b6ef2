/**
 * CoAM's matching (Wiles et al., CVPR 2021): candidate cells chosen by distinctiveness (local
 * non-maximum suppression, a cap), cosine similarity of the unit descriptors, mutual nearest
 * neighbours, the ratio test, and score = similarity x distinctiveness(A) x distinctiveness(B),
 * sorted descending so that any top-K is a prefix of one list.
 *
 *   match.ts       two dense outputs to one sorted list of matches; topK
 *   candidates.ts  candidate cells by distinctiveness after non-maximum suppression
 *   mutual.ts      mutual nearest neighbours, among candidates or against the whole grid
 *   ratio.ts       nearest neighbours with the runner-up outside a window; the distance ratio
 *   simd.ts        the WebAssembly SIMD dot-product kernel, assembled byte by byte
 *   subcell.ts     sub-cell refinement of a match's position
 *   cells.ts       cells <-> fed pixels, a cell's descriptor, the "inspect" similarity map
 */
export { type RawMatch, matchDense, topK, validateDense } from './match';
export { selectCandidates } from './candidates';
export { type MutualNearestResult, mutualNearest, mutualNearestScalar, mutualNearestGrid } from './mutual';
export { type Exclusion, RATIO_EXCLUSION_RADIUS, nearestNeighbours, distanceRatio } from './ratio';
export { mutualNearestBackend } from './simd';
export { refineSubcell } from './subcell';
export { cellCenterFed, nearestCell, similarityMap, descriptorAt } from './cells';
