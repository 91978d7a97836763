// Writes a minimal static 64-bit Linux ELF (riscv64 or aarch64): a code segment (R+X) at
// 0x10000 and a data segment (R+W) at 0x20000, entry at the start of the code.

const CODE_VADDR = 0x10000n;
/** Where the data segment is mapped. */
export const DATA_VADDR = 0x20000n;

/** Builds the riscv64 ELF file bytes for `code` and `data`. */
export function riscvElf(code: Uint8Array, data: Uint8Array): Uint8Array {
  return staticElf(code, data, 243, 0x5); // EM_RISCV; e_flags: RVC | double-float ABI
}

/** Builds the aarch64 ELF file bytes for `code` and `data`. */
export function aarch64Elf(code: Uint8Array, data: Uint8Array): Uint8Array {
  return staticElf(code, data, 183, 0); // EM_AARCH64
}

function staticElf(code: Uint8Array, data: Uint8Array, machine: number, flags: number) {
  const codeOff = 0x1000, dataOff = codeOff + Math.ceil(code.length / 0x1000) * 0x1000;
  const out = new Uint8Array(dataOff + data.length);
  const dv = new DataView(out.buffer);
  out.set([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1, 0]); // ELF64, little-endian, version 1, SYSV
  dv.setUint16(16, 2, true); // ET_EXEC
  dv.setUint16(18, machine, true);
  dv.setUint32(20, 1, true);
  dv.setBigUint64(24, CODE_VADDR, true); // entry
  dv.setBigUint64(32, 64n, true); // phoff
  dv.setUint32(48, flags, true);
  dv.setUint16(52, 64, true); // ehsize
  dv.setUint16(54, 56, true); // phentsize
  dv.setUint16(56, 2, true); // phnum
  const ph = (i: number, flags: number, off: number, vaddr: bigint, size: number) => {
    const at = 64 + 56 * i;
    dv.setUint32(at, 1, true); // PT_LOAD
    dv.setUint32(at + 4, flags, true);
    dv.setBigUint64(at + 8, BigInt(off), true);
    dv.setBigUint64(at + 16, vaddr, true);
    dv.setBigUint64(at + 24, vaddr, true);
    dv.setBigUint64(at + 32, BigInt(size), true);
    dv.setBigUint64(at + 40, BigInt(size), true);
    dv.setBigUint64(at + 48, 0x1000n, true);
  };
  ph(0, 5, codeOff, CODE_VADDR, code.length);
  ph(1, 6, dataOff, DATA_VADDR, data.length);
  out.set(code, codeOff);
  out.set(data, dataOff);
  return out;
}
