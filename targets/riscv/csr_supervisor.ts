/**
 * Supervisor-level CSRs: the sstatus/sie/sip views of their machine
 * registers, the S trap registers, satp (Bare, Sv39, Sv48 on RV64; Bare,
 * Sv32 on RV32; TVM makes it M-only), scounteren/senvcfg, and Sstc's
 * stimecmp (with RV32's stimecmph; see `sstc.ts`). Importing this module
 * registers them.
 *
 * @module
 */

import { CsrIllegal, Priv } from "./csr.ts";
import { defineHartCsr, mstatusRead, mstatusWrite, SENVCFG_WRITABLE } from "./csr_machine.ts";
import { Mstatus, type RiscvHart } from "./hart.ts";
import { satpScheme } from "./mmu.ts";
import { requireStateEnabled, STATEEN0_ENVCFG } from "./smstateen.ts";
import { MENVCFG_STCE } from "./sstc.ts";

/** The sstatus view of mstatus: SIE, SPIE, UBE, SPP, VS, FS, XS, SUM, MXR, UXL, SD. */
const SSTATUS_BITS = Mstatus.SIE | Mstatus.SPIE | (1n << 6n) | Mstatus.SPP | (3n << 9n) |
  Mstatus.FS | Mstatus.XS | Mstatus.SUM | Mstatus.MXR;
const SSTATUS_MASK_64 = SSTATUS_BITS | (3n << 32n) | (1n << 63n);
const SSTATUS_MASK_32 = SSTATUS_BITS | (1n << 31n);

function sstatusMask(xlen: 32 | 64): bigint {
  return xlen === 64 ? SSTATUS_MASK_64 : SSTATUS_MASK_32;
}

defineHartCsr({
  num: 0x100,
  name: "sstatus",
  priv: Priv.S,
  read: (h, xlen) => mstatusRead(h) & sstatusMask(xlen),
  write: (h, v, xlen) => mstatusWrite(h, v, sstatusMask(xlen)),
  endsTb: true,
});
defineHartCsr({
  num: 0x104,
  name: "sie",
  priv: Priv.S,
  read: (h) => BigInt(h.mie & h.mideleg),
  write: (h, v) => {
    h.mie = (h.mie & ~h.mideleg) | (Number(v & 0xfffn) & h.mideleg);
    h.interruptsChanged();
  },
  endsTb: true,
});
defineHartCsr({
  num: 0x144,
  name: "sip",
  priv: Priv.S,
  read: (h) => BigInt(h.mipValue & h.mideleg),
  readForModify: (h) => BigInt(h.mip & h.mideleg),
  write: (h, v) => {
    const writable = h.mideleg & 0x2; // only SSIP, when delegated
    h.mip = (h.mip & ~writable) | (Number(v & 0xfffn) & writable);
    h.interruptsChanged();
  },
  endsTb: true,
});
defineHartCsr({
  num: 0x105,
  name: "stvec",
  priv: Priv.S,
  read: (h) => h.stvec,
  write: (h, v) => {
    if ((v & 3n) < 2n) h.stvec = v;
  },
});
defineHartCsr({
  num: 0x106,
  name: "scounteren",
  priv: Priv.S,
  read: (h) => h.scounteren,
  write: (h, v) => {
    h.scounteren = v & 0xffffffffn;
  },
});
defineHartCsr({
  num: 0x10a,
  name: "senvcfg",
  priv: Priv.S,
  read: (h) => {
    requireStateEnabled(h, 0, STATEEN0_ENVCFG);
    return h.senvcfg;
  },
  write: (h, v) => {
    requireStateEnabled(h, 0, STATEEN0_ENVCFG);
    h.senvcfg = v & SENVCFG_WRITABLE;
  },
});
for (
  const [num, name, field] of [
    [0x140, "sscratch", "sscratch"],
    [0x141, "sepc", "sepc"],
    [0x142, "scause", "scause"],
    [0x143, "stval", "stval"],
  ] as const
) {
  defineHartCsr({
    num,
    name,
    priv: Priv.S,
    read: (h) => h[field],
    write: (h, v) => {
      h[field] = field === "sepc" ? v & ~1n : v;
    },
  });
}

function checkTvm(h: RiscvHart): void {
  if (h.priv === Priv.S && (h.mstatus & Mstatus.TVM)) throw new CsrIllegal();
}

defineHartCsr({
  num: 0x180,
  name: "satp",
  priv: Priv.S,
  read: (h) => {
    checkTvm(h);
    return h.satp;
  },
  write: (h, v, xlen) => {
    checkTvm(h);
    const value = BigInt.asUintN(xlen, v);
    const mode = xlen === 32 ? value >> 31n : value >> 60n;
    // An unsupported mode leaves satp unchanged.
    if (mode !== 0n && satpScheme(value, xlen) === null) return;
    h.satp = value;
    h.regimeChanged(true);
    h.memory.remapped();
  },
  endsTb: true,
});

/** Sstc's stimecmp, QEMU's predicate: Sstc present; from S-mode, mcounteren.TM and STCE too. */
function checkAccess(h: RiscvHart): void {
  if (!h.sstc) throw new CsrIllegal();
  if (h.priv === Priv.M) return;
  if ((h.mcounteren & 2n) === 0n || (h.menvcfg & MENVCFG_STCE) === 0n) throw new CsrIllegal();
}

defineHartCsr({
  num: 0x14d,
  name: "stimecmp",
  priv: Priv.S,
  read: (h, xlen) => {
    checkAccess(h);
    return xlen === 32 ? h.stimecmp & 0xffffffffn : h.stimecmp;
  },
  write: (h, v, xlen) => {
    checkAccess(h);
    h.stimecmp = xlen === 32
      ? (h.stimecmp & ~0xffffffffn) | BigInt.asUintN(32, v)
      : BigInt.asUintN(64, v);
    h.supervisorTimer.update();
  },
  endsTb: true,
});
defineHartCsr({
  num: 0x15d,
  name: "stimecmph",
  priv: Priv.S,
  read: (h) => {
    checkAccess(h);
    return h.stimecmp >> 32n;
  },
  write: (h, v) => {
    checkAccess(h);
    h.stimecmp = (h.stimecmp & 0xffffffffn) | (BigInt.asUintN(32, v) << 32n);
    h.supervisorTimer.update();
  },
  endsTb: true,
  rv32Only: true,
});
