/**
 * How much wasm the JIT makes for a program: runs it in-process on the JIT and prints the
 * regions and TBs compiled, the bytes of their modules, and the bytes per compiled TB (the
 * figure V8's two compilers pay for; docs/perf.md, "Tenth session, JIT").
 *
 * ```sh
 * deno run -A scripts/jit_code_size.ts tests/real/bin/lua tests/real/inputs/fib.lua 25
 * ```
 *
 * @module
 */
// SPDX-License-Identifier: GPL-3.0-or-later

import { createMachine } from "../mod.ts";
import { JitBackend } from "../core/jit/jit_backend.ts";
import { machineDriver } from "../core/machine/machine.ts";

const [program, ...args] = Deno.args;
if (!program) {
  console.error("usage: jit_code_size.ts PROGRAM [ARGS...]");
  Deno.exit(1);
}
const m = await createMachine({ program, args, accel: "jit" });
const status = await m.runToExit();
const jit = machineDriver(m).cpu.backend;
if (!(jit instanceof JitBackend)) throw new Error("the machine does not run on the JIT");
const s = jit.stats;
console.log(
  `exit ${status}: ${s.regionsCompiled} regions, ${s.tbsCompiled} TBs, ${s.wasmBytes} bytes of ` +
    `wasm, ${(s.wasmBytes / s.tbsCompiled).toFixed(0)} bytes per TB`,
);
