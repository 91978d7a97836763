// DUP (element, scalar), `mov d1, v0.d[1]`: the element alone, the rest of the register zeroed,
// as on qemu-aarch64 (it was an undefined instruction: Debian's arm64 `stat` died of SIGILL).
// SPDX-License-Identifier: GPL-3.0-or-later
import { aarch64Elf } from "./util/elf_writer.ts";
import { assertExitsAsQemu } from "./util/exit_as_qemu.ts";

const CODE = [
  0xd2a00041, // movz x1, #2, lsl #16 (the data at 0x20000)
  0x3dc00020, // ldr q0, [x1]
  0x3dc00021, // ldr q1, [x1] (its upper half is not zero)
  0x5e180401, // mov d1, v0.d[1]
  0x9e660020, // fmov x0, d1: 0x542
  0x9eae0022, // fmov x2, v1.d[1]: 0 once the scalar move zeroed it
  0x5e130403, // mov b3, v0.b[9]: 5
  0x9e660063, // fmov x3, d3
  0x8b020000, // add x0, x0, x2
  0x8b030000, // add x0, x0, x3
  0xd2800ba8, // movz x8, #93 (exit)
  0xd4000001, // svc #0
];

Deno.test("aarch64: dup (element, scalar) moves one element and zeroes the rest, as qemu-aarch64", async () => {
  const code = new Uint8Array(CODE.length * 4), data = new Uint8Array(16);
  CODE.forEach((w, i) => new DataView(code.buffer).setUint32(i * 4, w, true));
  new DataView(data.buffer).setBigUint64(0, 0x1111111111111111n, true);
  new DataView(data.buffer).setBigUint64(8, 0x542n, true);
  await assertExitsAsQemu(aarch64Elf(code, data), (0x542 + 5) & 0xff, { qemu: "qemu-aarch64" });
});
