/**
 * WebAssembly SIMD similarity kernel: the all-pairs dot products of two sets of descriptors,
 * f32x4, in a one-function module assembled byte by byte below.
 */

export interface SimdKernel {
  /** S[r * nb + j] = <A[r], B[j]> for r < rows, j < nb (nb a multiple of 4, d of 4), all f32. */
  dots: (a: number, b: number, s: number, rows: number, nb: number, d: number) => void;
  memory: WebAssembly.Memory;
}

let simdState: SimdKernel | null | undefined;

/** Which kernel `mutualNearest` uses in this runtime (for a status line or a benchmark). */
export function mutualNearestBackend(): 'wasm-simd' | 'js' {
  return simdKernel() ? 'wasm-simd' : 'js';
}

/** The kernel, compiled once (about 500 bytes); null where WebAssembly SIMD is unavailable. */
export function simdKernel(): SimdKernel | null {
  if (simdState !== undefined) return simdState;
  simdState = null;
  try {
    if (typeof WebAssembly === 'undefined') return null;
    const bytes = dotsModuleBytes();
    if (!WebAssembly.validate(bytes)) return null;
    const instance = new WebAssembly.Instance(new WebAssembly.Module(bytes), {});
    const { dots, mem } = instance.exports as { dots: SimdKernel['dots']; mem: WebAssembly.Memory };
    simdState = { dots, memory: mem };
  } catch {
    simdState = null;
  }
  return simdState;
}

/**
 * The binary of a one-function module, written out here rather than shipped as a file so the
 * core stays plain TypeScript. In WAT terms:
 *   for i < rows: for j < nb step 4:  acc0..3 = sum_k A[i][k:k+4] * B[j+0..3][k:k+4]  (f32x4)
 *                                      S[i*nb + j + 0..3] = horizontal sums of acc0..3
 * One A load feeds four B rows; the memory is exported as `mem`, the function as `dots`.
 */
function dotsModuleBytes(): Uint8Array<ArrayBuffer> {
  const I32 = 0x7f;
  const V128 = 0x7b;
  const leb = (n: number) => {
    const out: number[] = [];
    do {
      let byte = n & 0x7f;
      n >>>= 7;
      if (n) byte |= 0x80;
      out.push(byte);
    } while (n);
    return out;
  };
  const name = (t: string) => [...leb(t.length), ...Array.from(t, (c) => c.charCodeAt(0))];
  const section = (id: number, body: number[]) => [id, ...leb(body.length), ...body];
  const get = (l: number) => [0x20, l];
  const set = (l: number) => [0x21, l];
  const tee = (l: number) => [0x22, l];
  const i32 = (v: number) => [0x41, ...leb(v)];
  const simd = (op: number) => [0xfd, ...leb(op)];
  const [BLOCK, LOOP, END, BR, BR_IF] = [[0x02, 0x40], [0x03, 0x40], 0x0b, 0x0c, 0x0d];
  const [ADD, MUL, SHL, GE_U, F32_ADD, F32_STORE] = [0x6a, 0x6c, 0x74, 0x4f, 0x92, 0x38];
  const load = [...simd(0x00), 4, 0]; // v128.load align=16 offset=0
  const zero = [...simd(0x0c), ...new Array<number>(16).fill(0)]; // v128.const 0
  const [F4_MUL, F4_ADD] = [simd(0xe6), simd(0xe4)];
  const lane = (l: number) => [...simd(0x1f), l]; // f32x4.extract_lane
  // Locals: 6 params, then 10 i32, then 5 v128.
  const [a, b, s, rows, nb, d] = [0, 1, 2, 3, 4, 5];
  const [i, j, k, pa, pb, pb1, pb2, pb3, rowBytes, addr] = [6, 7, 8, 9, 10, 11, 12, 13, 14, 15];
  const [acc0, acc1, acc2, acc3, va] = [16, 17, 18, 19, 20];
  // acc += va * B[p + k]
  const mac = (acc: number, p: number) => [
    ...get(acc), ...get(va), ...get(p), ...get(k), ADD, ...load, ...F4_MUL, ...F4_ADD, ...set(acc),
  ];
  // ((lane0 + lane1) + lane2) + lane3
  const hsum = (acc: number) => [
    ...get(acc), ...lane(0),
    ...get(acc), ...lane(1), F32_ADD,
    ...get(acc), ...lane(2), F32_ADD,
    ...get(acc), ...lane(3), F32_ADD,
  ];
  const store = (acc: number, offset: number) => [...get(addr), ...hsum(acc), F32_STORE, 2, offset];
  const code = [
    ...get(d), ...i32(2), SHL, ...set(rowBytes),
    ...BLOCK, ...LOOP,
    ...get(i), ...get(rows), GE_U, BR_IF, 1,
    ...get(a), ...get(i), ...get(rowBytes), MUL, ADD, ...set(pa),
    ...i32(0), ...set(j), ...get(b), ...set(pb),
    ...BLOCK, ...LOOP,
    ...get(j), ...get(nb), GE_U, BR_IF, 1,
    ...get(pb), ...get(rowBytes), ADD, ...tee(pb1),
    ...get(rowBytes), ADD, ...tee(pb2),
    ...get(rowBytes), ADD, ...set(pb3),
    ...zero, ...set(acc0), ...zero, ...set(acc1), ...zero, ...set(acc2), ...zero, ...set(acc3),
    ...i32(0), ...set(k),
    ...BLOCK, ...LOOP,
    ...get(k), ...get(rowBytes), GE_U, BR_IF, 1,
    ...get(pa), ...get(k), ADD, ...load, ...set(va),
    ...mac(acc0, pb), ...mac(acc1, pb1), ...mac(acc2, pb2), ...mac(acc3, pb3),
    ...get(k), ...i32(16), ADD, ...set(k),
    BR, 0,
    END, END,
    ...get(s), ...get(i), ...get(nb), MUL, ...get(j), ADD, ...i32(2), SHL, ADD, ...set(addr),
    ...store(acc0, 0), ...store(acc1, 4), ...store(acc2, 8), ...store(acc3, 12),
    ...get(pb3), ...get(rowBytes), ADD, ...set(pb),
    ...get(j), ...i32(4), ADD, ...set(j),
    BR, 0,
    END, END,
    ...get(i), ...i32(1), ADD, ...set(i),
    BR, 0,
    END, END,
    END,
  ];
  const body = [2, 10, I32, 5, V128, ...code];
  return new Uint8Array([
    0x00, 0x61, 0x73, 0x6d, 1, 0, 0, 0, // magic, version 1
    ...section(1, [1, 0x60, 6, I32, I32, I32, I32, I32, I32, 0]), // type: (i32 x 6) -> ()
    ...section(3, [1, 0]), // one function of type 0
    ...section(5, [1, 0, 1]), // one memory, at least 1 page
    ...section(7, [2, ...name('dots'), 0, 0, ...name('mem'), 2, 0]), // exports
    ...section(10, [1, ...leb(body.length), ...body]), // code
  ]);
}

/** Rows of A per kernel call: the similarity block S stays small (rows x nB floats). */
const SIMD_ROWS = 64;
const MAX_SIMD_BYTES = 512 * 1024 * 1024;

/**
 * The similarities of every candidate of A with every candidate of B, computed in the SIMD kernel
 * SIMD_ROWS rows at a time and handed to `onRow(i, S, o)`: row i is S[o .. o + candB.length).
 * False (nothing visited) when the kernel's memory cannot hold the problem.
 */
export function simdRows(
  kernel: SimdKernel,
  descA: Float32Array,
  candA: Int32Array,
  cellsA: number,
  descB: Float32Array,
  candB: Int32Array,
  cellsB: number,
  dim: number,
  onRow: (i: number, S: Float32Array, o: number) => void,
): boolean {
  const nA = candA.length;
  const nB = candB.length;
  const D = (dim + 3) & ~3; // rows padded with zeros to whole f32x4 vectors
  const nBp = (nB + 3) & ~3; // and B padded with zero rows to whole groups of 4
  const offA = 0;
  const offB = offA + nA * D * 4;
  const offS = offB + nBp * D * 4;
  const need = offS + SIMD_ROWS * nBp * 4;
  if (need > MAX_SIMD_BYTES) return false;
  const { memory, dots } = kernel;
  if (memory.buffer.byteLength < need) {
    try {
      memory.grow(Math.ceil((need - memory.buffer.byteLength) / 65536));
    } catch {
      return false;
    }
  }
  const heap = new Float32Array(memory.buffer);
  heap.fill(0, 0, offS / 4);
  for (let k = 0; k < nA; k++) {
    const row = offA / 4 + k * D;
    const c = candA[k];
    for (let d = 0; d < dim; d++) heap[row + d] = descA[d * cellsA + c];
  }
  for (let k = 0; k < nB; k++) {
    const row = offB / 4 + k * D;
    const c = candB[k];
    for (let d = 0; d < dim; d++) heap[row + d] = descB[d * cellsB + c];
  }
  const S = new Float32Array(memory.buffer, offS, SIMD_ROWS * nBp);
  for (let i0 = 0; i0 < nA; i0 += SIMD_ROWS) {
    const rows = Math.min(SIMD_ROWS, nA - i0);
    dots(offA + i0 * D * 4, offB, offS, rows, nBp, D);
    for (let r = 0; r < rows; r++) onRow(i0 + r, S, r * nBp);
  }
  return true;
}
