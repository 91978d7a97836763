/**
 * siginfo as qemu-riscv64 7.2's `-strace` prints it: in the `--- SIG {...} ---` line of a
 * delivered signal, and in the arguments of rt_sigqueueinfo, rt_tgsigqueueinfo and
 * pidfd_send_signal, read from guest memory.
 *
 * @module
 */

import type { LinuxProcess } from "./process.ts";
import type { PendingSignal } from "./signals.ts";
import { ptr, qemuSignal } from "./strace_args.ts";

const SI_CODES: Record<number, string> = {
  0: "SI_USER",
  0x80: "SI_KERNEL",
  [-1]: "SI_QUEUE",
  [-2]: "SI_TIMER",
  [-3]: "SI_MESGQ",
  [-4]: "SI_ASYNCIO",
  [-5]: "SI_SIGIO",
  [-6]: "SI_TKILL",
};

const SIGCHLD = 17, SI_USER = 0, SI_QUEUE = -1, SI_TKILL = -6, SI_KERNEL = 0x80;
/** The signals a fault raises: their positive codes carry si_addr. */
const FAULT_SIGNALS = new Set([4, 5, 7, 8, 11]);

/**
 * The `{si_signo=..., si_code=...}` text of a siginfo, with the fields QEMU prints for its
 * kind: the fault address, a child's status, a sigqueue value, or the sender.
 */
export function siginfoText(s: PendingSignal): string {
  const name = qemuSignal(s.signal);
  const code = SI_CODES[s.code] ?? `${s.code}`;
  const sender = `, si_pid=${s.pid ?? 0}, si_uid=${s.uid ?? 0}`;
  let rest: string;
  if (s.fault) rest = `, si_addr=${ptr(s.addr ?? 0n)}`;
  else if (s.signal === SIGCHLD && s.status !== undefined) {
    rest = `${sender}, si_status=${s.status}, si_utime=0, si_stime=0`;
  } else if (s.code === SI_QUEUE) rest = `${sender}, si_sigval=${s.value ?? 0n}`;
  else rest = sender;
  return `{si_signo=${name}, si_code=${code}${rest}}`;
}

/**
 * A guest's `siginfo_t` at `addr` as QEMU prints it (its kind decided from the signal and
 * code, as QEMU's get_target_siginfo does), `NULL` for 0, or the address when unreadable.
 *
 * @example
 * ```ts ignore
 * siginfoAt(proc, sp); // "{si_signo=SIGUSR2, si_code=SI_QUEUE, si_pid=1000, si_uid=0, si_sigval=43}"
 * ```
 */
export function siginfoAt(p: LinuxProcess, addr: bigint): string {
  if (addr === 0n) return "NULL";
  let dv: DataView;
  try {
    const b = p.mem.readBytes(addr, 48, "read");
    dv = new DataView(b.buffer, b.byteOffset, 48);
  } catch {
    return ptr(addr);
  }
  const signal = dv.getInt32(0, true), code = dv.getInt32(8, true);
  const pid = dv.getUint32(16, true), uid = dv.getUint32(20, true);
  if (FAULT_SIGNALS.has(signal) && code > 0) {
    return siginfoText({ signal, code, fault: true, addr: dv.getBigUint64(16, true) });
  }
  if (code === SI_USER || code === SI_TKILL || code === SI_KERNEL) {
    return siginfoText({ signal, code, pid, uid });
  }
  if (signal === SIGCHLD) {
    return siginfoText({ signal, code, pid, uid, status: dv.getInt32(24, true) });
  }
  return siginfoText({ signal, code, pid, uid, value: dv.getBigInt64(24, true) });
}
