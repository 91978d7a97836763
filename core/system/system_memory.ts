/**
 * A CPU's memory in system mode: guest addresses go through the target's
 * MMU (installed as `resolve`/`probe`) to the {@linkcode PhysicalBus}.
 *
 * Translated code is tracked by *physical* page, as QEMU does, while TBs stay
 * keyed by virtual pc: a store to a physical page holding code (through any
 * virtual alias, or by DMA and loaders through the bus) drops the TBs of
 * every virtual page translated from it. Several CPUs (harts) on one bus each
 * have a memory of their own; a store through any of them drops the TBs of
 * all, and a page stays marked as code while any of them has code there.
 *
 * @module
 */

import type { AccessType } from "../errors.ts";
import { GuestMemory } from "../guest_memory.ts";
import type { PhysicalBus } from "./bus.ts";

/** The memories of the CPUs on each bus (the harts of one machine). */
const memoriesOf = new WeakMap<PhysicalBus, SystemMemory[]>();

/**
 * Guest memory over a physical bus, with physical code-page tracking.
 *
 * @example
 * ```ts
 * import { HostMemory } from "../host_memory.ts";
 * import { PhysicalBus } from "./bus.ts";
 * import { SystemMemory } from "./system_memory.ts";
 * const bus = new PhysicalBus(new HostMemory());
 * bus.addRam("dram", 0x80000000n, 0x10000n);
 * const mem = new SystemMemory(bus); // bare: virtual = physical until a target installs its MMU
 * mem.store(0x80000000n, 4, 0x13n);
 * console.log(bus.load(0x80000000n, 4)); // 19n
 * ```
 */
export class SystemMemory extends GuestMemory {
  /**
   * The physical page behind virtual page `vpn` for `access` under the
   * current translation regime, without side effects (undefined when it does
   * not translate). The target's MMU replaces the identity default.
   */
  physicalPage: (vpn: number, access: AccessType) => number | undefined = (vpn) => vpn;
  readonly #vpnsByPpn = new Map<number, Set<number>>();
  readonly #ppnByVpn = new Map<number, number>();

  /** Makes a CPU's view of `bus`: identity-mapped until the target installs its MMU. */
  constructor(readonly bus: PhysicalBus) {
    super(bus.host);
    this.resolve = bus.resolver();
    bus.observers.push({ onCodeWrite: (ppn) => this.#physicalCodeWritten(ppn) });
    const siblings = memoriesOf.get(bus);
    if (siblings) siblings.push(this);
    else memoriesOf.set(bus, [this]);
  }

  /**
   * A store through virtual page `vpn` hit code: every alias of its physical
   * page is stale, in this memory and in those of the other CPUs on the bus.
   */
  protected override codeWritten(vpn: number): void {
    const ppn = this.#ppnByVpn.get(vpn) ?? this.physicalPage(vpn, "write");
    if (ppn !== undefined) this.bus.contentsReplaced(ppn);
  }

  #physicalCodeWritten(ppn: number): void {
    const vpns = this.#vpnsByPpn.get(ppn);
    if (vpns) { for (const vpn of [...vpns]) super.codeWritten(vpn); }
    this.#releasePage(ppn);
  }

  /** Physical page `ppn` is no longer code once no CPU on the bus has translated code from it. */
  #releasePage(ppn: number): void {
    const page = this.bus.page(ppn);
    if (!page || this.#vpnsByPpn.has(ppn)) return;
    if (memoriesOf.get(this.bus)!.some((m) => m.#vpnsByPpn.has(ppn))) return;
    page.hasCode = false;
  }

  /** Marks the physical page behind virtual page `vpn` (a fetch translation) as holding code. */
  override markCode(vpn: number): void {
    const ppn = this.physicalPage(vpn, "fetch");
    if (ppn === undefined) return;
    const page = this.bus.page(ppn);
    if (!page) return;
    const old = this.#ppnByVpn.get(vpn);
    if (old !== undefined && old !== ppn) this.#forget(vpn, old);
    this.#ppnByVpn.set(vpn, ppn);
    let set = this.#vpnsByPpn.get(ppn);
    if (!set) this.#vpnsByPpn.set(ppn, set = new Set());
    set.add(vpn);
    if (!page.hasCode) {
      page.hasCode = true;
      // Cached writable translations of any alias must now take the slow path (cached reads
      // and fetches stay good).
      this.revokeWrites();
    }
  }

  /**
   * The guest changed its address translation (RISC-V's sfence.vma or a
   * satp write): translated code of virtual page `vpn` (or of every page)
   * stays only while the page still translates, for fetches under the
   * current regime, to the physical page it was made from. QEMU keeps its
   * TBs across such flushes too (it finds them by physical address); this
   * keeps a kernel's code translated across the guest's TLB flushes.
   */
  remapped(vpn?: number): void {
    for (const o of this.observers) o.onRemap?.();
    const pages = vpn === undefined
      ? [...this.#ppnByVpn]
      : this.#ppnByVpn.has(vpn)
      ? [[vpn, this.#ppnByVpn.get(vpn)!] as const]
      : [];
    for (const [v, ppn] of pages) {
      if (this.physicalPage(v, "fetch") !== ppn) super.codeWritten(v);
    }
  }

  /** The physical page the code of virtual page `vpn` was translated from, if it has code. */
  codePhysicalPage(vpn: number): number | undefined {
    return this.#ppnByVpn.get(vpn);
  }

  /** Virtual page `vpn` no longer has TBs. */
  override clearCode(vpn: number): void {
    const ppn = this.#ppnByVpn.get(vpn);
    if (ppn !== undefined) this.#forget(vpn, ppn);
  }

  #forget(vpn: number, ppn: number): void {
    this.#ppnByVpn.delete(vpn);
    const set = this.#vpnsByPpn.get(ppn);
    set?.delete(vpn);
    if (set && set.size === 0) {
      this.#vpnsByPpn.delete(ppn);
      this.#releasePage(ppn);
    }
  }
}
