// Values and a checker shared by the hand-written softfloat corner-case tests.
import { assert, assertEquals } from "./helpers.ts";
import type { FloatEnv } from "../../core/softfloat/mod.ts";

const buf = new DataView(new ArrayBuffer(8));
/** binary64 bits of a JS number. */
export function d(x: number): bigint {
  buf.setFloat64(0, x);
  return buf.getBigUint64(0);
}
/** binary32 bits of a JS number (must be representable). */
export function s(x: number): bigint {
  buf.setFloat32(0, x);
  assert(buf.getFloat32(0) === x || Number.isNaN(x), `${x} not representable in binary32`);
  return BigInt(buf.getUint32(0));
}

export const SNAN32 = 0x7f800001n;
export const SNAN64 = 0x7ff0000000000001n;
export const NEG_QNAN32 = 0xffc00123n;
export const NEG_QNAN64 = 0xfff8000000000123n;
export const INF32 = 0x7f800000n;
export const NINF32 = 0xff800000n;
export const INF64 = 0x7ff0000000000000n;
export const NINF64 = 0xfff0000000000000n;
export const MAX32 = 0x7f7fffffn;
export const MAX64 = 0x7fefffffffffffffn;
export const MINSUB32 = 1n;
export const MINNORM32 = 0x00800000n;
export const MINNORM64 = 0x0010000000000000n;
export const NZ32 = 0x80000000n;
export const NZ64 = 0x8000000000000000n;

/** Run `fn` in a fresh env and check result and flags. */
export function check(
  name: string,
  rm: number,
  fn: (env: FloatEnv) => bigint,
  want: bigint,
  wantFlags: number,
): void {
  const env = { rm, flags: 0 };
  const got = fn(env);
  assertEquals(got, want, `${name} (rm=${rm}) result`);
  assertEquals(env.flags, wantFlags, `${name} (rm=${rm}) flags`);
}
