// Process groups and sessions (core/linux/sys_groups.ts), waitid, orphans adopted by init,
// pselect6 and signalfd4, compared with qemu-riscv64 on several schedules.
// SPDX-License-Identifier: GPL-3.0-or-later
import { testAgainstQemu } from "./util/guest_runs.ts";

testAgainstQemu(
  "groups",
  ["groups.static.O2", "groups.dynamic.O2"],
  [{}, { sched: "random,quantum=100", seed: 4 }, { sched: "rr,quantum=64", accel: "jit" }],
  (out) =>
    out.includes("signalfd waits for SIGCHLD: yes, pid matches yes") && !out.includes(": no"),
);
