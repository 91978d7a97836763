/**
 * Miscellaneous syscalls: getrandom (the seeded generator).
 *
 * @module
 */

import { E, SysError } from "./errno.ts";
import { int, len, put, type SyscallTable } from "./syscall.ts";

/**
 * Miscellaneous syscalls by name.
 *
 * @example
 * ```ts
 * import { miscSyscalls } from "./sys_misc.ts";
 * console.log("getrandom" in miscSyscalls); // true
 * ```
 */
export const miscSyscalls: SyscallTable = {
  getrandom: (p, a) => {
    const n = Math.min(len(a[1]), 1 << 25);
    if (int(a[2]) & ~7) throw new SysError(E.EINVAL);
    put(p, a[0], p.random.bytes(n));
    return n;
  },
};
