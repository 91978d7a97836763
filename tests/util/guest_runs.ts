// Running a committed guest program in Denemu (with -strace lines) and on qemu-riscv64, for the
// tests of threads, processes and I/O that compare the two and runs with each other.
// SPDX-License-Identifier: GPL-3.0-or-later
import assert, { deepStrictEqual as assertEquals } from "node:assert/strict";
import { createMachine } from "../../mod.ts";
import { installed } from "./installed.ts";

/** The committed guest binaries. */
export const GUEST_BIN = new URL("../guests/bin/", import.meta.url).pathname;
const SYSROOT = "/usr/riscv64-linux-gnu";

/** What a run printed, how it ended, and its -strace lines (which thread made which call). */
export interface GuestRun {
  status: number;
  stdout: string;
  strace: string[];
}

/** How to run it: the scheduler, seed, arguments and engine. */
export interface GuestRunOptions {
  sched?: string;
  seed?: number;
  args?: string[];
  accel?: "jit" | "interp";
}

/** Runs guest program `prog` (a name under tests/guests/bin) to its end in Denemu. */
export async function runGuest(prog: string, opts: GuestRunOptions = {}): Promise<GuestRun> {
  const strace: string[] = [];
  const m = await createMachine({
    program: GUEST_BIN + prog,
    ...opts,
    strace: (l) => strace.push(l),
  });
  const status = await m.runToExit();
  const r = { status, stdout: m.stdout, strace };
  await m.close();
  return r;
}

/** How long one qemu-riscv64 run may take, and how often a hung one is tried again. */
const PEER_LIMIT_MS = 60_000, PEER_ATTEMPTS = 3;

/**
 * Runs guest program `prog` on qemu-riscv64 (with the Debian sysroot), through the command
 * `wrap` when given (`setpriv` to run it unprivileged). QEMU's user mode runs
 * guest processes on host processes and can livelock (jobctl once spun for an hour in CI): a run
 * past the limit is killed with every process it forked (its own session), and tried again.
 */
export async function runOnQemu(
  prog: string,
  args: string[] = [],
  wrap: string[] = [],
): Promise<{ status: number; stdout: string }> {
  for (let attempt = 1;; attempt++) {
    const child = new Deno.Command("setsid", {
      args: [...wrap, "qemu-riscv64", "-L", SYSROOT, GUEST_BIN + prog, ...args],
      stdin: "null",
      stdout: "piped",
      stderr: "null",
    }).spawn();
    let hung = false;
    const timer = setTimeout(() => {
      hung = true;
      Deno.kill(-child.pid, "SIGKILL");
    }, PEER_LIMIT_MS);
    const o = await child.output();
    clearTimeout(timer);
    if (!hung) return { status: o.code, stdout: new TextDecoder().decode(o.stdout) };
    if (attempt === PEER_ATTEMPTS) {
      throw new Error(
        `qemu-riscv64 ${prog} ran past ${PEER_LIMIT_MS / 1000} s ${PEER_ATTEMPTS} times: ` +
          "QEMU hangs on this program; run the test again",
      );
    }
  }
}

/**
 * Registers the tests that run each of `progs` in Denemu on every schedule of `schedules` and
 * compare status and stdout with qemu-riscv64's (skipped, saying so, when qemu is missing);
 * `check` looks at qemu's output (that the program did what the comparison relies on).
 */
export function testAgainstQemu(
  area: string,
  progs: string[],
  schedules: GuestRunOptions[],
  check: (stdout: string) => boolean,
): void {
  const haveQemu = installed("qemu-riscv64");
  for (const prog of progs) {
    Deno.test({
      name: `${area}: ${prog} prints what qemu-riscv64 prints, on every schedule`,
      ignore: !haveQemu,
      async fn() {
        const peer = await runOnQemu(prog);
        assertEquals(peer.status, 0);
        assert(check(peer.stdout), peer.stdout);
        for (const s of schedules) {
          const r = await runGuest(prog, s);
          assertEquals({ status: r.status, stdout: r.stdout }, peer, JSON.stringify(s));
        }
      },
    });
  }
  Deno.test(`${area}: qemu-riscv64 is installed for the comparisons`, { ignore: haveQemu }, () => {
    console.warn("skipped: qemu-riscv64 is not installed (apt-get install qemu-user)");
  });
}
