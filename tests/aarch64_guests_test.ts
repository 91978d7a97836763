// The aarch64 target against qemu-aarch64, in the same run: every guest of tests/guests/bin/aarch64
// (built by scripts/build_guests_a64.ts) prints the same stdout and exits with the same status on
// Denemu's JIT and interpreter (some also under lockstep) as on qemu-aarch64; the decode table is
// current; and every instruction of the guests that Denemu decodes, and random AdvSIMD and FP
// encodings of every group it implements, disassemble as `objdump -d -M no-aliases` prints them.
// SPDX-License-Identifier: GPL-3.0-or-later
import assert, { deepStrictEqual as assertEquals } from "node:assert/strict";
import { a64TablesJson } from "../targets/aarch64/gen_decode_tables.ts";
import { decodeA64 } from "../targets/aarch64/decode.ts";
import { disassembleA64 } from "../targets/aarch64/disas.ts";
import { a64Builds } from "../scripts/build_guests_a64.ts";
import { installed } from "./util/installed.ts";
import { randomSimdInsn } from "./aarch64/random_simd.ts";
import { prng } from "./riscv/random_programs.ts";

const BIN = new URL("./guests/bin/aarch64/", import.meta.url).pathname;
const MOD = new URL("../mod.ts", import.meta.url).pathname;
const SYSROOT = "/usr/aarch64-linux-gnu";
const QEMU = installed("qemu-aarch64");
const OBJDUMP = "aarch64-linux-gnu-objdump";

/** Runs `cmd args` in a fresh directory holding `mkdirs`; its stdout and exit status. */
async function run(
  cmd: string,
  args: string[],
  mkdirs: string[] = [],
): Promise<{ status: number; stdout: string }> {
  const cwd = await Deno.makeTempDir();
  try {
    for (const d of mkdirs) await Deno.mkdir(`${cwd}/${d}`);
    const o = await new Deno.Command(cmd, { args, cwd, stdin: "null", stderr: "piped" }).output();
    return { status: o.code, stdout: new TextDecoder().decode(o.stdout) };
  } finally {
    await Deno.remove(cwd, { recursive: true });
  }
}

/** Guests also run under lockstep (both engines compared per TB): glibc, atomics, AdvSIMD, FP. */
const LOCKSTEPPED = [
  "hello.dynamic.O2",
  "crypto.O2",
  "strings.static.O2",
  "atomics.static.O2",
  "vec.O3",
  "fp.O2",
  "fpfast.O2",
];

for (const { name, args = [], mkdirs, notCompared } of a64Builds()) {
  if (notCompared) continue;
  const accels = LOCKSTEPPED.includes(name) ? ["jit", "interp", "lockstep"] : ["jit", "interp"];
  Deno.test({
    name: `aarch64: ${name} prints and exits as on qemu-aarch64, on ${accels.join(", ")}`,
    ignore: !QEMU,
    async fn() {
      const peer = await run("qemu-aarch64", ["-L", SYSROOT, BIN + name, ...args], mkdirs);
      const hint = `no sysroot at ${SYSROOT}? (apt-get install gcc-aarch64-linux-gnu)`;
      assert(peer.stdout.length > 0, `qemu-aarch64 printed nothing: ${hint}`);
      for (const accel of accels) {
        const emu = ["run", "-A", MOD, "user", "-accel", accel, BIN + name, ...args];
        const ours = await run(Deno.execPath(), emu, mkdirs);
        assertEquals(ours, peer, accel);
      }
    },
  });
}
Deno.test("aarch64: qemu-aarch64 is installed for the comparisons", { ignore: QEMU }, () => {
  console.warn("skipped: qemu-aarch64 is not installed (apt-get install qemu-user)");
});

Deno.test("aarch64: decode_tables.json is the parse of a64.decode.ts", () => {
  const committed = Deno.readTextFileSync(
    new URL("../targets/aarch64/decode_tables.json", import.meta.url),
  );
  assert.equal(committed, a64TablesJson(), "run `deno task decoders` to regenerate it");
});

const HAVE_OBJDUMP = installed(OBJDUMP);
/** The guests the disassembler check reads: glibc, the freestanding ones, the vectorised ones. */
const DISASSEMBLED = [
  "hello.static.O2",
  "hello.dynamic.O2",
  "alu.O2",
  "alu.O0",
  "alu.O3",
  "fp.O3",
  "vec.O3",
  "estimate.O2",
  "crypto.O2",
  "compute.static.O2",
];
Deno.test({
  name: "aarch64: every decoded instruction of the guests disassembles as objdump -M no-aliases",
  ignore: !HAVE_OBJDUMP,
  async fn() {
    let checked = 0;
    const wrong: string[] = [];
    for (const name of DISASSEMBLED) {
      const args = ["-d", "-M", "no-aliases", BIN + name];
      const out = new TextDecoder().decode(
        (await new Deno.Command(OBJDUMP, { args }).output()).stdout,
      );
      for (const m of out.matchAll(/^\s*([0-9a-f]+):\s+([0-9a-f]{8})\s+(.*)$/gm)) {
        const bits = parseInt(m[2], 16);
        if (!decodeA64(bits)) continue;
        // objdump's comments: `<symbol+offset>` after an address, `// b.any` after a condition.
        const want = m[3].replace(/\s*\/\/.*$/, "").replace(/ <[^>]*>/g, "").trim();
        const got = disassembleA64(bits, BigInt("0x" + m[1]));
        checked++;
        if (got !== want && wrong.length < 20) wrong.push(`${m[2]}: ${want} | ${got}`);
      }
    }
    assertEquals(wrong, []);
    assert(checked > 80000, `only ${checked} instructions checked`);
  },
});
Deno.test({
  name: "aarch64: random AdvSIMD and FP encodings disassemble as objdump -M no-aliases",
  ignore: !HAVE_OBJDUMP,
  async fn() {
    const rnd = prng(7);
    const words = Array.from({ length: 5000 }, () => randomSimdInsn(rnd));
    const file = await Deno.makeTempFile();
    try {
      const bytes = new Uint8Array(4 * words.length);
      words.forEach((w, i) => new DataView(bytes.buffer).setUint32(4 * i, w, true));
      await Deno.writeFile(file, bytes);
      const args = ["-D", "-b", "binary", "-m", "aarch64", "-M", "no-aliases", file];
      const out = new TextDecoder().decode(
        (await new Deno.Command(OBJDUMP, { args }).output()).stdout,
      );
      const wrong: string[] = [];
      for (const m of out.matchAll(/^\s*([0-9a-f]+):\s+([0-9a-f]{8})\s+(.*)$/gm)) {
        const want = m[3].replace(/\s*\/\/.*$/, "").trim();
        const got = disassembleA64(parseInt(m[2], 16), BigInt("0x" + m[1]));
        if (got !== want && wrong.length < 20) wrong.push(`${m[2]}: ${want} | ${got}`);
      }
      assertEquals(wrong, []);
    } finally {
      await Deno.remove(file);
    }
  },
});
Deno.test(
  "aarch64: objdump is installed for the disassembler check",
  { ignore: HAVE_OBJDUMP },
  () => {
    console.warn(
      `skipped: ${OBJDUMP} is not installed (apt-get install binutils-aarch64-linux-gnu)`,
    );
  },
);
