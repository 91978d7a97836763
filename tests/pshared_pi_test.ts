// Process-shared PTHREAD_PRIO_INHERIT and robust mutexes between fork'd processes
// (core/linux/futex.ts): FUTEX_LOCK_PI/UNLOCK_PI/TRYLOCK_PI on a MAP_SHARED word whose owner is
// a thread of the other process, compared with qemu-riscv64 on several schedules and both
// engines; the robust list of a process that exits holding a lock (EOWNERDEAD for the next
// locker, waiting or not, PI or not), which qemu-riscv64 cannot run (its set_robust_list is
// ENOSYS), checked against the man page.
// SPDX-License-Identifier: GPL-3.0-or-later
import { deepStrictEqual as assertEquals } from "node:assert/strict";
import { runGuest, testAgainstQemu } from "./util/guest_runs.ts";

testAgainstQemu(
  "pshared PI",
  ["pshared_pi.static.O2", "pshared_pi.dynamic.O2"],
  [{}, { sched: "random,quantum=64", seed: 7 }, { sched: "rr,quantum=300", accel: "interp" }],
  (out) => out.includes("counter 40 of 40") && out.includes("holds it EBUSY, after 0"),
);

for (const prog of ["pshared_pi.static.O2", "pshared_pi.dynamic.O2"]) {
  for (const accel of ["jit", "interp"] as const) {
    Deno.test(`pshared PI: ${prog} (${accel}): a dead owner process's robust mutex is EOWNERDEAD`, async () => {
      // pthread_mutex_lock(3): EOWNERDEAD "The mutex is a robust mutex and the process containing
      // the previous owning thread terminated while holding the mutex lock. The mutex lock shall
      // be acquired by the calling thread and it is up to the new owner to make the state
      // consistent."
      const r = await runGuest(prog, { args: ["robust"], accel, sched: "random,quantum=80" });
      const end = ": lock EOWNERDEAD, consistent 0, then lock 0";
      assertEquals(r, {
        ...r,
        status: 0,
        stdout: [
          `robust mutex, its owner process exited, the parent waiting${end}`,
          `robust mutex, its owner process exited, nobody waiting${end}`,
          `robust PI mutex, its owner process exited, the parent waiting${end}`,
          `robust PI mutex, its owner process exited, nobody waiting${end}`,
          "",
        ].join("\n"),
      });
    });
  }
}
