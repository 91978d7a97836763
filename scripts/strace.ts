/**
 * A system call tracer built on the scripting API: runs a guest and prints
 * `name(args) = ret` for each system call to stderr (the guest's own output
 * passes through).
 *
 * Usage: deno run -A scripts/strace.ts [--seed N] <guest> [args...]
 *
 * ```
 * $ deno run -A scripts/strace.ts tests/guests/bin/hello.static.O2
 * brk(0x0) = 0x7d000
 * ...
 * write(1, "Hello, world!\n", 14) = 14
 * exit_group(0)
 * ```
 *
 * @module
 */

import { createMachine, type Machine } from "../mod.ts";

const USAGE = "usage: deno run -A scripts/strace.ts [--seed N] <guest> [args...]";

/** Arguments each call takes; `s` = a C string, `b` = a buffer whose length is the next argument. */
const SIGNATURES: Record<string, string> = {
  read: "ibi",
  write: "ibi",
  openat: "isxo",
  close: "i",
  brk: "x",
  mmap: "xixxii",
  munmap: "xi",
  mprotect: "xix",
  exit: "i",
  exit_group: "i",
  fstat: "ix",
  newfstatat: "isxx",
  readlinkat: "isxi",
  faccessat: "isx",
  getpid: "",
  getuid: "",
  gettid: "",
  set_tid_address: "x",
  set_robust_list: "xi",
  rt_sigaction: "ixxi",
  rt_sigprocmask: "ixxi",
  kill: "ii",
  tgkill: "iii",
  ioctl: "ixx",
  lseek: "iii",
  uname: "x",
  getrandom: "xix",
  clock_gettime: "ix",
  prlimit64: "iixx",
  unlinkat: "isi",
  mkdirat: "iso",
};

function cString(m: Machine, addr: bigint, max = 64): string {
  if (addr === 0n) return "NULL";
  try {
    const bytes = m.readMemory(addr, max);
    const end = bytes.indexOf(0);
    const text = new TextDecoder().decode(bytes.subarray(0, end < 0 ? max : end));
    return JSON.stringify(text) + (end < 0 ? "..." : "");
  } catch {
    return `0x${addr.toString(16)}`;
  }
}

function buffer(m: Machine, addr: bigint, len: bigint): string {
  const n = Number(len < 32n ? len : 32n);
  try {
    const text = new TextDecoder().decode(m.readMemory(addr, n));
    return JSON.stringify(text) + (len > 32n ? "..." : "");
  } catch {
    return `0x${addr.toString(16)}`;
  }
}

/**
 * Formats one call as `name(a, b, c)`.
 *
 * @example
 * ```ts ignore
 * formatCall(m, "close", [3n]); // "close(3)"
 * ```
 */
export function formatCall(m: Machine, name: string, args: bigint[]): string {
  const sig = SIGNATURES[name] ?? "xxxxxx";
  const shown = [...sig].map((kind, i) => {
    const v = args[i];
    if (kind === "s") return cString(m, v);
    if (kind === "b") return buffer(m, v, args[i + 1]);
    if (kind === "o") return `0${v.toString(8)}`;
    if (kind === "i") return BigInt.asIntN(64, v).toString();
    return `0x${v.toString(16)}`;
  });
  return `${name}(${shown.join(", ")})`;
}

function formatReturn(ret: bigint): string {
  const v = BigInt.asIntN(64, ret);
  return v < 0n && v > -4096n ? `-1 errno=${-v}` : v > 0xffffn ? `0x${v.toString(16)}` : `${v}`;
}

if (import.meta.main) {
  const argv = [...Deno.args];
  let seed = 0;
  if (argv[0] === "--seed") {
    seed = Number(argv[1]);
    argv.splice(0, 2);
  }
  if (!argv.length || argv[0].startsWith("-")) {
    console.error(USAGE);
    Deno.exit(2);
  }
  const [program, ...args] = argv;
  const m = await createMachine({ program, args, seed, stdout: "inherit", stderr: "inherit" });
  let pending = "";
  m.hooks.on("syscall_return", (e) => {
    console.error(`${pending} = ${formatReturn(e.ret)}`);
    pending = "";
  });
  let status = 0;
  for await (const ev of m.run()) {
    if (ev.type === "syscall") {
      if (pending) console.error(pending); // a call that never returned (e.g. rt_sigreturn)
      pending = formatCall(m, ev.name, ev.args);
    } else if (ev.type === "signal") {
      console.error(`--- signal ${ev.signal} (handler 0x${ev.handler.toString(16)}) ---`);
    } else if (ev.type === "exit") {
      if (pending) console.error(pending);
      console.error(`+++ exited with ${ev.status} +++`);
      status = ev.status;
    }
  }
  Deno.exit(status);
}
