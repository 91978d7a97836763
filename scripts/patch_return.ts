/**
 * Patches what a guest function returns, at run time. By default the
 * function is skipped: a breakpoint on its entry sets a0 to the value and
 * continues at ra, as if it had executed `return value`. With `--keep` the
 * function runs and only its return value is replaced, by a breakpoint on the
 * return address.
 *
 * Usage: deno run -A scripts/patch_return.ts --func NAME --value N [--keep] <guest> [args...]
 *
 * ```
 * $ deno run -A scripts/patch_return.ts --func strtol --value 1 tests/guests/bin/compute.static.O2 3
 * patched strtol (0x1589a): returned 1 at 0x10800
 * iterations 1 checksum ced30c8a0aa7e508
 * ```
 *
 * @module
 */

import { createMachine } from "../mod.ts";

const USAGE =
  "usage: deno run -A scripts/patch_return.ts --func NAME --value N [--keep] <guest> [args...]";

if (import.meta.main) {
  const argv = [...Deno.args];
  let func: string | undefined, value: bigint | undefined, keep = false;
  while (argv[0]?.startsWith("--")) {
    const flag = argv.shift()!;
    if (flag === "--func") func = argv.shift();
    else if (flag === "--value") value = BigInt(argv.shift() ?? "x");
    else if (flag === "--keep") keep = true;
    else {
      argv.length = 0; // unknown flag: print the usage
      break;
    }
  }
  if (!func || value === undefined || !argv.length) {
    console.error(USAGE);
    Deno.exit(2);
  }
  const [program, ...args] = argv;
  const m = await createMachine({ program, args, stdout: "inherit", stderr: "inherit" });
  const entry = m.symbol(func);
  if (entry === undefined) {
    console.error(`patch_return: no symbol ${func} in ${program}`);
    Deno.exit(2);
  }
  const where = `${func} (0x${entry.toString(16)})`;
  const returns: bigint[] = []; // return addresses of calls in flight (--keep)
  m.addBreakpoint(entry);
  let status = 0;
  for await (const ev of m.run()) {
    if (ev.type === "breakpoint" && ev.pc === entry) {
      const ra = m.readReg("ra");
      if (keep) {
        returns.push(ra);
        m.addBreakpoint(ra);
        continue;
      }
      m.writeReg("a0", value);
      m.pc = ra;
      console.error(`patched ${where}: returned ${value} at 0x${ra.toString(16)}`);
    } else if (ev.type === "breakpoint" && ev.pc === returns.at(-1)) {
      returns.pop();
      if (!returns.includes(ev.pc)) m.removeBreakpoint(ev.pc);
      console.error(`patched ${where}: ${m.readReg("a0")} -> ${value} at 0x${ev.pc.toString(16)}`);
      m.writeReg("a0", value);
    } else if (ev.type === "exit") {
      status = ev.status;
    }
  }
  Deno.exit(status);
}
