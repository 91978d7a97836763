// Reference vectors produced on x86-64 hardware by tests/softfloat/gen_vectors.c.
import { assertEquals } from "./softfloat/helpers.ts";
import {
  fadd,
  fcvtFF,
  fcvtFromInt,
  fcvtToInt,
  fdiv,
  feq,
  fle,
  type FloatEnv,
  type FloatFormat,
  flt,
  fmul,
  fmuladd,
  fsqrt,
  fsub,
} from "../core/softfloat/mod.ts";

type Op = (rm: number, a: bigint, b: bigint, c: bigint, env: FloatEnv) => bigint;

function table(): Record<string, Op> {
  const t: Record<string, Op> = {};
  for (const [sfx, fmt] of [["s", "f32"], ["d", "f64"]] as [string, FloatFormat][]) {
    t[`add.${sfx}`] = (_rm, a, b, _c, env) => fadd(fmt, a, b, env);
    t[`sub.${sfx}`] = (_rm, a, b, _c, env) => fsub(fmt, a, b, env);
    t[`mul.${sfx}`] = (_rm, a, b, _c, env) => fmul(fmt, a, b, env);
    t[`div.${sfx}`] = (_rm, a, b, _c, env) => fdiv(fmt, a, b, env);
    t[`sqrt.${sfx}`] = (_rm, a, _b, _c, env) => fsqrt(fmt, a, env);
    t[`fmadd.${sfx}`] = (_rm, a, b, c, env) => fmuladd(fmt, a, b, c, env, false, false);
    t[`fmsub.${sfx}`] = (_rm, a, b, c, env) => fmuladd(fmt, a, b, c, env, false, true);
    t[`fnmsub.${sfx}`] = (_rm, a, b, c, env) => fmuladd(fmt, a, b, c, env, true, false);
    t[`fnmadd.${sfx}`] = (_rm, a, b, c, env) => fmuladd(fmt, a, b, c, env, true, true);
    t[`eq.${sfx}`] = (_rm, a, b, _c, env) => feq(fmt, a, b, env);
    t[`lt.${sfx}`] = (_rm, a, b, _c, env) => flt(fmt, a, b, env);
    t[`le.${sfx}`] = (_rm, a, b, _c, env) => fle(fmt, a, b, env);
    for (
      const [isfx, bits, signed] of [["w", 32, true], ["wu", 32, false], ["l", 64, true], [
        "lu",
        64,
        false,
      ]] as [string, 32 | 64, boolean][]
    ) {
      t[`cvt.${isfx}.${sfx}`] = (_rm, a, _b, _c, env) => fcvtToInt(fmt, a, bits, signed, env);
      t[`cvt.${sfx}.${isfx}`] = (_rm, a, _b, _c, env) => fcvtFromInt(fmt, a, bits, signed, env);
    }
  }
  t["cvt.s.d"] = (_rm, a, _b, _c, env) => fcvtFF("f64", "f32", a, env);
  t["cvt.d.s"] = (_rm, a, _b, _c, env) => fcvtFF("f32", "f64", a, env);
  return t;
}

const text = await Deno.readTextFile(new URL("./softfloat/vectors.txt", import.meta.url));
const lines = text.split("\n").filter((l) => l.length > 0 && !l.startsWith("#"));
const ops = table();

function hex(v: bigint): string {
  return "0x" + v.toString(16);
}

Deno.test(`softfloat reference vectors (${lines.length} cases)`, () => {
  const failures: string[] = [];
  const perOp = new Map<string, number>();
  for (const line of lines) {
    const [op, rmS, aS, bS, cS, resS, flS] = line.split(" ");
    const fn = ops[op];
    if (!fn) throw new Error(`unknown op in vector file: ${op}`);
    const rm = Number(rmS);
    const p = (s: string) => (s === "-" ? 0n : BigInt("0x" + s));
    const env = { rm, flags: 0 };
    const got = fn(rm, p(aS), p(bS), p(cS), env);
    const want = p(resS);
    const wantFl = parseInt(flS, 16);
    perOp.set(op, (perOp.get(op) ?? 0) + 1);
    if (got !== want || env.flags !== wantFl) {
      failures.push(`${line}  => got ${hex(got)} flags ${env.flags.toString(16)}`);
    }
  }
  if (failures.length) console.log(failures.slice(0, 40).join("\n"));
  assertEquals(failures.length, 0, `${failures.length} of ${lines.length} vectors failed`);
  assertEquals(perOp.size, 42, "vector file covers all 42 operations");
});
