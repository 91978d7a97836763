/**
 * New processes: what fork copies into the child (every mapped page with
 * its permissions, the calling thread's CPU state, signal dispositions, mask
 * and alternate stack, the descriptors, which share their open files, the
 * program's description) and what a child's end tells its parent (SIGCHLD,
 * a status for wait4).
 *
 * The address space is copied at fork, not shared copy-on-write: each guest
 * process has its own host memory, and the copy is one pass over the mapped
 * frames.
 *
 * @module
 */

import { STATE_BASE } from "../host_memory.ts";
import { PAGE } from "./mm.ts";
import type { LinuxProcess } from "./process.ts";
import { hostIds } from "./program_load.ts";
import { SIG } from "./signals.ts";
import type { NewThreadRegisters } from "./thread_group.ts";

/** si_code of SIGCHLD. */
const CLD_EXITED = 1, CLD_KILLED = 2;

/**
 * Copies into `child` what fork gives it from `parent`; the child's thread
 * gets `regs` and 0 as the syscall's result.
 *
 * @example
 * ```ts ignore
 * const child = parent.fork({ sp: 0n }); // calls copyForFork(parent, child, { sp: 0n })
 * ```
 */
export function copyForFork(
  parent: LinuxProcess,
  child: LinuxProcess,
  regs: NewThreadRegisters,
): void {
  const from = parent.mem, to = child.mem;
  const pageOfFrame = new Map<number, number>(); // frames two pages share stay shared
  for (const [pn, page] of from.pages) {
    if (page.frame < 0) continue; // MMIO has no place in user mode
    const first = pageOfFrame.get(page.frame);
    if (first !== undefined) {
      to.mapAlias(pn, first, page.perms);
      continue;
    }
    pageOfFrame.set(page.frame, pn);
    to.map(BigInt(pn) * PAGE, PAGE, page.perms);
    const frame = to.pages.get(pn)!.frame;
    to.host.u8.set(from.host.u8.subarray(page.frame, page.frame + Number(PAGE)), frame);
  }
  child.as.layout = parent.as.layout;
  child.as.stack = parent.as.stack;
  child.as.inherit(parent.as);
  const size = parent.cpu.target.state.size;
  child.cpu.host.u8.set(parent.cpu.host.u8.subarray(STATE_BASE, STATE_BASE + size), STATE_BASE);
  const abi = child.abi;
  child.cpu.setGlobal(abi.returnReg, 0n);
  if (regs.sp !== 0n) child.cpu.setGlobal(abi.spReg, regs.sp);
  if (regs.tls !== undefined) child.cpu.setGlobal(abi.tlsReg, regs.tls);
  const s = parent.signals, c = child.signals;
  c.actions.forEach((a, i) => Object.assign(a, s.actions[i]));
  c.blocked = s.blocked;
  c.altStack = { ...s.altStack };
  child.exePath = parent.exePath;
  child.comm = parent.comm;
  child.programPath = parent.programPath;
  child.elf = parent.elf;
  child.loadBias = parent.loadBias;
  child.auxv = parent.auxv;
  child.cmdline = parent.cmdline;
  child.trampoline = parent.trampoline;
  child.umask = parent.umask;
  for (const m of parent.modules.list) child.modules.add(m.path, m.elf, m.bias, m.logKind);
}

/** Tells `parent` that `child` ended: SIGCHLD (its status waits for wait4); an orphan is reaped. */
export function childExited(parent: LinuxProcess, child: LinuxProcess): void {
  if (child.world.orphans.has(child)) return child.world.reap(child); // init reaps it
  if (parent.exited) return;
  parent.signals.raise({
    signal: SIG.SIGCHLD,
    code: child.exitSignal === null ? CLD_EXITED : CLD_KILLED,
    pid: child.pid,
    uid: hostIds().uid,
  });
}

/**
 * The wait status of an exited process, as wait4 stores it: the exit code in
 * bits 8-15, or the signal that killed it in bits 0-6.
 *
 * @example
 * ```ts ignore
 * putU32(p, a[1], waitStatus(child));
 * ```
 */
export function waitStatus(p: LinuxProcess): number {
  return p.exitSignal !== null ? p.exitSignal : (p.exitStatus! & 0xff) << 8;
}
