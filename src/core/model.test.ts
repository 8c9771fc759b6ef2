import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as ort from 'onnxruntime-web';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { attentionInfoOf, CoamModel, inferModelInfo, parseModelInfo, splitInfoOf, validateOutputs } from './model';
import { readSplitGraphs } from './node';
import { isCoamError } from './errors';
import type { ModelInfo, PreparedImage } from './types';

ort.env.wasm.numThreads = 1;

const FIX = join(__dirname, '__fixtures__');
const bytes = (name: string) => new Uint8Array(readFileSync(join(FIX, name)));
const sidecar = () => JSON.parse(readFileSync(join(FIX, 'tiny_coam.json'), 'utf8')) as Record<string, unknown>;

/** The deterministic input the fixture script also computes: ((7c + 3y + 5x + salt) mod 17) / 16. */
function formulaImage(width: number, height: number, salt: number): PreparedImage {
  const tensor = new Float32Array(3 * width * height);
  for (let c = 0; c < 3; c++) {
    for (let y = 0; y < height; y++) {
      for (let x = 0; x < width; x++) tensor[(c * height + y) * width + x] = ((c * 7 + y * 3 + x * 5 + salt) % 17) / 16;
    }
  }
  return { tensor, width, height, originalWidth: width, originalHeight: height, scaleX: 1, scaleY: 1 };
}

async function expectCoamError(p: Promise<unknown> | (() => unknown), code: string, message?: RegExp): Promise<void> {
  let caught: unknown;
  try {
    await (typeof p === 'function' ? p() : p);
  } catch (e) {
    caught = e;
  }
  expect(isCoamError(caught), `expected CoamError(${code}), got ${String(caught)}`).toBe(true);
  expect((caught as { code: string }).code).toBe(code);
  if (message) expect((caught as Error).message).toMatch(message);
}

describe('parseModelInfo', () => {
  it('accepts the fixture sidecar', () => {
    const info = parseModelInfo(sidecar());
    expect(info.stride).toBe(4);
    expect(info.descriptorDim).toBe(16);
    expect(info.inputSize.longSide).toBe(64);
  });

  it('names the missing or bad field', async () => {
    const without = (path: string) => {
      const s = sidecar();
      if (path === 'inputSize.longSide') (s.inputSize as Record<string, unknown>).longSide = undefined;
      else if (path === 'training.seed') delete (s.training as Record<string, unknown>).seed;
      else delete s[path];
      return s;
    };
    for (const f of ['stride', 'descriptorDim', 'multiple', 'inputSize.longSide', 'name', 'version', 'training.seed', 'metrics']) {
      await expectCoamError(() => parseModelInfo(without(f)), 'model-contract', new RegExp(`'${f.replace('.', '\\.')}'`));
    }
    await expectCoamError(() => parseModelInfo({ ...sidecar(), stride: 0 }), 'model-contract', /'stride' must be a positive integer/);
    await expectCoamError(() => parseModelInfo({ ...sidecar(), descriptorDim: '64' }), 'model-contract', /'descriptorDim'/);
    await expectCoamError(() => parseModelInfo({ ...sidecar(), multiple: 6 }), 'model-contract', /multiple of 'stride'/);
    await expectCoamError(() => parseModelInfo([]), 'model-contract');
  });

  it('lenient mode fills placeholders but still needs the numbers', async () => {
    const info = parseModelInfo({ stride: 8, descriptorDim: 128, multiple: 32, inputSize: { longSide: 512 } }, { strict: false });
    expect(info.training.steps).toBe(0);
    expect(info.name).toBe('unnamed model');
    await expectCoamError(() => parseModelInfo({ stride: 8, multiple: 32, inputSize: { longSide: 512 } }, { strict: false }), 'model-contract', /descriptorDim/);
  });
});

describe('CoamModel on onnxruntime-web (wasm, Node)', () => {
  let model: CoamModel;
  let info: ModelInfo;
  beforeAll(async () => {
    info = parseModelInfo(sidecar());
    model = await CoamModel.create(ort, bytes('tiny_coam.onnx'), info);
  });
  afterAll(async () => {
    await model?.release();
  });

  it('runs with the right shapes, unit-norm descriptors, distinctiveness in [0,1]', async () => {
    expect(model.backend).toBe('wasm');
    const out = await model.run(formulaImage(64, 48, 1), formulaImage(32, 80, 2));
    expect([out.gridWidth, out.gridHeight, out.descriptorDim, out.stride]).toEqual([16, 12, 16, 4]);
    expect(out.descriptors.length).toBe(16 * 12 * 16);
    expect(out.distinctiveness.length).toBe(12 * 16);
    const n = 12 * 16;
    for (let i = 0; i < n; i++) {
      let s = 0;
      for (let c = 0; c < 16; c++) s += out.descriptors[c * n + i] ** 2;
      expect(Math.sqrt(s)).toBeCloseTo(1, 4);
      expect(out.distinctiveness[i]).toBeGreaterThanOrEqual(0);
      expect(out.distinctiveness[i]).toBeLessThanOrEqual(1);
    }
  });

  it('equals the PyTorch reference within 1e-4', async () => {
    const ref = JSON.parse(readFileSync(join(FIX, 'tiny_coam.reference.json'), 'utf8'));
    const out = await model.run(
      formulaImage(ref.image.width, ref.image.height, ref.image.salt),
      formulaImage(ref.condition.width, ref.condition.height, ref.condition.salt),
    );
    expect([1, out.descriptorDim, out.gridHeight, out.gridWidth]).toEqual(ref.descriptorsShape);
    let maxErr = 0;
    for (let i = 0; i < ref.descriptors.length; i++) maxErr = Math.max(maxErr, Math.abs(out.descriptors[i] - ref.descriptors[i]));
    for (let i = 0; i < ref.distinctiveness.length; i++) maxErr = Math.max(maxErr, Math.abs(out.distinctiveness[i] - ref.distinctiveness[i]));
    expect(maxErr).toBeLessThan(1e-4);
  });

  it('the condition changes the output (both inputs are used)', async () => {
    const a = await model.run(formulaImage(32, 32, 1), formulaImage(32, 32, 2));
    const b = await model.run(formulaImage(32, 32, 1), formulaImage(32, 32, 9));
    let diff = 0;
    for (let i = 0; i < a.descriptors.length; i++) diff += Math.abs(a.descriptors[i] - b.descriptors[i]);
    expect(diff).toBeGreaterThan(1e-3);
  });

  it('rejects tensors whose sides are not multiples of `multiple`', async () => {
    await expectCoamError(model.run(formulaImage(40, 32, 0), formulaImage(32, 32, 0)), 'bad-argument', /multiples of 16/);
  });

  it('a sidecar whose descriptorDim disagrees is caught at load time, naming both numbers', async () => {
    await expectCoamError(
      CoamModel.create(ort, bytes('tiny_coam.onnx'), { ...info, descriptorDim: 64 }),
      'model-contract',
      /model output 'descriptors' has 16 channels but the sidecar says descriptorDim 64/,
    );
  });

  it('a sidecar whose stride disagrees is caught on run', async () => {
    const wrong = await CoamModel.create(ort, bytes('tiny_coam.onnx'), { ...info, stride: 8, multiple: 16 });
    await expectCoamError(wrong.run(formulaImage(32, 32, 0), formulaImage(32, 32, 0)), 'model-contract', /stride 8.*looks like stride 4/);
    await wrong.release();
  });
});

describe('models that break the contract', () => {
  it('wrong input/output names → model-contract at load time', async () => {
    await expectCoamError(
      CoamModel.create(ort, bytes('bad_names.onnx'), parseModelInfo(sidecar())),
      'model-contract',
      /no input 'image' \(its inputs are 'img', 'condition'\)/,
    );
  });

  it('stride-8 grid / unnormalised descriptors / distinctiveness > 1 → model-contract on run', async () => {
    const info = parseModelInfo(sidecar());
    const m = await CoamModel.create(ort, bytes('bad_outputs.onnx'), info);
    await expectCoamError(m.run(formulaImage(64, 32, 0), formulaImage(32, 32, 0)), 'model-contract', /grid .*stride 4/);
    await m.release();
    const m8 = await CoamModel.create(ort, bytes('bad_outputs.onnx'), { ...info, stride: 8 });
    await expectCoamError(m8.run(formulaImage(64, 32, 0), formulaImage(32, 32, 0)), 'model-contract', /'distinctiveness' must be in \[0,1\]/);
    await m8.release();
  });

  it('validateOutputs names non-unit descriptors and NaNs', async () => {
    const dims = [1, 2, 1, 2];
    const good = { dims: [1, 1, 1, 2], data: Float32Array.of(0.5, 0.5) };
    await expectCoamError(
      () => validateOutputs({ dims, data: Float32Array.of(3, 0, 4, 1) }, good, { width: 8, height: 4 }, { stride: 4, descriptorDim: 2 }),
      'model-contract',
      /unit L2.*norm 5\.0000 at cell 0/,
    );
    await expectCoamError(
      () => validateOutputs({ dims, data: Float32Array.of(1, 0, 0, 1) }, { dims: [1, 1, 1, 2], data: Float32Array.of(NaN, 0) }, { width: 8, height: 4 }, { stride: 4, descriptorDim: 2 }),
      'model-contract',
      /non-finite/,
    );
  });

  it('bytes that are not a model → model-load', async () => {
    await expectCoamError(CoamModel.create(ort, new TextEncoder().encode('not an onnx file'), parseModelInfo(sidecar())), 'model-load');
  });
});

describe('inferModelInfo (a model without a sidecar)', () => {
  it('probes stride, descriptorDim and multiple from trial runs', async () => {
    const info = await inferModelInfo(ort, bytes('tiny_coam.onnx'), { name: 'mine.onnx' });
    expect(info.stride).toBe(4);
    expect(info.descriptorDim).toBe(16);
    expect(info.multiple).toBe(8);
    expect(info.name).toBe('mine.onnx');
    expect(info.inputSize.longSide).toBe(640);
  });

  it('still rejects a model that breaks the contract', async () => {
    await expectCoamError(inferModelInfo(ort, bytes('bad_outputs.onnx')), 'model-contract');
    await expectCoamError(inferModelInfo(ort, bytes('bad_names.onnx')), 'model-contract');
  });
});

describe('the committed model (models/coam.onnx + models/coam.json) through CoamModel', () => {
  const modelPath = join(__dirname, '..', '..', 'models', 'coam.onnx');
  const sidecarPath = join(__dirname, '..', '..', 'models', 'coam.json');
  it.skipIf(!existsSync(modelPath) || !existsSync(sidecarPath))('keeps the contract: shapes, unit-norm descriptors, distinctiveness in [0,1]', async () => {
    const info = parseModelInfo(JSON.parse(readFileSync(sidecarPath, 'utf8')));
    const m = await CoamModel.create(ort, new Uint8Array(readFileSync(modelPath)), info);
    const w = info.multiple * 3;
    const h = info.multiple * 2;
    const out = await m.run(formulaImage(w, h, 1), formulaImage(info.multiple * 2, info.multiple * 4, 2));
    await m.release();
    expect(out.descriptorDim).toBe(info.descriptorDim);
    expect([out.gridWidth, out.gridHeight]).toEqual([w / info.stride, h / info.stride]);
    const n = out.gridWidth * out.gridHeight;
    expect(out.descriptors.length).toBe(info.descriptorDim * n);
    for (let i = 0; i < n; i++) {
      let s = 0;
      for (let c = 0; c < info.descriptorDim; c++) s += out.descriptors[c * n + i] ** 2;
      expect(Math.abs(Math.sqrt(s) - 1)).toBeLessThan(1e-3);
      expect(out.distinctiveness[i] >= 0 && out.distinctiveness[i] <= 1).toBe(true);
    }
  });
});

describe('inferModelInfo on the committed model', () => {
  const modelPath = join(__dirname, '..', '..', 'models', 'coam.onnx');
  const sidecarPath = join(__dirname, '..', '..', 'models', 'coam.json');
  it.skipIf(!existsSync(modelPath) || !existsSync(sidecarPath))('probes the same stride, descriptorDim and multiple as its sidecar says', async () => {
    const info = parseModelInfo(JSON.parse(readFileSync(sidecarPath, 'utf8')));
    const probed = await inferModelInfo(ort, new Uint8Array(readFileSync(modelPath)));
    expect([probed.stride, probed.descriptorDim, probed.multiple]).toEqual([info.stride, info.descriptorDim, info.multiple]);
  });
});

describe('the split graphs (models/coam-encoder.onnx + coam-decoder.onnx) through CoamModel', () => {
  const models = join(__dirname, '..', '..', 'models');
  const file = (name: string) => new Uint8Array(readFileSync(join(models, name)));
  const info = () => parseModelInfo(JSON.parse(readFileSync(join(models, 'coam.json'), 'utf8')));

  it('splitInfoOf reads the sidecar and names a bad field', async () => {
    const split = splitInfoOf(info());
    expect(split?.featureNames).toEqual(['s4', 's8', 's16', 's32']);
    expect(split?.conditionFeatureNames).toEqual(['s16', 's32']);
    expect(splitInfoOf(sidecar())).toBeNull();
    await expectCoamError(() => splitInfoOf({ split: { ...split, featureNames: [] } }), 'model-contract', /'split\.featureNames'/);
    await expectCoamError(() => splitInfoOf({ split: { ...split, conditionFeatureNames: ['s64'] } }), 'model-contract', /s64/);
    await expectCoamError(() => splitInfoOf({ split: { ...split, encoder: undefined } }), 'model-contract', /'split\.encoder'/);
    await expectCoamError(() => splitInfoOf({ split: { ...split, decoder: '../elsewhere/coam-decoder.onnx' } }), 'model-contract', /file name beside the model/);
  });

  it('checks the graphs against the sidecar at load time', async () => {
    const contract = file('coam.onnx');
    const encoder = file('coam-encoder.onnx');
    const decoder = file('coam-decoder.onnx');
    // Swapped graphs, and a split without a sidecar naming it.
    await expectCoamError(CoamModel.create(ort, contract, info(), { split: { encoder: decoder, decoder: encoder } }), 'model-contract', /encoder graph's inputs/);
    const { split: _split, ...noSplit } = info();
    await expectCoamError(CoamModel.create(ort, contract, parseModelInfo(noSplit), { split: { encoder, decoder } }), 'model-contract', /'split'/);
    const renamed = { ...info(), split: { ...splitInfoOf(info()), conditionFeatureNames: ['s8', 's32'] } };
    await expectCoamError(CoamModel.create(ort, contract, parseModelInfo(renamed), { split: { encoder, decoder } }), 'model-contract', /condition_s8/);
    const m = await CoamModel.create(ort, contract, info(), { split: { encoder, decoder } });
    expect(m.hasSplit).toBe(true);
    const without = await CoamModel.create(ort, contract, info());
    expect(without.hasSplit).toBe(false);
    await expectCoamError(() => without.encode(formulaImage(64, 64, 0)), 'bad-argument', /no encoder\/decoder split/);
    await expectCoamError(m.encode(formulaImage(64, 48, 0)), 'bad-argument', /multiples of 32/);
    await m.release();
    await without.release();
    await expectCoamError(m.runPair(formulaImage(64, 64, 0), formulaImage(64, 64, 1)), 'inference', /released/);
  });

  it('the split graphs alone are the whole model: run() and runPair() equal the contract graph', async () => {
    const encoder = file('coam-encoder.onnx');
    const decoder = file('coam-decoder.onnx');
    await expectCoamError(CoamModel.create(ort, null, info()), 'bad-argument', /contract graph, its encoder\/decoder split/);
    await expectCoamError(CoamModel.create(ort, null, info(), { split: { encoder: decoder, decoder: encoder } }), 'model-contract', /encoder graph's inputs/);
    const splitOnly = await CoamModel.create(ort, null, info(), { split: { encoder, decoder } });
    const full = await CoamModel.create(ort, file('coam.onnx'), info());
    try {
      expect([splitOnly.hasSplit, splitOnly.hasContractGraph, splitOnly.backend]).toEqual([true, false, 'wasm']);
      const a = formulaImage(96, 64, 0);
      const b = formulaImage(64, 64, 2);
      const maxDiff = (x: Float32Array, y: Float32Array) => x.reduce((m, v, i) => Math.max(m, Math.abs(v - y[i])), 0);
      const viaSplit = await splitOnly.run(a, b);
      const viaContract = await full.run(a, b);
      expect([viaSplit.gridWidth, viaSplit.gridHeight]).toEqual([24, 16]);
      expect(maxDiff(viaSplit.descriptors, viaContract.descriptors)).toBeLessThan(1e-4);
      expect(maxDiff(viaSplit.distinctiveness, viaContract.distinctiveness)).toBeLessThan(1e-4);
      const self = await splitOnly.run(a, a);
      expect(maxDiff(self.descriptors, (await full.run(a, a)).descriptors)).toBeLessThan(1e-4);
      const [ab, ba] = await splitOnly.runPair(a, b);
      expect(maxDiff(ab.descriptors, viaContract.descriptors)).toBeLessThan(1e-4);
      expect(maxDiff(ba.descriptors, (await full.run(b, a)).descriptors)).toBeLessThan(1e-4);
    } finally {
      await splitOnly.release();
      await full.release();
    }
    await expectCoamError(splitOnly.run(formulaImage(64, 64, 0), formulaImage(64, 64, 1)), 'inference', /released/);
  });

  it('readSplitGraphs: only beside the contract graph it was exported with', () => {
    const modelPath = join(models, 'coam.onnx');
    const contract = file('coam.onnx');
    expect(readSplitGraphs(modelPath, contract, info())).not.toBeNull();
    const other = contract.slice();
    other[other.length - 1] ^= 1;
    expect(readSplitGraphs(modelPath, other, info())).toBeNull();
    expect(readSplitGraphs(join(FIX, 'tiny_coam.onnx'), bytes('tiny_coam.onnx'), info())).toBeNull();
  });
});

describe('the co-attention weights graph (models/coam-attention.onnx) through CoamModel', () => {
  const models = join(__dirname, '..', '..', 'models');
  const file = (name: string) => new Uint8Array(readFileSync(join(models, name)));
  const info = () => parseModelInfo(JSON.parse(readFileSync(join(models, 'coam.json'), 'utf8')));

  it('attentionInfoOf reads the sidecar, is null without one, and names a bad field', async () => {
    const att = attentionInfoOf(info());
    expect(att?.levels).toEqual(['s16', 's32']);
    expect(att?.outputs).toEqual(['attention_s16', 'attention_s32']);
    expect(attentionInfoOf(sidecar())).toBeNull();
    await expectCoamError(() => attentionInfoOf({ ...info(), attention: { ...att, levels: ['s8'] } }), 'model-contract', /s8/);
    await expectCoamError(() => attentionInfoOf({ ...info(), attention: { ...att, outputs: ['x', 'y'] } }), 'model-contract', /'attention\.outputs'/);
    await expectCoamError(() => attentionInfoOf({ ...info(), attention: { ...att, graph: '/etc/a.onnx' } }), 'model-contract', /file name beside the model/);
    const { split: _split, ...noSplit } = info();
    await expectCoamError(() => attentionInfoOf(noSplit as { attention?: unknown }), 'model-contract', /needs its 'split'/);
  });

  it("one cell's rows equal the full matrix's, each row sums to 1, and the graph is checked at load", async () => {
    const split = { encoder: file('coam-encoder.onnx'), decoder: file('coam-decoder.onnx') };
    await expectCoamError(CoamModel.create(ort, null, info(), { split, attention: split.decoder }), 'model-contract', /attention graph's inputs/);
    const m = await CoamModel.create(ort, null, info(), { split, attention: file('coam-attention.onnx') });
    const plain = await CoamModel.create(ort, null, info(), { split });
    const a = await m.encode(formulaImage(128, 96, 0));
    const b = await m.encode(formulaImage(96, 160, 3));
    try {
      expect([m.hasAttention, plain.hasAttention]).toEqual([true, false]);
      expect(m.attentionLevels).toEqual(['s16', 's32']);
      await expectCoamError(plain.attention(a, b), 'bad-argument', /no attention graph/);
      const full = await m.attention(a, b);
      // s16: A is 8×6 cells, B 6×10; s32: 4×3 and 3×5.
      expect(full.map((l) => [l.level, l.rows, l.columns])).toEqual([['s16', 48, 60], ['s32', 12, 15]]);
      for (const l of full) {
        for (let r = 0; r < l.rows; r++) {
          const sum = l.weights.subarray(r * l.columns, (r + 1) * l.columns).reduce((x, y) => x + y, 0);
          expect(Math.abs(sum - 1)).toBeLessThan(1e-4);
        }
      }
      const cells = [29, 7];
      const rows = await m.attention(a, b, cells);
      for (const [i, l] of rows.entries()) {
        expect(l.rows).toBe(1);
        const want = full[i].weights.subarray(cells[i] * l.columns, (cells[i] + 1) * l.columns);
        expect(l.weights.reduce((d, v, j) => Math.max(d, Math.abs(v - want[j])), 0)).toBeLessThan(1e-6);
      }
      // Another cell attends elsewhere: the rows are the cell's own.
      const other = await m.attention(a, b, [0, 0]);
      expect(other[0].weights.reduce((d, v, j) => Math.max(d, Math.abs(v - rows[0].weights[j])), 0)).toBeGreaterThan(1e-4);
      await expectCoamError(m.attention(a, b, [48, 0]), 'bad-argument', /outside the 8×6 grid/);
      await expectCoamError(m.attention(a, b, [0]), 'bad-argument', /One cell per level/);
    } finally {
      a.dispose();
      b.dispose();
      await m.release();
      await plain.release();
    }
  });
});
