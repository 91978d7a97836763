/**
 * `-d in_asm` in both modes: the guest code of each block as it is
 * translated, in QEMU's layout (a separator, `IN:` with the function's
 * symbol, then one line per instruction).
 *
 * @module
 */

import type { CpuCore } from "../cpu_core.ts";
import type { TargetArch } from "../target.ts";
import type { TranslationBlock } from "../tb.ts";

/**
 * The `-d in_asm` text of `tb`; `symbolAt` names the function it is in, as QEMU's logs do
 * (`ModuleList.logSymbolAt`).
 *
 * @example
 * ```ts ignore
 * log(formatInAsm(tb, cpu.target, (pc) => m.modules.logSymbolAt(pc)));
 * ```
 */
export function formatInAsm(
  tb: TranslationBlock,
  target: TargetArch,
  symbolAt: (pc: bigint) => string | undefined,
  system = false,
): string {
  const lines = tb.insns.map((i) => formatInsn(target, i.pc, i.bits, i.size));
  // qemu-system-riscv64's line: the privilege the block runs at (TB flags' low bits), V off
  if (system) lines.unshift(`Priv: ${tb.flags & 3}; Virt: 0`);
  return `----------------\nIN: ${symbolAt(tb.pc) ?? ""}\n${lines.join("\n")}\n`;
}

/**
 * One instruction as QEMU's disassembly shows it (`-d in_asm`, the monitor's `x/i`).
 *
 * @example
 * ```ts ignore
 * formatInsn(cpu.target, 0x80000000n, 0x00015117, 4);
 * // "0x0000000080000000:  00015117          auipc ..."
 * ```
 */
export function formatInsn(target: TargetArch, pc: bigint, bits: number, size: number): string {
  return `0x${pc.toString(16).padStart(16, "0")}:  ${
    bits.toString(16).padStart(size * 2, "0").padEnd(8)
  }          ${target.disassemble(bits, size, pc)}`;
}

/**
 * Logs every block `cpu` translates from now on (those whose first address passes `filter`),
 * through `write` (a hart's: `system`).
 */
export function logInAsm(
  cpu: CpuCore,
  symbolAt: (pc: bigint) => string | undefined,
  write: (text: string) => void,
  system = false,
  filter: (pc: bigint) => boolean = () => true,
): void {
  // The rest of a block that an instruction budget cut is logged with its whole block.
  cpu.tbs.observers.push({
    onBlock: (tb) =>
      tb.part || !filter(tb.pc) || write(formatInAsm(tb, cpu.target, symbolAt, system)),
  });
}
