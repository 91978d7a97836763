/**
 * Memory callbacks on the accesses a helper makes itself (vector loads and
 * stores move elements through `CpuCore.load`/`store` inside one helper
 * call): instrumentation arms the instruction's callbacks before the call
 * and disarms them after, and while armed `CpuCore.helperAccessWatch`
 * reports each access to them, as a LOAD or STORE op's would be. QEMU's
 * plugins see helper accesses the same way (through its softmmu helpers).
 *
 * @module
 */

import { BEFORE_ACCESS, type CpuCore } from "../cpu_core.ts";
import type { HelperFlags } from "../ir.ts";
import type { CallbackHelpers, RegsAccess } from "./instrument.ts";
import type { Vcpu } from "./vcpu.ts";

/** A memory callback by id: (address, value, info). */
type MemCallback = (addr: bigint, value: bigint, info: number) => void;

/**
 * Registers the arming helpers on `cpu`: their indices and the predicate
 * instrumentation uses to find helpers that access memory. Each callback
 * runs before or after each access, as it asked.
 *
 * @example
 * ```ts ignore
 * const arming = helperAccessArming(cpu, vcpu, flags, (id) => table[id], (e) => e);
 * ```
 */
export function helperAccessArming(
  cpu: CpuCore,
  vcpu: Vcpu,
  flags: (regs: RegsAccess) => HelperFlags,
  callback: (id: number) => MemCallback,
  wrapError: (e: unknown) => unknown,
): Pick<CallbackHelpers, "memArm" | "memDisarm" | "accessesMemory"> {
  const armed: { id: number; kinds: number; regs: RegsAccess }[] = [];
  const report = (addr: bigint, value: bigint, info: number) => {
    const kind = info & 0x100 ? 2 : 1, before = info & BEFORE_ACCESS ? 4 : 0;
    for (const a of armed) {
      if (!(a.kinds & kind) || (a.kinds & 4) !== before) continue;
      // before the access a callback may abandon the instruction (setPc): vstart keeps its place
      if (before) vcpu.inCallback = a.regs === "write";
      else vcpu.inMemCallback = true;
      try {
        callback(a.id)(addr, value, info);
      } catch (e) {
        throw a.regs === "write" ? e : wrapError(e);
      } finally {
        vcpu.inMemCallback = vcpu.inCallback = false;
      }
    }
  };
  const arm = (regs: RegsAccess) =>
    cpu.addHelper({
      name: `hook_mem_arm_${regs}`,
      hasResult: false,
      flags: flags(regs),
      fn: (_cpu: CpuCore, id: bigint, kinds: bigint) => {
        if (cpu.helperAccessWatch !== report) armed.length = 0; // leaving the TB disarmed them
        armed.push({ id: Number(id), kinds: Number(kinds), regs });
        cpu.helperAccessWatch = report;
      },
    });
  const disarm = cpu.addHelper({
    name: "hook_mem_disarm",
    hasResult: false,
    flags: flags("write"),
    fn: () => {
      armed.length = 0;
      cpu.helperAccessWatch = null;
    },
  });
  const helpers = cpu.target.helpers;
  return {
    memArm: { none: arm("none"), read: arm("read"), write: arm("write") },
    memDisarm: disarm,
    accessesMemory: (index: number) => helpers[index]?.flags?.accessesMemory === true,
  };
}
