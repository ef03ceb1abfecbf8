// IEEE 754 binary16 (ONNX float16) <-> JS numbers. The engine holds float16
// tensors as f32 on the device (computed in f32, rounded to float16 where a
// value leaves the engine or a Cast asks for float16): docs/webgpu-training.md.

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/** The value of a binary16 bit pattern (subnormals, infinities and NaN included). */
export function halfToFloat(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >> 10) & 0x1f;
  const frac = h & 0x3ff;
  if (exp === 0) return sign * frac * 2 ** -24;
  if (exp === 31) return frac ? NaN : sign * Infinity;
  return sign * (1 + frac / 1024) * 2 ** (exp - 15);
}

/** The binary16 bit pattern nearest to v (ties to even; beyond 65504 rounds to infinity as IEEE does). */
export function floatToHalf(v: number): number {
  f32[0] = v; // to f32 first, as the device holds it
  const x = u32[0]!;
  const sign = (x >>> 16) & 0x8000;
  const exp = (x >>> 23) & 0xff;
  const frac = x & 0x7fffff;
  if (exp === 255) return sign | 0x7c00 | (frac ? 0x200 : 0);
  const e = exp - 127 + 15;
  if (e >= 31) return sign | 0x7c00;
  if (e <= 0) {
    // subnormal half (or zero): shift the 24-bit significand right, ties to even
    if (e < -10) return sign;
    const m = frac | 0x800000;
    const shift = 14 - e;
    let r = m >>> shift;
    const rest = m & ((1 << shift) - 1);
    const halfway = 1 << (shift - 1);
    if (rest > halfway || (rest === halfway && r & 1)) r++;
    return sign | r;
  }
  let r = (e << 10) | (frac >>> 13);
  const rest = frac & 0x1fff;
  if (rest > 0x1000 || (rest === 0x1000 && r & 1)) r++; // a carry into the exponent is right (up to infinity)
  return sign | r;
}

/** v rounded to the nearest binary16 value. */
export function roundToHalf(v: number): number {
  return halfToFloat(floatToHalf(v));
}
