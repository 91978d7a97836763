// `emu user` loads only what a user-mode run needs: the modules of mod.ts (which `deno run -A
// mod.ts` loads before the CLI starts), the user command and the RISC-V target include no board,
// no device framework, no fuzzing engine and no gdb stub; those are imported when a run asks for
// them (createMachine's `system`, fuzz(), `-g`). Each module costs start-up time (docs/perf.md,
// "Eleventh session, start-up"). `emu system` loads no Linux process: its modules cost memory in
// both of its isolates (docs/perf.md, "Twenty-fourth session, the Linux boot's peak RSS"). And the
// lazily imported parts still work from the CLI.
// SPDX-License-Identifier: GPL-3.0-or-later
import assert from "node:assert/strict";
import { staticGraph } from "./util/module_graph.ts";

/** The core/system modules user mode shares: option parsing, the serial console, target types. */
const SHARED_SYSTEM = ["console.ts", "options.ts", "system_target.ts", "vmstate.ts"]
  .map((f) => `core/system/${f}`);

Deno.test("emu user: mod.ts, the user command and the RISC-V target load no system, fuzz or gdb module", async () => {
  const loaded = new Set<string>();
  for (const entry of ["mod.ts", "cli/user.ts", "targets/riscv/mod.ts"]) {
    for (const m of await staticGraph(entry)) loaded.add(m);
  }
  const heavy = [...loaded].filter((m) =>
    m === "plugin.ts" || m === "plugin_block.ts" || m === "core/machine/fuzz.ts" ||
    m === "core/machine/create_system.ts" ||
    /^(plugins|core\/(fuzz|gdb|cov|img))\//.test(m) ||
    (m.startsWith("core/system/") && !SHARED_SYSTEM.includes(m))
  );
  assert.deepEqual(heavy, []);
});

Deno.test("emu user: no module of its start-up imports a Node built-in (Deno's Node layer costs about 20 ms)", async () => {
  const node = new Set<string>();
  for (const entry of ["mod.ts", "cli/main.ts", "cli/user.ts", "targets/riscv/mod.ts"]) {
    for (const m of await staticGraph(entry, false)) if (m.startsWith("node:")) node.add(m);
  }
  assert.deepEqual([...node], []);
});

Deno.test("emu system: mod.ts, the system command, its board and target load no Linux process", async () => {
  const loaded = new Set<string>();
  const entries = [
    "mod.ts",
    "cli/system.ts",
    "core/machine/create_system.ts",
    "plugins/machines/virt/mod.ts",
    "targets/riscv/mod.ts",
  ];
  for (const entry of entries) {
    for (const m of await staticGraph(entry)) loaded.add(m);
  }
  assert.ok(loaded.has("core/machine/machine.ts") && loaded.has("core/jit/jit_backend.ts"));
  // the syscall numbers of the target plugins' API (plugin_target.ts) are the one exception
  const user = [...loaded].filter((m) =>
    (m.startsWith("core/linux/") && m !== "core/linux/generic_syscalls.ts") ||
    m === "core/machine/user.ts" || m === "core/machine/create_user.ts"
  );
  assert.deepEqual(user, []);
});

Deno.test("emu user -g and emu system: the parts imported on demand load from the CLI", async () => {
  const run = (...args: string[]) =>
    new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", new URL("../mod.ts", import.meta.url).pathname, ...args],
      stdout: "piped",
      stderr: "piped",
    }).output();
  // -g on a port that is taken: the stub is imported, then fails to listen with its one-line error
  using listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = String(listener.addr.port);
  const gdb = await run("user", "-g", port, "tests/guests/bin/hello.static.O2");
  assert.equal(gdb.code, 1);
  assert.match(new TextDecoder().decode(gdb.stderr), new RegExp(`-g ${port}: cannot listen`));
  const sys = await run(
    "system",
    "-M",
    "virt",
    "-bios",
    "none",
    "-kernel",
    "tests/baremetal/bin/timer.elf",
  );
  assert.equal(sys.code, 0, new TextDecoder().decode(sys.stderr));
});
