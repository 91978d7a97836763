/**
 * Signal delivery to the running thread of a Linux process: the default
 * actions (terminate, core, ignore), entering a handler through the target's
 * signal frame, and the signal a guest trap raises.
 *
 * @module
 */

import { GuestFault } from "../errors.ts";
import { type Trap, TrapKind } from "../trap.ts";
import type { LinuxProcess, ProcessEvent } from "./process.ts";
import {
  defaultAction,
  type PendingSignal,
  SA,
  SIG,
  SIG_DFL,
  SIG_IGN,
  sigBit,
  signalDescription,
  SignalState,
} from "./signals.ts";
import { stopProcess } from "./job_control.ts";
import { formatSignal } from "./strace.ts";

/**
 * Delivers the running thread's deliverable signals: a default action that
 * ends the process ends it, a handler gets a frame; `report` receives the
 * `signal` events. With `p.reportSignals`, a signal that would do something
 * (QEMU's rule: a handler, or a default action other than ignore or stop;
 * not SIGKILL, not a fault already reported) is held back and reported as a
 * `signal_stop` first, as QEMU's gdb stub stops on it (gdb_handlesig).
 *
 * @example
 * ```ts ignore
 * deliverSignals(p, (ev) => events.push(ev));
 * ```
 */
export function deliverSignals(p: LinuxProcess, report: (ev: ProcessEvent) => void): void {
  const s = p.signals;
  for (let next = s.next(); next && !p.exited; next = s.next()) {
    const act = s.actions[next.signal];
    if (act.handler === SIG_IGN) continue;
    const quiet = next.fault || next.reported || next.signal === SIG.SIGKILL;
    if (p.reportSignals && !quiet && s.acts(next.signal)) {
      s.hold(next);
      report({ kind: "signal_stop", signal: next.signal });
      return; // the next step delivers it (or what the debugger chose)
    }
    if (act.handler === SIG_DFL) {
      const what = defaultAction(next.signal);
      if (what === "stop" && stopProcess(p, next.signal)) return; // it takes no more turns
      if (what === "ignore" || what === "stop") continue;
      if (what === "core" && p.abi.coreDumpMessage) {
        p.stderr(
          new TextEncoder().encode(
            `qemu: uncaught target signal ${next.signal} (${
              signalDescription(next.signal)
            }) - core dumped\n`,
          ),
        );
      }
      if (p.strace) p.strace(formatSignal(next));
      p.exit(128 + next.signal, next.signal);
      return;
    }
    if (p.strace) p.strace(formatSignal(next));
    enterHandler(p, next, report);
  }
  if (p.restoreMaskAfterSignal !== null) {
    s.blocked = p.restoreMaskAfterSignal;
    p.restoreMaskAfterSignal = null;
  }
}

function enterHandler(
  p: LinuxProcess,
  sig: PendingSignal,
  report: (ev: ProcessEvent) => void,
): void {
  const s = p.signals, act = s.actions[sig.signal];
  const regs = p.cpu;
  const pcBefore = regs.pc;
  let sp = BigInt.asUintN(64, regs.getGlobal(p.abi.spReg));
  const alt = { ...s.altStack };
  if ((act.flags & SA.ONSTACK) && !(alt.flags & 2) && !s.onAltStack(sp)) sp = alt.sp + alt.size;
  if (s.onAltStack(sp)) alt.flags |= 1;
  try {
    p.abi.setupSignalFrame({
      regs,
      signal: sig.signal,
      siginfo: SignalState.encodeSiginfo(sig),
      handler: act.handler,
      restorer: act.flags & SA.RESTORER ? act.restorer : 0n,
      trampoline: p.trampoline,
      siginfoFlag: (act.flags & SA.SIGINFO) !== 0,
      savedMask: p.restoreMaskAfterSignal ?? s.blocked,
      sp,
      altStack: alt,
    });
  } catch (e) {
    if (!(e instanceof GuestFault)) throw e;
    // No room for the frame: the kernel kills the process with SIGSEGV.
    p.exit(128 + SIG.SIGSEGV, SIG.SIGSEGV);
    return;
  }
  if (p.restoreMaskAfterSignal !== null) {
    s.blocked = p.restoreMaskAfterSignal;
    p.restoreMaskAfterSignal = null;
  }
  s.blocked |= act.mask | (act.flags & SA.NODEFER ? 0n : sigBit(sig.signal));
  const handler = act.handler;
  if (act.flags & SA.RESETHAND) act.handler = SIG_DFL;
  p.hooks.events.emit("discontinuity", {
    kind: sig.fault ? "exception" : "interrupt",
    from: pcBefore,
    to: handler,
    vcpu: p.hooks.index,
  });
  report({ kind: "signal", signal: sig.signal, handler });
}

/**
 * The signal a guest trap raises (SEGV_MAPERR vs SEGV_ACCERR by whether the
 * page is mapped; `illegalCode`: the si_code of an illegal instruction's SIGILL).
 *
 * @example
 * ```ts ignore
 * const sig = faultSignal(trap, p.mem.pages.has(pageNumber(trap.data)));
 * ```
 */
export function faultSignal(trap: Trap, mapped = false, illegalCode = 1): PendingSignal {
  const addr = trap.data;
  switch (trap.kind) {
    case TrapKind.MEMORY:
      return { signal: SIG.SIGSEGV, code: mapped ? 2 : 1, addr, fault: true };
    case TrapKind.MISALIGNED:
      return { signal: SIG.SIGBUS, code: 1, addr, fault: true };
    case TrapKind.BREAKPOINT:
      return { signal: SIG.SIGTRAP, code: 1, addr: trap.pc, fault: true };
    case TrapKind.ILLEGAL:
      return { signal: SIG.SIGILL, code: illegalCode, addr: trap.pc, fault: true };
    default:
      return { signal: SIG.SIGILL, code: 1, addr: trap.pc, fault: true };
  }
}
