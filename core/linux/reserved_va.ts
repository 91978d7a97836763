/**
 * `emu user -R SIZE`, qemu-user 7.2's reserved_va: the guest's address space is `[0, SIZE)`. mmap
 * beyond fails with ENOMEM, and the stack, the trampoline page, PIE programs and mmap without a
 * hint go down from its top, where qemu-riscv64 and qemu-aarch64 put them.
 *
 * @module
 */

import { type ElfFile, ET_DYN } from "../elf.ts";
import { EmuError } from "../errors.ts";
import type { TargetArch } from "../target.ts";
import { BRK_RESERVE } from "./loader.ts";

/** The most the host leaves a guest: x86-64 and arm64 Linux give a process 47 bits. */
const HOST_SPACE = 1n << 47n;

/**
 * The address space `-R size` leaves the guest on `target`, undefined for none (no `-R` or
 * `-R 0`); throws qemu-user's errors for a size past the machine's or the host's room.
 *
 * @example
 * ```ts ignore
 * reservedSpace(target, 256n << 20n); // 268435456n
 * ```
 */
export function reservedSpace(target: TargetArch, size: bigint | undefined): bigint | undefined {
  if (!size) return undefined;
  if (size > (target.linux?.maxReservedVa ?? 1n << 48n)) {
    throw new EmuError("Reserved virtual address too big");
  }
  if (size >= HOST_SPACE) {
    throw new EmuError(
      `Unable to reserve 0x${size.toString(16)} bytes of virtual address space for use as guest ` +
        "address space",
      "reserve less using -R option",
    );
  }
  return size;
}

/**
 * Throws qemu-user's error when the program `name` (with the 32 MiB its break is given) does not
 * fit in `reserved` bytes of address space: an ET_EXEC up to its end, a PIE its span.
 */
export function requireReservedFit(elf: ElfFile, reserved: bigint, name: string): void {
  const loads = elf.loads;
  if (!loads.length) return;
  const lo = loads[0].vaddr - BigInt(loads[0].offset);
  const hi = loads.reduce((m, s) => s.vaddr + s.memsz > m ? s.vaddr + s.memsz : m, 0n);
  const need = hi - (elf.type === ET_DYN ? lo : 0n) + BRK_RESERVE;
  if (need > reserved) {
    throw new EmuError(
      `${name}: requires more than reserved virtual address space ` +
        `(0x${need.toString(16)} > 0x${reserved.toString(16)})`,
    );
  }
}
