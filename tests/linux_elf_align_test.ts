// A PT_LOAD p_align that is not a power of two is ignored, as Linux's binfmt_elf ignores it
// (maximum_alignment skips it) and qemu-riscv64 loads the program: it was refused.
// SPDX-License-Identifier: GPL-3.0-or-later
import { PT_LOAD } from "../core/elf.ts";
import { assertExitsAsQemu } from "./util/exit_as_qemu.ts";

/** `elf` (ELF64, little-endian) with every PT_LOAD's p_align set to `align`. */
function withLoadAlign(elf: Uint8Array, align: bigint): Uint8Array {
  const out = elf.slice(), v = new DataView(out.buffer);
  const phoff = Number(v.getBigUint64(0x20, true));
  const size = v.getUint16(0x36, true), count = v.getUint16(0x38, true);
  for (let i = 0; i < count; i++) {
    const ph = phoff + i * size;
    if (v.getUint32(ph, true) === PT_LOAD) v.setBigUint64(ph + 48, align, true);
  }
  return out;
}

Deno.test("emu user: a static PIE whose p_align is 0x3000 loads and runs, as on qemu-riscv64", async () => {
  const pie = Deno.readFileSync(new URL("guests/bin/exit42.staticpie.O2", import.meta.url));
  await assertExitsAsQemu(withLoadAlign(pie, 0x3000n), 42);
});
