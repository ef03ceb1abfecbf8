// The split-k implicit-GEMM convolutions of hardware adapters
// (conv2d_splitk64 / conv2d_splitk32, then conv2d_splitk_sum through the
// device's scratch buffer; src/devices/webgpu/variants.ts), forced on whatever
// adapter is here (SwiftShader in CI) at small, odd shapes with 1 to 7 slices
// (some empty), strides, pads, dilations, groups, with and without bias and a
// clamp, against a float64 reference, outputs NaN-poisoned first; and the
// choice of split on the shapes it is for (resnet50's late layers).
import { describe, expect, it } from 'vitest';
import { packParams } from '../src/core/device.js';
import { convSplit, MAX_SPLIT, pickVariant, splitConvVariant, SPLIT_TARGET_GROUPS, tiledVariants } from '../src/devices/webgpu/variants.js';
import { closeness, randn, rng } from './helpers/gpu.js';
import { useForcedEnv, type ForcedEnv } from './helpers/webgpu-env.js';

const r = rng(Date.now() & 0xffff);

interface ConvShape {
  n: number; cin: number; h: number; w: number; cout: number; groups: number;
  kh: number; kw: number; s: [number, number]; d: [number, number];
  /** Begin pads (h, w) and end pads (h, w). */
  pb: [number, number]; pe: [number, number];
  bias: boolean; lo: number; hi: number;
}

const F32_MAX = 3.4028234663852886e38;
const outSize = (inp: number, k: number, s: number, d: number, pb: number, pe: number) => Math.floor((inp + pb + pe - ((k - 1) * d + 1)) / s) + 1;

function geometry(c: ConvShape) {
  const oh = outSize(c.h, c.kh, c.s[0], c.d[0], c.pb[0], c.pe[0]);
  const ow = outSize(c.w, c.kw, c.s[1], c.d[1], c.pb[1], c.pe[1]);
  return { oh, ow, total: c.n * c.cout * oh * ow };
}

/** conv_params.wgsl's words for this convolution (as src/infer/ops/conv.ts packs them). */
function params(c: ConvShape): ArrayBuffer {
  const { oh, ow, total } = geometry(c);
  return packParams([c.n, c.cin, c.h, c.w, c.cout, oh, ow, c.groups, c.kh, c.kw, c.s[0], c.s[1], c.pb[0], c.pb[1], c.d[0], c.d[1], c.bias ? 1 : 0, total, { f32: c.lo }, { f32: c.hi }]);
}

function convRef(c: ConvShape, x: Float32Array, wt: Float32Array, b: Float32Array): Float64Array {
  const { oh, ow, total } = geometry(c);
  const y = new Float64Array(total);
  const cinG = c.cin / c.groups;
  const coutG = c.cout / c.groups;
  for (let nb = 0; nb < c.n; nb++)
    for (let co = 0; co < c.cout; co++) {
      const g = Math.floor(co / coutG);
      for (let i = 0; i < oh; i++)
        for (let j = 0; j < ow; j++) {
          let v = c.bias ? b[co]! : 0;
          for (let ci = 0; ci < cinG; ci++)
            for (let a = 0; a < c.kh; a++)
              for (let e = 0; e < c.kw; e++) {
                const ih = i * c.s[0] + a * c.d[0] - c.pb[0];
                const iw = j * c.s[1] + e * c.d[1] - c.pb[1];
                if (ih < 0 || ih >= c.h || iw < 0 || iw >= c.w) continue;
                v += wt[((co * cinG + ci) * c.kh + a) * c.kw + e]! * x[((nb * c.cin + g * cinG + ci) * c.h + ih) * c.w + iw]!;
              }
          y[((nb * c.cout + co) * oh + i) * ow + j] = Math.min(c.hi, Math.max(c.lo, v));
        }
    }
  return y;
}

const base: ConvShape = { n: 1, cin: 8, h: 7, w: 7, cout: 16, groups: 1, kh: 3, kw: 3, s: [1, 1], d: [1, 1], pb: [1, 1], pe: [1, 1], bias: true, lo: -F32_MAX, hi: F32_MAX };
const shapes: [string, ConvShape][] = [
  ['3x3 pads 1, 37 -> 45, 2x7x9 (k 333: edge tiles on both axes)', { ...base, n: 2, cin: 37, h: 7, w: 9, cout: 45 }],
  ['1x1, 70 -> 66, 5x5, no bias, clamped to [0, 0.5] (a fused Clip)', { ...base, cin: 70, h: 5, w: 5, cout: 66, kh: 1, kw: 1, pb: [0, 0], pe: [0, 0], bias: false, lo: 0, hi: 0.5 }],
  ['3x3 stride 2, dilation 2, asymmetric pads, groups 3, Relu', { ...base, n: 2, cin: 21, h: 13, w: 11, cout: 9, groups: 3, s: [2, 2], d: [2, 2], pb: [2, 0], pe: [1, 2], lo: 0 }],
  ['5x3 kernel, stride (1, 2), 12 -> 70, 1x9x10 (k 180)', { ...base, cin: 12, h: 9, w: 10, cout: 70, kh: 5, kw: 3, s: [1, 2], pb: [2, 1], pe: [2, 0] }],
];

async function checkForced(env: ForcedEnv, c: ConvShape): Promise<number> {
  const { total } = geometry(c);
  const x = randn(c.n * c.cin * c.h * c.w, r);
  const wt = randn(c.cout * (c.cin / c.groups) * c.kh * c.kw, r);
  const b = randn(c.cout, r);
  const y = env.s.poisoned(total);
  env.dev.launch({ kernel: 'conv2d', bindings: [env.s.upload(x), env.s.upload(wt), env.s.upload(b), y], params: params(c), threads: [total, 1, 1] });
  const got = await env.s.readF32(y, total);
  await env.s.reset();
  return closeness(got, convRef(c, x, wt, b), 1e-4, 1e-4);
}

for (const [kernel, tile] of [['conv2d_splitk64', 64], ['conv2d_splitk32', 32]] as const)
  for (const slices of [1, 3, 7])
    describe(`${kernel} with ${slices} slice(s), forced (vs float64)`, () => {
      const env = useForcedEnv({ kernels: 'tiled', variants: { conv2d: [splitConvVariant(kernel, tile, undefined, () => slices)] } });
      for (const [name, c] of shapes) it(name, async () => expect(await checkForced(env, c)).toBeLessThan(1));
    });

describe('split-k scratch', () => {
  const env = useForcedEnv({ kernels: 'tiled', variants: { conv2d: [splitConvVariant('conv2d_splitk32', 32, undefined, () => 3)] } });
  it('a launch after the first creates no GPU buffer, and repeats the first bit for bit; a larger one grows the scratch', async () => {
    const c = shapes[0]![1];
    const { total } = geometry(c);
    const wider = { ...c, w: c.w + 8 }; // more outputs: a larger scratch
    const ins = [randn(c.n * c.cin * c.h * wider.w, r), randn(c.cout * c.cin * c.kh * c.kw, r), randn(c.cout, r)].map((a) => env.s.upload(a));
    let created = 0;
    const gpu = env.dev.gpu as GPUDevice & { createBuffer: GPUDevice['createBuffer'] };
    const real = gpu.createBuffer.bind(gpu);
    /** The output, and the buffers the launch itself created (not the readback's staging). */
    const run = async (shape: ConvShape, n: number) => {
      const y = env.s.poisoned(n);
      const before = created;
      env.dev.launch({ kernel: 'conv2d', bindings: [...ins, y], params: params(shape), threads: [n, 1, 1] });
      const made = created - before;
      return { out: await env.s.readF32(y, n), made };
    };
    gpu.createBuffer = (d: GPUBufferDescriptor) => {
      created++;
      return real(d);
    };
    try {
      const first = await run(c, total);
      const again = await run(c, total);
      expect(again.made).toBe(0);
      expect(Array.from(again.out)).toEqual(Array.from(first.out));
      const big = await run(wider, geometry(wider).total);
      expect(big.made).toBe(1);
      expect(big.out.some((v) => Number.isNaN(v))).toBe(false);
    } finally {
      gpu.createBuffer = real;
      await env.s.reset();
    }
  });
});

describe('split-k choice', () => {
  // conv_params words: n, cin, h, w, cout, oh, ow, groups, kh, kw (3x3, stride 1, pads 1)
  const conv = (n: number, pix: number, cin: number, cout: number, k = 3, groups = 1) =>
    packParams([n, cin, pix, pix, cout, pix, pix, groups, k, k, 1, 1, (k - 1) / 2, (k - 1) / 2, 1, 1, 1, n * cout * pix * pix, 0, 0]);
  it('resnet50\'s late layers split; convolutions that fill the GPU, narrow groups and short reductions do not', () => {
    expect(convSplit(conv(1, 7, 512, 512))).toEqual({ tile: 32, slices: 8 }); // layer4 3x3, batch 1: 2 x 16 tiles of 32, k 4608
    expect(convSplit(conv(1, 7, 1024, 512, 1))).toEqual({ tile: 32, slices: 8 }); // layer4 1x1 reduce
    expect(convSplit(conv(8, 7, 512, 512))).toEqual({ tile: 64, slices: 5 }); // layer4 3x3, batch 8: 7 x 8 tiles of 64
    expect(convSplit(conv(1, 14, 256, 256))).toEqual({ tile: 32, slices: 5 }); // layer3 3x3: 7 x 8 tiles of 32
    expect(convSplit(conv(1, 56, 64, 256, 1))).toBeUndefined(); // k 64: too short to split
    expect(convSplit(conv(8, 56, 64, 256))).toBeUndefined(); // 392 x 4 tiles of 64: fills the GPU
    expect(convSplit(conv(1, 7, 512, 512, 3, 32))).toBeUndefined(); // 16 channels per group
    for (const p of [conv(1, 7, 512, 512), conv(8, 7, 512, 512), conv(1, 14, 256, 256)]) {
      const s = convSplit(p)!;
      expect(s.slices).toBeLessThanOrEqual(MAX_SPLIT);
      expect(pickVariant(tiledVariants, 'conv2d', p)?.kernel).toBe(`conv2d_splitk${s.tile}`);
    }
    expect(SPLIT_TARGET_GROUPS).toBe(256);
  });
  it('the variant\'s grid has the slices along z and a scratch of slices x outputs; its sum covers every output', () => {
    const p = conv(1, 7, 512, 512);
    const v = pickVariant(tiledVariants, 'conv2d', p)!;
    expect(v.groups([1, 1, 1], p)).toEqual([2, 16, 8]);
    expect(v.scratch!(p)).toBe(8 * 512 * 49);
    expect(v.then!.kernel).toBe('conv2d_splitk_sum');
    expect(v.then!.groups(p)).toEqual([Math.ceil((512 * 49) / 256), 1, 1]);
  });
});
