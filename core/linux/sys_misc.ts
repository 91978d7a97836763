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
    // GRND_NONBLOCK, GRND_RANDOM, GRND_INSECURE; the last two exclude each other
    const flags = int(a[2]);
    if (flags & ~7 || (flags & 6) === 6) throw new SysError(E.EINVAL);
    put(p, a[0], p.random.bytes(n));
    return n;
  },
};
