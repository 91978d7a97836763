/**
 * One RISC-V hart's privileged state (machine and supervisor levels of the
 * privileged architecture 1.12) and the system-mode hooks the run loop calls:
 * reset, trap delivery with delegation, interrupt priority, wfi.
 *
 * The privilege level lives in the CPU state block (it is part of the TB
 * flags); the CSRs live here. Helpers and CSR handlers find the hart of a
 * CPU with {@linkcode hartOf}. Whenever the translation regime (privilege,
 * satp, MPRV/MPP/SUM/MXR, PMP) changes, cached translations are dropped: the
 * MMU's, the memory's last page and the soft TLB.
 *
 * @module
 */

import type {
  CpuCore,
  DeviceState,
  PhysicalBus,
  SystemBinding,
  SystemHart,
  SystemMemory,
  Trap,
  VmStateDescription,
} from "../../plugin_target.ts";
import { loadVmState, saveVmState, TrapKind } from "../../plugin_target.ts";
import { Cause, MipBit } from "./causes.ts";
import { Priv } from "./csr.ts";
import { RiscvMmu } from "./mmu.ts";
import { Pmp } from "./pmp.ts";
import { SupervisorTimer } from "./sstc.ts";
import { RiscvState } from "./state.ts";
import { DebugTriggers } from "./triggers.ts";

/** x10 (a0): the first argument register. */
const REG_A0 = 10;
/** Pages of a Svnapot 64 KiB mapping. */
const NAPOT_PAGES = 16;

/** mstatus bits. */
export const Mstatus = {
  SIE: 1n << 1n,
  MIE: 1n << 3n,
  SPIE: 1n << 5n,
  MPIE: 1n << 7n,
  SPP: 1n << 8n,
  MPP: 3n << 11n,
  FS: 3n << 13n,
  VS: 3n << 9n,
  XS: 3n << 15n,
  MPRV: 1n << 17n,
  SUM: 1n << 18n,
  MXR: 1n << 19n,
  TVM: 1n << 20n,
  TW: 1n << 21n,
  TSR: 1n << 22n,
  /** UXL and SXL = 2 (64-bit), RV64 only */
  XL64: (2n << 32n) | (2n << 34n),
} as const;

/** The mstatus bits address translation depends on (with the privilege, satp and PMP). */
export const REGIME_STATUS_BITS = Mstatus.MPRV | Mstatus.MPP | Mstatus.SUM | Mstatus.MXR;
/** Those of them that count while MPRV is clear. */
const REGIME_BITS = Mstatus.MPRV | Mstatus.SUM | Mstatus.MXR;
/** Those that, once set, only let more accesses through (see `RiscvHart.regimeChanged`). */
const WIDENING_BITS = Number(Mstatus.SUM | Mstatus.MXR);

/** Interrupt causes in priority order (highest first): MEI, MSI, MTI, SEI, SSI, STI. */
export const INTERRUPT_PRIORITY = [11, 3, 7, 9, 1, 5] as const;

const INTERRUPT_NAMES: Record<number, string> = {
  1: "s_software",
  3: "m_software",
  5: "s_timer",
  7: "m_timer",
  9: "s_external",
  11: "m_external",
};
const EXCEPTION_NAMES: Record<number, string> = {
  0: "misaligned_fetch",
  1: "fault_fetch",
  2: "illegal_instruction",
  3: "breakpoint",
  4: "misaligned_load",
  5: "fault_load",
  6: "misaligned_store",
  7: "fault_store",
  8: "user_ecall",
  9: "supervisor_ecall",
  11: "machine_ecall",
  12: "exec_page_fault",
  13: "load_page_fault",
  15: "store_page_fault",
};

/** Page-fault cause -> the access-fault cause of the same access. */
const ACCESS_FAULT: Record<number, number> = {
  [Cause.FETCH_PAGE_FAULT]: 1,
  [Cause.LOAD_PAGE_FAULT]: 5,
  [Cause.STORE_PAGE_FAULT]: 7,
};

const harts = new WeakMap<CpuCore, RiscvHart>();

/**
 * The hart attached to `cpu` (undefined in user mode).
 *
 * @example
 * ```ts ignore
 * const hart = hartOf(cpu);
 * if (hart) console.log(hart.priv);
 * ```
 */
export function hartOf(cpu: CpuCore): RiscvHart | undefined {
  return harts.get(cpu);
}

/**
 * The misa value: MXL, and IMAFDC plus S and U.
 *
 * @example
 * ```ts
 * import { misaValue } from "./hart.ts";
 * console.log(misaValue(64).toString(16)); // "800000000014112d"
 * ```
 */
export function misaValue(xlen: 32 | 64): bigint {
  const letters = "acdfimsu";
  let ext = 0n;
  for (const c of letters) ext |= 1n << BigInt(c.charCodeAt(0) - 97);
  return BigInt.asIntN(xlen, (xlen === 64 ? 2n : 1n) << BigInt(xlen - 2) | ext);
}

/** The hart's saved CSRs (QEMU's vmstate_riscv_cpu, in spirit). */
const HART_STATE: VmStateDescription<RiscvHart> = {
  name: "riscv-hart",
  version: 4,
  fields: [
    "mstatus",
    "medeleg",
    "mideleg",
    "mie",
    "mip",
    "seipLine",
    "mtvec",
    "stvec",
    "mepc",
    "sepc",
    "mcause",
    "scause",
    "mtval",
    "stval",
    "mscratch",
    "sscratch",
    "satp",
    "mcounteren",
    "scounteren",
    "menvcfg",
    "senvcfg",
    "mstateen",
    "mcountinhibit",
    "mhpmevent",
    "mhpmcounter",
    "stimecmp",
    "cycleOffset",
    "instretOffset",
    "wfi",
  ],
};

/** The optional privileged extensions a hart has (from `-cpu`). */
export interface HartFeatures {
  sstc: boolean;
  svnapot: boolean;
  svpbmt: boolean;
  smstateen: boolean;
}

/**
 * A RISC-V hart in system mode.
 *
 * @example
 * ```ts ignore
 * const features = { sstc: true, svnapot: false, svpbmt: false, smstateen: false };
 * const hart = new RiscvHart(cpu, 64, { bus, memory, clock, events }, features);
 * hart.reset();
 * ```
 */
export class RiscvHart implements SystemHart {
  mstatus = 0n;
  medeleg = 0;
  mideleg = 0;
  mie = 0;
  /** software-writable and device-driven pending bits (SEIP: the software bit only) */
  mip = 0;
  /** the external supervisor interrupt line (the PLIC's S context) */
  seipLine = false;
  mtvec = 0n;
  stvec = 0n;
  mepc = 0n;
  sepc = 0n;
  mcause = 0n;
  scause = 0n;
  mtval = 0n;
  stval = 0n;
  mscratch = 0n;
  sscratch = 0n;
  satp = 0n;
  mcounteren = 0n;
  scounteren = 0n;
  menvcfg = 0n;
  senvcfg = 0n;
  /** Smstateen's mstateen0-3 (see `smstateen.ts`) */
  readonly mstateen: bigint[] = [0n, 0n, 0n, 0n];
  mcountinhibit = 0n;
  /** mhpmevent3-31 (see `csr_hpm.ts`) */
  readonly mhpmevent: bigint[] = new Array(29).fill(0n);
  /** mhpmcounter3-18: what software wrote (no event is counted) */
  readonly mhpmcounter: bigint[] = new Array(16).fill(0n);
  /** Sstc's compare value (see `sstc.ts`) */
  stimecmp = 0n;
  /** added to the instruction count for mcycle / minstret (writes set them) */
  cycleOffset = 0n;
  instretOffset = 0n;
  /** in wfi */
  wfi = false;
  readonly pmp: Pmp;
  /** Sdtrig triggers; a change drops translated code, which checks them at translation */
  readonly triggers: DebugTriggers;
  readonly mmu: RiscvMmu;
  /** Sstc is enabled (`-cpu rv64,sstc=off` turns it off) */
  readonly sstc: boolean;
  /** Svnapot and Svpbmt are enabled (the page-table walk reads them) */
  readonly svnapot: boolean;
  readonly svpbmt: boolean;
  /** Smstateen is enabled (the state-enable CSRs exist) */
  readonly smstateen: boolean;
  readonly supervisorTimer: SupervisorTimer;
  readonly bus: PhysicalBus;
  readonly memory: SystemMemory;
  /** `mhartid`: this hart's number on the machine (0 on a one-hart machine) */
  readonly hartId: number;
  /** What the cached translations were made under (see {@linkcode regimeChanged}). */
  #regime = { priv: -1, status: -1, satp: -1n, pmp: -1 };

  constructor(
    readonly cpu: CpuCore,
    readonly xlen: 32 | 64,
    readonly binding: SystemBinding,
    features: HartFeatures,
  ) {
    ({ sstc: this.sstc, svnapot: this.svnapot, svpbmt: this.svpbmt } = features);
    this.smstateen = features.smstateen;
    this.hartId = binding.hartId ?? 0;
    const wakeUp = binding.events.timer(
      `hart${this.hartId}/stimecmp`,
      () => this.supervisorTimer.update(),
    );
    this.supervisorTimer = new SupervisorTimer(this, wakeUp);
    this.bus = binding.bus;
    this.memory = binding.memory;
    this.pmp = new Pmp(xlen);
    this.triggers = new DebugTriggers(xlen, () => cpu.tbs.flush());
    this.mmu = new RiscvMmu(this);
    const mmu = this.mmu;
    this.memory.resolve = (vpn, access) => mmu.resolve(vpn, access);
    this.memory.probe = (vpn, access) => mmu.probe(vpn, access);
    this.memory.debugResolve = (vpn, access) => mmu.debugLookup(vpn, access);
    this.memory.physicalPage = (vpn, access) => mmu.physicalPage(vpn, access);
    harts.set(cpu, this);
  }

  /** The current privilege level (0 = U, 1 = S, 3 = M). */
  get priv(): number {
    return Number(this.cpu.getState(RiscvState.PRIV));
  }

  set priv(p: number) {
    this.cpu.setState(RiscvState.PRIV, BigInt(p));
    this.regimeChanged();
  }

  /** Instructions retired so far, exact inside a TB. */
  get instructions(): bigint {
    return BigInt(this.cpu.icount + this.cpu.inFlight);
  }

  /** The `time` counter: mtime (10 MHz) from virtual time. */
  get time(): bigint {
    return this.binding.clock.monotonicNs() / 100n;
  }

  /** mip as software reads it (the external SEIP line ORed in). */
  get mipValue(): number {
    return this.mip | (this.seipLine ? 1 << MipBit.SEIP : 0);
  }

  reset(): void {
    this.cpu.setState(RiscvState.PRIV, BigInt(Priv.M));
    this.mstatus = this.xlen === 64 ? Mstatus.XL64 : 0n;
    this.medeleg =
      this.mideleg =
      this.mie =
      this.mip =
        0;
    this.seipLine = false;
    this.mtvec =
      this.stvec =
      this.mepc =
      this.sepc =
        0n;
    this.mcause =
      this.scause =
      this.mtval =
      this.stval =
        0n;
    this.mscratch = this.sscratch = this.satp = 0n;
    this.mcounteren =
      this.scounteren =
      this.menvcfg =
      this.senvcfg =
      this.mcountinhibit =
      this.stimecmp =
        0n;
    this.mstateen.fill(0n);
    this.mhpmevent.fill(0n);
    this.mhpmcounter.fill(0n);
    this.supervisorTimer.update();
    this.cycleOffset = this.instretOffset = 0n;
    this.wfi = false;
    this.pmp.reset();
    this.triggers.reset();
    this.fpStateChanged();
    this.cpu.tbs.flush();
    this.regimeChanged(true);
  }

  /** Mirrors mstatus.FS and VS = Off into the state block, where the TB flags read them. */
  fpStateChanged(): void {
    this.cpu.setState(RiscvState.FP_OFF, (this.mstatus & Mstatus.FS) === 0n ? 1n : 0n);
    const vecOff = !this.hasVector || (this.mstatus & Mstatus.VS) === 0n;
    this.cpu.setState(RiscvState.VEC_OFF, vecOff ? 1n : 0n);
  }

  /** Whether the CPU has V (its VLENB is set at reset). */
  get hasVector(): boolean {
    return this.cpu.getState(RiscvState.VLENB) !== 0n;
  }

  /** Saves the privileged state (CSRs, PMP, wfi; the registers live in the CPU state block). */
  save(): DeviceState {
    const s = saveVmState(HART_STATE, this);
    return {
      ...s,
      fields: { ...s.fields, pmpCfg: this.pmp.cfg.slice(), pmpAddr: [...this.pmp.addr] },
    };
  }

  /** Loads what {@linkcode save} returned; cached address translations are dropped. */
  load(s: DeviceState): void {
    loadVmState(HART_STATE, this, s);
    const f = s.fields as { pmpCfg: Uint8Array; pmpAddr: bigint[] };
    this.pmp.load(f.pmpCfg, f.pmpAddr);
    this.fpStateChanged();
    this.regimeChanged(true);
  }

  /** The boot protocol of RISC-V firmware: a0 = hart id, a1 = FDT, a2 = firmware info. */
  bootAt(pc: bigint, args: readonly bigint[]): void {
    this.cpu.pc = pc;
    args.forEach((v, i) => this.cpu.setGlobal(REG_A0 + i, v));
  }

  /**
   * Drops cached translations when what they depend on changed (or always
   * with `force`: satp writes, sfence.vma of every address). A change of
   * privilege level alone drops nothing: the MMU and the soft TLB keep each
   * level's translations apart. MPP counts only under MPRV (it changes at
   * every trap into M-mode), and setting SUM or MXR only permits more, so the
   * translations cached before stay right (Linux sets SUM around each access
   * to user memory).
   */
  regimeChanged(force = false): void {
    const priv = this.priv, satp = this.satp, pmp = this.pmp.generation;
    const mstatus = this.mstatus;
    const status = Number(mstatus & (mstatus & Mstatus.MPRV ? REGIME_STATUS_BITS : REGIME_BITS));
    const r = this.#regime, changed = status ^ r.status;
    const widened = (changed & ~status) === 0 && (changed & ~WIDENING_BITS) === 0;
    if (!force && widened && satp === r.satp && pmp === r.pmp) {
      r.status = status;
      if (priv === r.priv) return;
      r.priv = priv;
      this.mmu.selectPriv(priv);
      this.memory.modeChanged();
      return;
    }
    this.#regime = { priv, status, satp, pmp };
    this.mmu.flush();
    this.mmu.selectPriv(priv);
    this.memory.flushTranslations();
  }

  /**
   * sfence.vma of one address: the translations of its page go (of its 64 KiB
   * group with Svnapot, whose PTEs map the group whole), or all of them when
   * a cached superpage maps it.
   */
  flushPage(vpn: number): void {
    const group = this.svnapot ? NAPOT_PAGES : 1, first = vpn - vpn % group;
    if (this.mmu.inSuperpage(vpn)) return this.regimeChanged(true);
    for (let p = first; p < first + group; p++) {
      this.mmu.flushPage(p);
      this.memory.translationChanged(p);
    }
  }

  /** Drops cached address translations (a snapshot was taken). */
  dropTranslations(): void {
    this.regimeChanged(true);
  }

  breakReservation(): void {
    this.cpu.setState(RiscvState.RESERVATION_VALID, 0n);
  }

  /** Leaves generated code at the next instruction boundary so the run loop can take an interrupt. */
  requestExit(): void {
    this.cpu.exitRequest = true;
    this.cpu.stopRequested = true;
  }

  /** Called after anything that may make an interrupt deliverable (CSR writes, xRET). */
  interruptsChanged(): void {
    if (this.pendingInterrupt() >= 0) this.requestExit();
  }

  setPending(bit: number, level: boolean): void {
    if (bit === MipBit.SEIP) this.seipLine = level;
    else this.mip = level ? this.mip | (1 << bit) : this.mip & ~(1 << bit);
    if (level) this.interruptsChanged();
  }

  /** The cause of the interrupt to take now, or -1. */
  pendingInterrupt(): number {
    const pending = this.mipValue & this.mie;
    if (pending === 0) return -1;
    const priv = this.priv;
    const mEnabled = priv < Priv.M || (this.mstatus & Mstatus.MIE) !== 0n;
    const sEnabled = priv < Priv.S || (priv === Priv.S && (this.mstatus & Mstatus.SIE) !== 0n);
    const toM = mEnabled ? pending & ~this.mideleg : 0;
    const toS = sEnabled ? pending & this.mideleg : 0;
    for (const bits of [toM, toS]) {
      if (bits === 0) continue;
      for (const cause of INTERRUPT_PRIORITY) if (bits & (1 << cause)) return cause;
    }
    return -1;
  }

  takeInterrupt(): boolean {
    const cause = this.pendingInterrupt();
    if (cause < 0) return false;
    this.enterTrap(cause, true, 0n, this.cpu.pc);
    return true;
  }

  get waiting(): boolean {
    if (this.wfi && (this.mipValue & this.mie) !== 0) this.wfi = false;
    return this.wfi;
  }

  deliverTrap(trap: Trap): void {
    let cause = trap.cause, tval = trap.data;
    switch (trap.kind) {
      case TrapKind.SYSCALL:
      case TrapKind.BREAKPOINT:
        tval = 0n; // QEMU 7.2 leaves xtval 0 for ecall and ebreak
        break;
      case TrapKind.MEMORY:
        if (this.mmu.lastFault === "access") cause = ACCESS_FAULT[cause] ?? cause;
        break;
    }
    this.enterTrap(cause, false, tval, trap.pc);
  }

  /** Takes exception or interrupt `cause` at `epc` into M or S mode (delegation). */
  enterTrap(cause: number, interrupt: boolean, tval: bigint, epc: bigint): void {
    const priv = this.priv;
    const deleg = interrupt ? this.mideleg : this.medeleg;
    const toS = priv <= Priv.S && ((deleg >>> cause) & 1) === 1;
    const causeValue = BigInt.asIntN(this.xlen, interrupt ? 1n << BigInt(this.xlen - 1) : 0n) |
      BigInt(cause);
    tval = BigInt.asIntN(this.xlen, tval);
    epc = BigInt.asIntN(this.xlen, epc);
    let s = this.mstatus, tvec: bigint;
    if (toS) {
      this.scause = causeValue;
      this.sepc = epc;
      this.stval = tval;
      s = (s & ~Mstatus.SPP) | (priv === Priv.S ? Mstatus.SPP : 0n);
      s = (s & ~Mstatus.SPIE) | ((s & Mstatus.SIE) ? Mstatus.SPIE : 0n);
      s &= ~Mstatus.SIE;
      tvec = this.stvec;
    } else {
      this.mcause = causeValue;
      this.mepc = epc;
      this.mtval = tval;
      s = (s & ~Mstatus.MPP) | (BigInt(priv) << 11n);
      s = (s & ~Mstatus.MPIE) | ((s & Mstatus.MIE) ? Mstatus.MPIE : 0n);
      s &= ~Mstatus.MIE;
      tvec = this.mtvec;
    }
    this.mstatus = s;
    const base = BigInt.asUintN(this.xlen, tvec & ~3n);
    this.cpu.pc = interrupt && (tvec & 3n) === 1n ? base + 4n * BigInt(cause) : base;
    this.wfi = false;
    this.binding.logInterrupt?.(
      `riscv_cpu_do_interrupt: hart:${this.hartId}, async:${interrupt ? 1 : 0}, cause:${
        hex(BigInt(cause), 16)
      }, epc:0x${hex(epc, 16)}, tval:0x${hex(tval, 16)}, desc=${
        (interrupt ? INTERRUPT_NAMES : EXCEPTION_NAMES)[cause] ?? "reserved"
      }`,
    );
    this.priv = toS ? Priv.S : Priv.M;
  }

  /** mret: back to MPP at mepc. Returns the new pc. */
  mret(): bigint {
    let s = this.mstatus;
    const target = Number((s & Mstatus.MPP) >> 11n);
    s = (s & ~Mstatus.MIE) | ((s & Mstatus.MPIE) ? Mstatus.MIE : 0n);
    s = (s | Mstatus.MPIE) & ~Mstatus.MPP;
    if (target !== Priv.M) s &= ~Mstatus.MPRV;
    this.mstatus = s;
    this.priv = target;
    this.interruptsChanged();
    return BigInt.asUintN(this.xlen, this.mepc);
  }

  /** sret: back to SPP at sepc. Returns the new pc. */
  sret(): bigint {
    let s = this.mstatus;
    const target = (s & Mstatus.SPP) ? Priv.S : Priv.U;
    s = (s & ~Mstatus.SIE) | ((s & Mstatus.SPIE) ? Mstatus.SIE : 0n);
    s = (s | Mstatus.SPIE) & ~Mstatus.SPP;
    s &= ~Mstatus.MPRV;
    this.mstatus = s;
    this.priv = target;
    this.interruptsChanged();
    return BigInt.asUintN(this.xlen, this.sepc);
  }
}

function hex(v: bigint, digits: number): string {
  return BigInt.asUintN(64, v).toString(16).padStart(digits, "0");
}
