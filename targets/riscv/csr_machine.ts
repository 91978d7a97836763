/**
 * Machine-level CSRs (privileged architecture 1.12) and the counters as
 * system mode sees them. Importing this module registers them in the CSR
 * table; they act on the hart of the accessing CPU ({@linkcode hartOf}).
 *
 * Not implemented (illegal, as on QEMU 7.2's default CPU unless noted):
 * mseccfg (no Smepmp); mhpmcounter3-18 and mhpmevent3-31 are in `csr_hpm.ts`. Sstc's stimecmp is in `csr_supervisor.ts`.
 *
 * @module
 */

import type { CpuCore } from "../../plugin_target.ts";
import { MipBit } from "./causes.ts";
import { csrDef, CsrIllegal, defineCsr, Priv } from "./csr.ts";
import { hartOf, misaValue, Mstatus, REGIME_STATUS_BITS, type RiscvHart } from "./hart.ts";
import { PMP_ENTRIES } from "./pmp.ts";
import { MENVCFG_STCE } from "./sstc.ts";
import { PRIV_FLAGS } from "./translate.ts";

/** A CSR defined in terms of the hart. */
export interface HartCsr {
  num: number;
  name: string;
  priv: number;
  read(h: RiscvHart, xlen: 32 | 64): bigint;
  write?(h: RiscvHart, value: bigint, xlen: 32 | 64): void;
  /** what csrrs/csrrc modify, when it differs from what they read (see {@linkcode CsrDef}) */
  readForModify?(h: RiscvHart, xlen: 32 | 64): bigint;
  /** end the TB after a write (it may enable an interrupt or change translation) */
  endsTb?: boolean;
  /** RV32 only (the high halves) */
  rv32Only?: boolean;
}

/**
 * Registers a CSR whose handlers take the hart (values are sign-extended to XLEN).
 *
 * @example
 * ```ts ignore
 * defineHartCsr({ num: 0x340, name: "mscratch", priv: Priv.M, read: (h) => h.mscratch,
 *   write: (h, v) => { h.mscratch = v; } });
 * ```
 */
export function defineHartCsr(c: HartCsr): void {
  const hart = (cpu: CpuCore) => {
    const h = hartOf(cpu);
    if (!h || (c.rv32Only && h.xlen !== 32)) throw new CsrIllegal();
    return h;
  };
  const write = c.write, readForModify = c.readForModify;
  defineCsr({
    num: c.num,
    name: c.name,
    priv: c.priv,
    endsTb: c.endsTb,
    read: (cpu, xlen) => BigInt.asIntN(xlen, c.read(hart(cpu), xlen)),
    write: write ? (cpu, v, xlen) => write(hart(cpu), BigInt.asIntN(xlen, v), xlen) : undefined,
    readForModify: readForModify
      ? (cpu, xlen) => BigInt.asIntN(xlen, readForModify(hart(cpu), xlen))
      : undefined,
  });
}

/** mstatus bits software may write. */
const MSTATUS_WRITABLE = Mstatus.SIE | Mstatus.MIE | Mstatus.SPIE | Mstatus.MPIE | Mstatus.SPP |
  Mstatus.MPP | Mstatus.FS | Mstatus.MPRV | Mstatus.SUM | Mstatus.MXR | Mstatus.TVM | Mstatus.TW |
  Mstatus.TSR;
/** Interrupt bits: SSI, MSI, STI, MTI, SEI, MEI. */
const ALL_INTERRUPTS = 0xaaa;
/** Interrupts M-mode may delegate and pend by software: SSI, STI, SEI. */
export const S_INTERRUPTS = 0x222;
/** Exceptions M-mode may delegate: 0-9, 12, 13, 15. */
const DELEGABLE_EXCEPTIONS = 0xb3ff;

/**
 * mstatus as read: SD summarises FS and VS (neither is tracked per
 * instruction: once enabled each reads as Dirty, so kernels always save the
 * FP and vector state).
 *
 * @example
 * ```ts ignore
 * const v = mstatusRead(hart);
 * ```
 */
export function mstatusRead(h: RiscvHart): bigint {
  let v = h.mstatus;
  if (v & Mstatus.FS) v |= Mstatus.FS;
  if (v & Mstatus.VS) v |= Mstatus.VS;
  if ((v & Mstatus.FS) === Mstatus.FS || (v & Mstatus.VS) === Mstatus.VS) {
    v |= 1n << BigInt(h.xlen - 1);
  }
  return v;
}

/**
 * Writes the writable mstatus bits in `mask`; MPP=2 (reserved) leaves MPP unchanged.
 *
 * @example
 * ```ts ignore
 * mstatusWrite(hart, value, SSTATUS_MASK);
 * ```
 */
export function mstatusWrite(h: RiscvHart, value: bigint, mask: bigint): void {
  let m = mask & (h.hasVector ? MSTATUS_WRITABLE | Mstatus.VS : MSTATUS_WRITABLE);
  if (((value >> 11n) & 3n) === 2n) m &= ~Mstatus.MPP;
  const before = h.mstatus;
  h.mstatus = (before & ~m) | (value & m);
  const changed = before ^ h.mstatus;
  if (changed & (Mstatus.FS | Mstatus.VS)) {
    h.fpStateChanged();
    // The TB flags say whether FS and VS are Off: generated code leaves at the next
    // instruction boundary instead of chaining on to code translated under the old ones.
    h.cpu.exitRequest = true;
  }
  if (changed & REGIME_STATUS_BITS) h.regimeChanged();
  h.interruptsChanged();
}

defineHartCsr({
  num: 0x300,
  name: "mstatus",
  priv: Priv.M,
  read: mstatusRead,
  write: (h, v) => mstatusWrite(h, v, MSTATUS_WRITABLE | Mstatus.VS),
  endsTb: true,
});
defineHartCsr({
  num: 0x310,
  name: "mstatush",
  priv: Priv.M,
  read: () => 0n,
  write: () => {},
  rv32Only: true,
});
defineHartCsr({
  num: 0x301,
  name: "misa",
  priv: Priv.M,
  read: (h) => misaValue(h.xlen) | (h.hasVector ? 1n << 21n : 0n), // V is bit 21
  write: () => {},
});
defineHartCsr({
  num: 0x302,
  name: "medeleg",
  priv: Priv.M,
  read: (h) => BigInt(h.medeleg),
  write: (h, v) => {
    h.medeleg = Number(v & BigInt(DELEGABLE_EXCEPTIONS));
  },
});
defineHartCsr({
  num: 0x303,
  name: "mideleg",
  priv: Priv.M,
  read: (h) => BigInt(h.mideleg),
  write: (h, v) => {
    h.mideleg = Number(v & BigInt(S_INTERRUPTS));
    h.interruptsChanged();
  },
  endsTb: true,
});
defineHartCsr({
  num: 0x304,
  name: "mie",
  priv: Priv.M,
  read: (h) => BigInt(h.mie),
  write: (h, v) => {
    h.mie = Number(v & BigInt(ALL_INTERRUPTS));
    h.interruptsChanged();
  },
  endsTb: true,
});
defineHartCsr({
  num: 0x344,
  name: "mip",
  priv: Priv.M,
  read: (h) => BigInt(h.mipValue),
  // The external SEIP line is seen by reads but never latched by csrrs/csrrc.
  readForModify: (h) => BigInt(h.mip),
  write: (h, v) => {
    // Sstc: while its timer drives STIP, software cannot write it
    const writable = h.supervisorTimer.enabled ? S_INTERRUPTS & ~(1 << MipBit.STIP) : S_INTERRUPTS;
    h.mip = (h.mip & ~writable) | (Number(v & 0xfffn) & writable);
    h.interruptsChanged();
  },
  endsTb: true,
});

/** Writes a trap vector: modes 0 (direct) and 1 (vectored); other modes are ignored (QEMU). */
function tvecWrite(v: bigint): bigint | undefined {
  return (v & 3n) < 2n ? v : undefined;
}
defineHartCsr({
  num: 0x305,
  name: "mtvec",
  priv: Priv.M,
  read: (h) => h.mtvec,
  write: (h, v) => {
    h.mtvec = tvecWrite(v) ?? h.mtvec;
  },
});
defineHartCsr({
  num: 0x306,
  name: "mcounteren",
  priv: Priv.M,
  read: (h) => h.mcounteren,
  write: (h, v) => {
    h.mcounteren = v & 0xffffffffn;
  },
});
defineHartCsr({
  num: 0x30a,
  name: "menvcfg",
  priv: Priv.M,
  read: (h, xlen) => xlen === 32 ? h.menvcfg & 0xffffffffn : h.menvcfg,
  write: (h, v, xlen) => menvcfgWrite(h, xlen === 32 ? (h.menvcfg & ~0xffffffffn) | v : v),
});
defineHartCsr({
  num: 0x31a,
  name: "menvcfgh",
  priv: Priv.M,
  read: (h) => h.menvcfg >> 32n,
  write: (h, v) => menvcfgWrite(h, (h.menvcfg & 0xffffffffn) | (BigInt.asUintN(32, v) << 32n)),
  rv32Only: true,
});

/** What senvcfg keeps, as QEMU 7.2: FIOM, CBIE, CBCFE, CBZE. */
export const SENVCFG_WRITABLE = 0xf1n;
/** menvcfg keeps PBMTE and STCE too (QEMU 7.2, whether or not Svpbmt/Sstc are on). */
const MENVCFG_WRITABLE = SENVCFG_WRITABLE | (1n << 62n) | MENVCFG_STCE;

/** A write to menvcfg; STCE hands STIP to Sstc's timer. */
function menvcfgWrite(h: RiscvHart, v: bigint): void {
  h.menvcfg = v & MENVCFG_WRITABLE;
  h.supervisorTimer.update();
  h.interruptsChanged();
}
defineHartCsr({
  num: 0x320,
  name: "mcountinhibit",
  priv: Priv.M,
  read: (h) => h.mcountinhibit,
  write: (h, v) => {
    h.mcountinhibit = v & 5n;
  },
});
for (
  const [num, name, field] of [
    [0x340, "mscratch", "mscratch"],
    [0x341, "mepc", "mepc"],
    [0x342, "mcause", "mcause"],
    [0x343, "mtval", "mtval"],
  ] as const
) {
  defineHartCsr({
    num,
    name,
    priv: Priv.M,
    read: (h) => h[field],
    write: (h, v) => {
      h[field] = field === "mepc" ? v & ~1n : v;
    },
  });
}
for (
  const [num, name] of [[0xf11, "mvendorid"], [0xf12, "marchid"], [0xf13, "mimpid"], [
    0xf15,
    "mconfigptr",
  ]] as const
) {
  defineHartCsr({ num, name, priv: Priv.M, read: () => 0n });
}
defineHartCsr({ num: 0xf14, name: "mhartid", priv: Priv.M, read: (h) => BigInt(h.hartId) });

// PMP: pmpcfg0..3 (RV64: 0 and 2), pmpaddr0..15.
for (let n = 0; n < PMP_ENTRIES / 4; n++) {
  defineHartCsr({
    num: 0x3a0 + n,
    name: `pmpcfg${n}`,
    priv: Priv.M,
    read: (h) => {
      if (h.xlen === 64 && n % 2) throw new CsrIllegal();
      return h.pmp.readCfg(n);
    },
    write: (h, v) => {
      if (h.xlen === 64 && n % 2) throw new CsrIllegal();
      const before = h.pmp.generation;
      h.pmp.writeCfg(n, v);
      if (h.pmp.generation !== before) pmpChanged(h);
    },
    endsTb: true,
  });
}
for (let i = 0; i < PMP_ENTRIES; i++) {
  defineHartCsr({
    num: 0x3b0 + i,
    name: `pmpaddr${i}`,
    priv: Priv.M,
    read: (h) => h.pmp.readAddr(i),
    write: (h, v) => {
      const before = h.pmp.generation;
      h.pmp.writeAddr(i, v);
      if (h.pmp.generation !== before) pmpChanged(h);
    },
    endsTb: true,
  });
}

/**
 * A PMP change alters what may be accessed: cached translations are dropped, and the TBs of
 * every page their privilege may no longer fetch from whole. QEMU keeps its TBs too (its
 * fetches go through the TLB it flushes); flushing them all here threw away OpenSBI's 1,410
 * TBs and their regions once it had set up its PMP, to be run and compiled again.
 */
function pmpChanged(h: RiscvHart): void {
  h.regimeChanged(true);
  const tbs = h.cpu.tbs, stale = new Set<number>();
  for (const tb of tbs.blocks()) {
    const priv = tb.flags & PRIV_FLAGS;
    for (const vpn of tb.pages) {
      // M-mode fetches are not translated; an S- or U-mode TB's page is where it came from.
      const ppn = priv === Priv.M ? vpn : h.memory.codePhysicalPage(vpn);
      if (ppn === undefined || h.pmp.pageAccess(ppn, "fetch", priv) !== "allow") stale.add(vpn);
    }
  }
  for (const vpn of stale) tbs.invalidatePage(vpn);
}

// Counters: cycle and instret count retired instructions, time is mtime.
const userCounters = [0xc00, 0xc01, 0xc02, 0xc80, 0xc81, 0xc82].map((n) => csrDef(n)!);

/** Whether the counter with index `bit` (0 cycle, 1 time, 2 instret) is readable at the hart's privilege. */
export function counterAllowed(h: RiscvHart, bit: number): boolean {
  const priv = h.priv;
  if (priv < Priv.M && !((h.mcounteren >> BigInt(bit)) & 1n)) return false;
  if (priv < Priv.S && !((h.scounteren >> BigInt(bit)) & 1n)) return false;
  return true;
}

/** The 64-bit value of counter `bit`. */
function counterValue(h: RiscvHart, bit: number): bigint {
  if (bit === 1) return h.time;
  return h.instructions + (bit === 0 ? h.cycleOffset : h.instretOffset);
}

userCounters.forEach((user, i) => {
  const bit = i % 3, high = i >= 3;
  defineCsr({
    ...user,
    read: (cpu, xlen) => {
      const h = hartOf(cpu);
      if (!h) return user.read(cpu, xlen);
      if (!counterAllowed(h, bit)) throw new CsrIllegal();
      const v = counterValue(h, bit);
      return BigInt.asIntN(xlen, high ? v >> 32n : v);
    },
  });
});
for (const [bit, name] of [[0, "mcycle"], [2, "minstret"]] as const) {
  const field = bit === 0 ? "cycleOffset" : "instretOffset";
  for (const high of [false, true]) {
    defineHartCsr({
      num: 0xb00 + bit + (high ? 0x80 : 0),
      name: name + (high ? "h" : ""),
      priv: Priv.M,
      rv32Only: high,
      read: (h, xlen) => {
        const v = counterValue(h, bit);
        return high ? v >> 32n : BigInt.asIntN(xlen, v);
      },
      write: (h, v, xlen) => {
        const now = counterValue(h, bit);
        const mask = xlen === 32 ? 0xffffffffn : (1n << 64n) - 1n;
        const shift = high ? 32n : 0n;
        const wanted = (now & ~(mask << shift)) | ((BigInt.asUintN(xlen, v) & mask) << shift);
        h[field] += wanted - now;
      },
    });
  }
}
