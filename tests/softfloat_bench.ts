// Micro-benchmarks: `deno bench -A tests/softfloat_bench.ts`.
// Each iteration performs 1024 operations on pre-generated normal operands,
// so ops/second = 1024 / (time per iteration).
import { addSlow, divSlow, mulSlow, sqrtSlow } from "../core/softfloat/arith.ts";
import { F32, F64 } from "../core/softfloat/format.ts";
import { fmuladdSlow } from "../core/softfloat/fma.ts";
import { fcvtToIntSlow } from "../core/softfloat/convert.ts";
import {
  fadd,
  fcvtFromInt,
  fcvtToInt,
  fdiv,
  type FloatFormat,
  fmul,
  fmuladd,
  fsqrt,
} from "../core/softfloat/mod.ts";

const N = 1024;
const dv = new DataView(new ArrayBuffer(8));
function operands(fmt: FloatFormat): bigint[] {
  const out: bigint[] = [];
  for (let i = 0; i < N; i++) {
    const v = (Math.random() + 0.5) * 2 ** Math.floor(Math.random() * 40 - 20);
    if (fmt === "f64") {
      dv.setFloat64(0, v);
      out.push(dv.getBigUint64(0));
    } else {
      dv.setFloat32(0, v);
      out.push(BigInt(dv.getUint32(0)));
    }
  }
  return out;
}
const A64 = operands("f64"), B64 = operands("f64"), C64 = operands("f64");
const A32 = operands("f32"), B32 = operands("f32");
let sink = 0n;

for (const [fmt, A, B, info] of [["f64", A64, B64, F64], ["f32", A32, B32, F32]] as const) {
  const g = `${fmt} x${N}`;
  for (const rm of [0, 1]) {
    const tag = rm === 0 ? "RNE (fast path)" : "RTZ (slow path)";
    Deno.bench(`${fmt} fadd ${tag}`, { group: `${g} add` }, () => {
      const env = { rm, flags: 0 };
      for (let i = 0; i < N; i++) sink ^= fadd(fmt, A[i], B[i], env);
    });
    Deno.bench(`${fmt} fmul ${tag}`, { group: `${g} mul` }, () => {
      const env = { rm, flags: 0 };
      for (let i = 0; i < N; i++) sink ^= fmul(fmt, A[i], B[i], env);
    });
    Deno.bench(`${fmt} fdiv ${tag}`, { group: `${g} div` }, () => {
      const env = { rm, flags: 0 };
      for (let i = 0; i < N; i++) sink ^= fdiv(fmt, A[i], B[i], env);
    });
    Deno.bench(`${fmt} fsqrt ${tag}`, { group: `${g} sqrt` }, () => {
      const env = { rm, flags: 0 };
      for (let i = 0; i < N; i++) sink ^= fsqrt(fmt, A[i], env);
    });
  }
  Deno.bench(`${fmt} addSlow RNE`, { group: `${g} add` }, () => {
    const env = { rm: 0, flags: 0 };
    for (let i = 0; i < N; i++) sink ^= addSlow(info, A[i], B[i], env);
  });
  Deno.bench(`${fmt} mulSlow RNE`, { group: `${g} mul` }, () => {
    const env = { rm: 0, flags: 0 };
    for (let i = 0; i < N; i++) sink ^= mulSlow(info, A[i], B[i], env);
  });
  Deno.bench(`${fmt} divSlow RNE`, { group: `${g} div` }, () => {
    const env = { rm: 0, flags: 0 };
    for (let i = 0; i < N; i++) sink ^= divSlow(info, A[i], B[i], env);
  });
  Deno.bench(`${fmt} sqrtSlow RNE`, { group: `${g} sqrt` }, () => {
    const env = { rm: 0, flags: 0 };
    for (let i = 0; i < N; i++) sink ^= sqrtSlow(info, A[i], env);
  });
  Deno.bench(`${fmt} fmuladd RNE`, { group: `${g} misc` }, () => {
    const env = { rm: 0, flags: 0 };
    for (let i = 0; i < N; i++) {
      sink ^= fmuladd(fmt, A[i], B[i], C64[i] & info.wordMask, env, false, false);
    }
  });
  Deno.bench(`${fmt} fmuladdSlow RNE`, { group: `${g} misc` }, () => {
    const env = { rm: 0, flags: 0 };
    for (let i = 0; i < N; i++) {
      sink ^= fmuladdSlow(fmt, A[i], B[i], C64[i] & info.wordMask, env, false, false);
    }
  });
  Deno.bench(`${fmt} fcvtToInt w RTZ`, { group: `${g} cvt` }, () => {
    const env = { rm: 1, flags: 0 };
    for (let i = 0; i < N; i++) sink ^= fcvtToInt(fmt, A[i], 32, true, env);
  });
  Deno.bench(`${fmt} fcvtToIntSlow w RTZ`, { group: `${g} cvt` }, () => {
    const env = { rm: 1, flags: 0 };
    for (let i = 0; i < N; i++) sink ^= fcvtToIntSlow(fmt, A[i], 32, true, env);
  });
  Deno.bench(`${fmt} fcvtFromInt l`, { group: `${g} cvt` }, () => {
    const env = { rm: 0, flags: 0 };
    for (let i = 0; i < N; i++) sink ^= fcvtFromInt(fmt, BigInt(i * 77 - 300), 64, true, env);
  });
}

globalThis.addEventListener("unload", () => {
  if (sink === 12345n) console.log(sink);
});
