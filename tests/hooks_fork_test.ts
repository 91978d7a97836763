// Hooks and tool plugins follow fork (as QEMU's user-mode plugins do): a forked process's CPU
// shares its parent's registrations, event subscribers and scoreboards (each CPU counts in its
// own copy, reads sum them), and gets the next vCPU index; the run's `exit` is the program's.
// SPDX-License-Identifier: GPL-3.0-or-later
import assert, { deepStrictEqual as assertEquals } from "node:assert/strict";
import { createMachine } from "../mod.ts";
import { LinuxProcess } from "../core/linux/process.ts";
import { GUEST_BIN } from "./util/guest_runs.ts";

Deno.test("hooks in child processes: every instruction of every process is counted", async () => {
  const p = await LinuxProcess.create({
    program: GUEST_BIN + "fork.static.O2",
    args: [],
    accel: "jit",
    sched: { policy: "random", quantum: 300 },
    seed: 2n,
  });
  const sb = p.hooks.scoreboard(1);
  let byCallback = 0n;
  p.hooks.onTranslate((tb) => {
    for (const insn of tb.insns) insn.inlineAdd(sb, 1n);
    const n = BigInt(tb.insns.length);
    tb.onExec(() => byCallback += n, { regs: "none" });
  });
  const started: number[] = [], ended: number[] = [];
  let exits = 0, syscalls = 0n;
  p.hooks.on("syscall", () => syscalls++);
  p.hooks.on("vcpu_init", (e) => started.push(e.index));
  p.hooks.on("vcpu_exit", (e) => ended.push(e.index));
  p.hooks.on("exit", () => exits++);
  assertEquals(p.runToExit(), 0);
  const all = BigInt(p.world.instructions());
  assert(all > BigInt(p.cpu.icount) * 11n / 10n, "the children ran a part of the instructions");
  // every instruction that retired, and each syscall's ecall (which traps instead)
  assertEquals(sb.get(0), all + syscalls);
  assert(byCallback >= all, `${byCallback} < ${all}`); // whole blocks: an exit cuts the last one
  assertEquals(started, [0, 1, 2, 3, 4, 5, 6]); // the program and its six children
  assertEquals([...ended].sort(), [0, 1, 2, 3, 4, 5, 6]);
  assertEquals(exits, 1);
});

Deno.test("hooks in child processes: the bb tool counts parent and children alike", async () => {
  const outputs: string[] = [];
  for (const plugin of ["bb", "bb,inline=on"]) {
    let out = "";
    const m = await createMachine({
      program: GUEST_BIN + "fork.static.O2",
      plugins: [plugin],
      pluginOutput: (t) => out += t,
    });
    let exitGroups = 0;
    m.hooks.on("syscall", (e) => e.name === "exit_group" && exitGroups++);
    assertEquals(await m.runToExit(), 0);
    const insns = BigInt(/Total: bb's: \d+, insns: (\d+)/.exec(out)![1]);
    assert(insns > BigInt(m.icount), `${out} counts only the program (${m.icount})`);
    // the program and five of its children exit (the sixth is killed by a signal)
    assertEquals(exitGroups, 6, "the children's syscalls are reported");
    outputs.push(out);
    await m.close();
  }
  assertEquals(outputs[0], outputs[1]);
});

Deno.test("hooks in child processes: they stay with a process across execve", async () => {
  // exec.static.O2 runs itself again through fork + execve and posix_spawn, as "child ...",
  // which exits with status 7: those exits are the exec'd programs' in the children.
  const exitCodes: bigint[] = [];
  let blocksAfterExec = 0, execs = 0;
  const m = await createMachine({ program: GUEST_BIN + "exec.static.O2" });
  m.hooks.on("syscall", (e) => {
    if (e.name === "execve") execs++;
    if (e.name === "exit_group") exitCodes.push(e.args[0]);
  });
  m.hooks.addBlockHook(() => execs && blocksAfterExec++, { regs: "none" });
  assertEquals(await m.runToExit(), 0);
  assert(execs >= 1 && blocksAfterExec > 1000, `${execs} execve, then ${blocksAfterExec} blocks`);
  assertEquals(exitCodes.filter((c) => c === 7n).length, 2, `exit codes ${exitCodes}`);
  await m.close();
});
