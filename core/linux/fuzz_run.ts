/**
 * Runs a Linux user-mode process for one fuzzing execution and classifies
 * how it ended, without letting it die: `exit`/`exit_group` and a fatal
 * signal sent to itself (abort's `tgkill`) are intercepted before they run,
 * and faults are reported before a signal is raised (`deferFaults`), so the
 * process can be put back at its start state for the next input.
 *
 * @module
 */

import { PF_X } from "../elf.ts";
import type { LinuxProcess } from "./process.ts";
import { SIG } from "./signals.ts";
import { type ExecResult, hashWords, type Outcome } from "../fuzz/target.ts";

/** Signals that a program sending to itself means a crash (abort, raise). */
const FATAL = new Set<number>([
  SIG.SIGABRT,
  SIG.SIGSEGV,
  SIG.SIGILL,
  SIG.SIGFPE,
  SIG.SIGBUS,
  SIG.SIGTRAP,
]);
/** How many return addresses the stack hash takes. */
const STACK_DEPTH = 4;
/** How far up the stack (bytes) the scan for return addresses goes. */
const STACK_SCAN = 1024;

/** The address ranges of `p`'s executable segments (where return addresses point). */
export function codeRanges(p: LinuxProcess): [bigint, bigint][] {
  return (p.elf?.loads ?? []).filter((s) => s.flags & PF_X).map((
    s,
  ) => [s.vaddr + p.loadBias, s.vaddr + p.loadBias + s.memsz]);
}

/**
 * A hash of the call stack at a crash: the link register and the first few
 * stack words that point into the program's code (a cheap stand-in for an
 * unwinder that needs no frame pointers and no instrumentation).
 */
export function stackHash(p: LinuxProcess, code: [bigint, bigint][]): number {
  const cpu = p.cpu, abi = p.abi;
  const words = [BigInt.asUintN(64, cpu.getGlobal(abi.linkReg))];
  const sp = BigInt.asUintN(64, cpu.getGlobal(abi.spReg));
  for (let off = 0; off < STACK_SCAN && words.length <= STACK_DEPTH; off += 8) {
    let w: bigint;
    try {
      const b = cpu.mem.readBytes(sp + BigInt(off), 8);
      w = new DataView(b.buffer, b.byteOffset, 8).getBigUint64(0, true);
    } catch {
      break; // top of the stack
    }
    if (code.some(([lo, hi]) => w >= lo && w < hi)) words.push(w);
  }
  return hashWords(words);
}

/**
 * Whether a fault or a stop at `pc` is the harness's end of an execution (a
 * fetch fault on the return address it chose, its breakpoint).
 */
export type EndCheck = (pc: bigint, kind: "fault" | "stop") => boolean;

/**
 * Steps `p` until the execution ends: `isEnd` says so, the program exits or
 * crashes, or it has run `budget` instructions. An exit with status
 * `crashExit` is a crash with signal 0 (afl-fuzz's AFL_CRASH_EXITCODE).
 */
export function runProcess(
  p: LinuxProcess,
  budget: number,
  code: [bigint, bigint][],
  isEnd: EndCheck = () => false,
  crashExit?: number,
): ExecResult {
  const start = p.cpu.icount;
  const end = (outcome: Outcome): ExecResult => ({ outcome, insns: p.cpu.icount - start });
  const crash = (signal: number, pc: bigint) =>
    end({ kind: "crash", signal, pc, stackHash: stackHash(p, code) });
  // An intercepted syscall is dropped: it "returns" 0 and no instruction runs after it.
  const drop = () => {
    p.skipPendingSyscall(0n);
    p.step(0);
  };
  p.deferFaults = true;
  for (;;) {
    const left = budget - (p.cpu.icount - start);
    if (left <= 0) return end({ kind: "hang" });
    const ev = p.step(left);
    switch (ev.kind) {
      case "syscall":
        if (ev.name === "exit" || ev.name === "exit_group") {
          const result = Number(ev.args[0] & 0xffn) === crashExit
            ? crash(0, ev.pc)
            : end({ kind: "ok" });
          drop();
          return result;
        }
        if (ev.name === "kill" || ev.name === "tkill" || ev.name === "tgkill") {
          const sig = Number(ev.args[ev.name === "tgkill" ? 2 : 1]);
          if (FATAL.has(sig)) {
            const result = crash(sig, ev.pc);
            drop();
            return result;
          }
        }
        break;
      case "fault":
        p.resolveFault();
        if (isEnd(ev.trap.pc, "fault")) return end({ kind: "ok" });
        return crash(ev.signal, ev.trap.pc);
      case "exit":
        if (ev.signal) return crash(ev.signal, p.cpu.pc);
        return (ev.status & 0xff) === crashExit ? crash(0, p.cpu.pc) : end({ kind: "ok" });
      case "stop":
        return isEnd(p.cpu.pc, "stop") ? end({ kind: "ok" }) : crash(0, p.cpu.pc);
      case "budget":
      case "signal":
        break;
    }
  }
}
