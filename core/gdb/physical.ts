/**
 * gdb's physical memory mode in system mode (QEMU's `qemu.PhyMemMode`,
 * `maintenance packet Qqemu.PhyMemMode:1`): `m`, `M` and `X` address the
 * machine's physical bus, not the selected hart's virtual memory. As in
 * QEMU, addresses where nothing is read as 0 and writes there are dropped,
 * and a device sees gdb's writes; unlike QEMU's, device registers read as 0
 * and no device sees gdb's reads (as with virtual addresses).
 *
 * @module
 */

import type { PhysicalBus } from "../system/bus.ts";
import type { CpuCore } from "../cpu_core.ts";
import { GuestFault } from "../errors.ts";
import { pageNumber } from "../guest_memory.ts";
import { PAGE_SIZE } from "../host_memory.ts";

/** What is at a physical address: memory, a device, or nothing. */
type Kind = "ram" | "mmio" | "none";

/** Calls `each` with the pieces of `[addr, addr+length)`, one region (or gap) each. */
function pieces(
  bus: PhysicalBus,
  addr: bigint,
  length: number,
  each: (at: bigint, offset: number, n: number, kind: Kind) => void,
): void {
  const end = addr + BigInt(length);
  for (let at = addr; at < end;) {
    const r = bus.findRegion(at);
    let stop = r ? r.base + r.size : at + 1n;
    if (!r) { while (stop < end && !bus.findRegion(stop)) stop++; }
    if (stop > end) stop = end;
    each(at, Number(at - addr), Number(stop - at), r?.kind ?? "none");
    at = stop;
  }
}

/**
 * Reads physical memory as a debugger looks at it (device registers as 0).
 *
 * @example
 * ```ts ignore
 * const word = peekPhysical(sys.bus, 0x80000000n, 4);
 * ```
 */
export function peekPhysical(bus: PhysicalBus, addr: bigint, length: number): Uint8Array {
  const out = new Uint8Array(length);
  pieces(bus, addr, length, (at, offset, n, kind) => {
    if (kind === "ram") out.set(bus.readBytes(at, n), offset);
  });
  return out;
}

/**
 * Writes physical memory (ROM included; a device gets its bytes) on each bus
 * of `buses` (a lockstep machine's shadow too); bytes where nothing is are dropped.
 *
 * @example
 * ```ts ignore
 * pokePhysical([sys.bus], 0x80000000n, new Uint8Array([0x73, 0, 0x10, 0x10]));
 * ```
 */
export function pokePhysical(buses: PhysicalBus[], addr: bigint, data: Uint8Array): void {
  pieces(buses[0], addr, data.length, (at, offset, n, kind) => {
    if (kind === "none") return;
    for (const bus of buses) bus.writeBytes(at, data.subarray(offset, offset + n));
  });
}

/**
 * Writes `data` at virtual `addr` as a debugger in system mode (QEMU's debug write): page
 * protections are ignored, device bytes are dropped, and so are the bytes of pages that
 * translate to where nothing is on the bus; a page that does not translate throws.
 *
 * @example
 * ```ts ignore
 * writeDebug(machine.cpu(), 0x88000000n, new Uint8Array([1])); // past RAM: dropped
 * ```
 */
export function writeDebug(cpu: CpuCore, addr: bigint, data: Uint8Array): void {
  const mem = cpu.mem;
  for (let done = 0; done < data.length;) {
    const a = addr + BigInt(done);
    const n = Math.min(data.length - done, PAGE_SIZE - Number(a % BigInt(PAGE_SIZE)));
    try {
      mem.writeBytes(a, data.subarray(done, done + n), true, "skip");
    } catch (e) {
      const nothing = e instanceof GuestFault &&
        mem.debugResolve?.(pageNumber(a), "read") === "protection";
      if (!nothing) throw e;
    }
    done += n;
  }
}
