/**
 * The hardware performance monitor CSRs of QEMU 7.2's `virt` harts (pmu-num=16): mhpmevent3-31
 * hold what software writes, mhpmcounter3-18 (and their RV32 high halves) too, and
 * hpmcounter3-18 read them where mcounteren and scounteren allow. No event is counted: the
 * counters keep what was written (QEMU's count host time, which no run repeats). Counters 19-31
 * are illegal, as in QEMU.
 *
 * @module
 */

import { CsrIllegal, Priv } from "./csr.ts";
import { counterAllowed, defineHartCsr } from "./csr_machine.ts";
import type { RiscvHart } from "./hart.ts";

/** The first programmable counter and how many QEMU 7.2's harts have (its pmu-num). */
const FIRST = 3, COUNTERS = 16;

for (let n = FIRST; n <= 31; n++) {
  defineHartCsr({
    num: 0x320 + n,
    name: `mhpmevent${n}`,
    priv: Priv.M,
    read: (h) => h.mhpmevent[n - FIRST],
    write: (h, v) => {
      h.mhpmevent[n - FIRST] = v;
    },
  });
}

/** Counter `n`'s 64 bits with its low or (`high`) high half replaced by `v`'s at `xlen`. */
function withHalf(old: bigint, v: bigint, high: boolean, xlen: 32 | 64): bigint {
  if (xlen === 64) return BigInt.asUintN(64, v);
  const half = BigInt.asUintN(32, v);
  return high ? (old & 0xffffffffn) | (half << 32n) : (old & ~0xffffffffn) | half;
}

const read = (h: RiscvHart, i: number, high: boolean, xlen: 32 | 64) =>
  high ? h.mhpmcounter[i] >> 32n : BigInt.asIntN(xlen, h.mhpmcounter[i]);

for (let n = FIRST; n < FIRST + COUNTERS; n++) {
  const i = n - FIRST;
  for (const high of [false, true]) {
    const h32 = high ? 0x80 : 0, suffix = high ? "h" : "";
    defineHartCsr({
      num: 0xb00 + h32 + n,
      name: `mhpmcounter${n}${suffix}`,
      priv: Priv.M,
      rv32Only: high,
      read: (h, xlen) => read(h, i, high, xlen),
      write: (h, v, xlen) => {
        h.mhpmcounter[i] = withHalf(h.mhpmcounter[i], v, high, xlen);
      },
    });
    defineHartCsr({
      num: 0xc00 + h32 + n,
      name: `hpmcounter${n}${suffix}`,
      priv: Priv.U,
      rv32Only: high,
      read: (h, xlen) => {
        if (!counterAllowed(h, n)) throw new CsrIllegal();
        return read(h, i, high, xlen);
      },
    });
  }
}
