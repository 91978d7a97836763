/**
 * Every syscall handler, by generic Linux name. Targets map their numbers
 * to these names (`LinuxAbi.syscallNames`).
 *
 * @module
 */

import type { SyscallTable } from "./syscall.ts";
import { fileSyscalls } from "./sys_files.ts";
import { copySyscalls } from "./sys_copy.ts";
import { memfdSyscalls } from "./memfd.ts";
import { fsSyscalls } from "./sys_fs.ts";
import { nameSyscalls } from "./sys_names.ts";
import { memorySyscalls } from "./sys_memory.ts";
import { miscSyscalls } from "./sys_misc.ts";
import { processSyscalls } from "./sys_process.ts";
import { signalSyscalls } from "./sys_signals.ts";
import { timeSyscalls } from "./sys_time.ts";
import { itimerSyscalls } from "./itimers.ts";
import { posixTimerSyscalls } from "./posix_timers.ts";
import { threadSyscalls } from "./sys_thread.ts";
import { childSyscalls } from "./sys_children.ts";
import { execSyscalls } from "./sys_exec.ts";
import { pollSyscalls } from "./sys_poll.ts";
import { groupSyscalls } from "./sys_groups.ts";
import { socketSyscalls } from "./sys_unix.ts";
import { xattrSyscalls } from "./sys_xattr.ts";
import { pidfdSyscalls } from "./pidfd.ts";

/**
 * The complete handler table.
 *
 * @example
 * ```ts
 * import { SYSCALLS } from "./sys_table.ts";
 * console.log(typeof SYSCALLS.write); // "function"
 * ```
 */
export const SYSCALLS: Readonly<SyscallTable> = {
  ...fileSyscalls,
  ...copySyscalls,
  ...memfdSyscalls,
  ...fsSyscalls,
  ...nameSyscalls,
  ...memorySyscalls,
  ...miscSyscalls,
  ...processSyscalls,
  ...signalSyscalls,
  ...timeSyscalls,
  ...itimerSyscalls,
  ...posixTimerSyscalls,
  ...threadSyscalls,
  ...childSyscalls,
  ...execSyscalls,
  ...pollSyscalls,
  ...groupSyscalls,
  ...socketSyscalls,
  ...xattrSyscalls,
  ...pidfdSyscalls,
};
