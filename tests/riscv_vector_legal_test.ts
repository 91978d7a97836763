// Vector register-group legality compared with qemu-riscv64 in the same run: narrowing
// destinations over the wide source, FP widening destinations over a source, FP reductions
// with vstart not 0. Each case is one instruction after a vsetivli; both engines must end as
// QEMU does (SIGILL, status 132, or a clean exit 0).
// SPDX-License-Identifier: GPL-3.0-or-later
import { deepStrictEqual as assertEquals } from "node:assert/strict";
import { createMachine } from "../mod.ts";
import { riscvElf } from "./util/elf_writer.ts";
import { installed } from "./util/installed.ts";

const CPU = "rv64,v=true,vlen=128,elen=64,vext_spec=v1.0";
const E16M1 = 0xcc8272d7, E16M2 = 0xcc9272d7, E32M1 = 0xcd0272d7; // vsetivli t0, 4, ...
const VSTART_1 = [0x00100313, 0x00831073]; // li t1, 1; csrw vstart, t1
const EXIT_0 = [0x00000513, 0x05d00893, 0x00000073]; // li a0, 0; li a7, 93; ecall

/** [name, the words before the exit] (from gcc 12 / binutils 2.40 with -march=rv64gcv). */
const CASES: [string, number[]][] = [
  ["vnsrl.wi v5, v4, 1 (vd in the source's high half)", [E16M1, 0xb240b2d7]],
  ["vnsrl.wi v4, v4, 1 (vd the source's first register)", [E16M1, 0xb240b257]],
  ["vnclip.wi v6, v4, 1 at LMUL 2", [E16M2, 0xbe40b357]],
  ["vfncvt.f.f.w v5, v4", [E16M1, 0x4a4a12d7]],
  ["vfncvt.f.f.w v4, v4", [E16M1, 0x4a4a1257]],
  ["vfwadd.vv v2, v2, v4 (vs2 in vd's low half)", [E16M1, 0xc2221157]],
  ["vfwadd.vv v2, v3, v4 (vs2 in vd's high half)", [E16M1, 0xc2321157]],
  ["vfwadd.wv v2, v2, v3", [E16M1, 0xd2219157]],
  ["vfwadd.vf v2, v2, ft0", [E16M1, 0xc2205157]],
  ["vfwcvt.f.f.v v2, v2", [E16M1, 0x4a261157]],
  ["vfwmacc.vv v2, v3, v2", [E16M1, 0xf2219157]],
  ["vfredusum.vs v1, v2, v3 with vstart 1", [E32M1, ...VSTART_1, 0x062190d7]],
];

function program(words: number[]): Uint8Array {
  const all = [...words, ...EXIT_0], code = new Uint8Array(all.length * 4);
  const view = new DataView(code.buffer);
  all.forEach((w, i) => view.setUint32(i * 4, w, true));
  return riscvElf(code, new Uint8Array(8));
}

async function onQemu(path: string): Promise<number> {
  const o = await new Deno.Command("qemu-riscv64", {
    args: ["-cpu", CPU, path],
    stdout: "null",
    stderr: "null",
  }).output();
  return o.signal === "SIGILL" ? 132 : o.code;
}

async function onDenemu(path: string, accel: "interp" | "jit"): Promise<number> {
  const m = await createMachine({ program: path, cpu: CPU, accel });
  const status = await m.runToExit();
  await m.close();
  return status;
}

const haveQemu = installed("qemu-riscv64");
Deno.test({
  name: "riscv V legality: both engines end each case as qemu-riscv64 does",
  ignore: !haveQemu,
  async fn() {
    const dir = await Deno.makeTempDir();
    try {
      const seen = new Set<number>();
      for (const [name, words] of CASES) {
        const path = `${dir}/case`;
        await Deno.writeFile(path, program(words), { mode: 0o755 });
        const peer = await onQemu(path);
        seen.add(peer);
        for (const accel of ["interp", "jit"] as const) {
          assertEquals(await onDenemu(path, accel), peer, `${name} (${accel})`);
        }
      }
      assertEquals([...seen].sort(), [0, 132]); // both outcomes are exercised
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});
Deno.test("riscv V legality: qemu-riscv64 is installed for the comparison", {
  ignore: haveQemu,
}, () => {
  console.warn("skipped: qemu-riscv64 is not installed (apt-get install qemu-user)");
});
