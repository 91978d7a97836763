/**
 * Miscellaneous syscalls: futex (a single thread: waits never block),
 * getrandom (the seeded generator).
 *
 * @module
 */

import { EmuError } from "../errors.ts";
import { E, SysError } from "./errno.ts";
import { get, int, len, put, type SyscallTable } from "./syscall.ts";
import type { LinuxProcess } from "./process.ts";

const FUTEX_WAIT = 0, FUTEX_WAKE = 1, FUTEX_WAIT_BITSET = 9, FUTEX_WAKE_BITSET = 10;

function futex(p: LinuxProcess, a: bigint[]): number {
  const op = int(a[1]) & 0x7f;
  switch (op) {
    case FUTEX_WAIT:
    case FUTEX_WAIT_BITSET: {
      const cur = new DataView(get(p, a[0], 4).buffer).getUint32(0, true);
      if (cur !== Number(BigInt.asUintN(32, a[2]))) throw new SysError(E.EAGAIN);
      // No other thread can ever wake us: with a timeout, time passes; without, it is a deadlock.
      if (a[3] !== 0n) throw new SysError(E.ETIMEDOUT);
      throw new EmuError(
        `guest deadlock: FUTEX_WAIT at 0x${a[0].toString(16)} with no other thread to wake it`,
      );
    }
    case FUTEX_WAKE:
    case FUTEX_WAKE_BITSET:
      get(p, a[0], 4);
      return 0;
    default:
      return 0;
  }
}

/**
 * Miscellaneous syscalls by name.
 *
 * @example
 * ```ts
 * import { miscSyscalls } from "./sys_misc.ts";
 * console.log("futex" in miscSyscalls); // true
 * ```
 */
export const miscSyscalls: SyscallTable = {
  futex,
  getrandom: (p, a) => {
    const n = Math.min(len(a[1]), 1 << 25);
    if (int(a[2]) & ~7) throw new SysError(E.EINVAL);
    put(p, a[0], p.random.bytes(n));
    return n;
  },
};
