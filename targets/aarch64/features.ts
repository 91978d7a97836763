/**
 * The CPU features Denemu's A64 implements, said once and shown three ways, as Linux shows them
 * to a user program: AT_HWCAP and AT_HWCAP2 (glibc's ifuncs choose routines by them), the ID
 * registers that `mrs` reads (Linux traps the reads and emulates them: HWCAP_CPUID), and the
 * Features line of `/proc/cpuinfo`. The names, bits and ID register fields are those of Linux's
 * `arch/arm64/include/uapi/asm/hwcap.h` and `arch/arm64/kernel/cpufeature.c`.
 *
 * A feature is claimed only when all of its instructions work: FP and AdvSIMD (no half
 * precision, so neither FPHP nor ASIMDHP), the Cryptographic Extension of a Cortex-A57 (whose
 * MIDR_EL1 Denemu reports: AES, PMULL, SHA1, SHA2; `simd_crypto.ts`), CRC32, the LSE atomics,
 * ARMv8.1's sqrdmlah and sqrdmlsh (ASIMDRDM), ARMv8.3's ldapr (LRCPC), the speculation barrier
 * sb (a nop), DC CVAP and DC CVADP (cache maintenance is a nop without caches), the ID register
 * emulation, and the event stream (WFE is a nop, as Linux enables the stream). Not ARMv8.2's
 * SHA512, SHA3, SM3 or SM4, which qemu-aarch64's default CPU has.
 *
 * @module
 */

/** Linux's name of each AT_HWCAP bit (bit 0 first), as `/proc/cpuinfo` prints them. */
const HWCAP_NAMES = [
  "fp",
  "asimd",
  "evtstrm",
  "aes",
  "pmull",
  "sha1",
  "sha2",
  "crc32",
  "atomics",
  "fphp",
  "asimdhp",
  "cpuid",
  "asimdrdm",
  "jscvt",
  "fcma",
  "lrcpc",
  "dcpop",
  "sha3",
  "sm3",
  "sm4",
  "asimddp",
  "sha512",
  "sve",
  "asimdfhm",
  "dit",
  "uscat",
  "ilrcpc",
  "flagm",
  "ssbs",
  "sb",
] as const;
/** Linux's name of each AT_HWCAP2 bit that Denemu can claim (bit 0 first). */
const HWCAP2_NAMES = ["dcpodp"] as const;

/** What Denemu claims, by Linux's names. */
const CLAIMED: readonly string[] = [
  "fp",
  "asimd",
  "evtstrm",
  "aes",
  "pmull",
  "sha1",
  "sha2",
  "crc32",
  "atomics",
  "cpuid",
  "asimdrdm",
  "lrcpc",
  "dcpop",
  "sb",
  "dcpodp",
];

function bits(names: readonly string[]): bigint {
  return names.reduce((v, n, i) => (CLAIMED.includes(n) ? v | (1n << BigInt(i)) : v), 0n);
}

/**
 * AT_HWCAP: FP, ASIMD, EVTSTRM, AES, PMULL, SHA1, SHA2, CRC32, ATOMICS, CPUID, ASIMDRDM, LRCPC,
 * DCPOP, SB.
 */
export const A64_HWCAP = bits(HWCAP_NAMES);
/** AT_HWCAP2: DCPODP. */
export const A64_HWCAP2 = bits(HWCAP2_NAMES);

/** The 15-bit `sysreg` field of mrs/msr for (op0, op1, CRn, CRm, op2). */
export const sysreg = (op0: number, op1: number, crn: number, crm: number, op2: number) =>
  ((op0 - 2) << 14) | (op1 << 11) | (crn << 7) | (crm << 3) | op2;

/** MIDR_EL1 of a Cortex-A57 r1p0 (implementer 0x41, variant 1, part 0xd07). */
export const A64_MIDR = 0x411fd070n;

/**
 * The ID registers of CRm 4 to 7 that read non-zero, with the fields Linux lets user mode see:
 * ID_AA64PFR0_EL1 EL0 and EL1 AArch64 only (1), FP and AdvSIMD implemented without half
 * precision (0); ID_AA64DFR0_EL1 and ID_AA64MMFR0_EL1 the safe values of their hidden fields
 * (DebugVer 6; TGran4 and TGran64 not implemented, 0xf); ID_AA64ISAR0_EL1 AES 2 (with PMULL), SHA1 1, SHA2 1, CRC32 1, Atomic 2 (LSE),
 * RDM 1; ID_AA64ISAR1_EL1 DPB 2 (DC CVAP, DC CVADP), LRCPC 1, SB 1.
 */
const ID_REGS = new Map<number, bigint>([
  [sysreg(3, 0, 0, 4, 0), 0x11n],
  [sysreg(3, 0, 0, 5, 0), 6n],
  [sysreg(3, 0, 0, 7, 0), 0xff000000n],
  [sysreg(3, 0, 0, 6, 0), (1n << 28n) | (2n << 20n) | (1n << 16n) | 0x1120n],
  [sysreg(3, 0, 0, 6, 1), (1n << 36n) | (1n << 20n) | 2n],
]);

/** CRm 0's registers Linux emulates: MIDR_EL1, MPIDR_EL1 (its safe value), REVIDR_EL1. */
const CRM0_REGS = new Map<number, bigint>([
  [sysreg(3, 0, 0, 0, 0), A64_MIDR],
  [sysreg(3, 0, 0, 0, 5), 0x80000000n],
  [sysreg(3, 0, 0, 0, 6), 0n],
]);

/**
 * What `mrs` of the ID register `r` reads in user mode, as Linux emulates it, or null when the
 * read traps (SIGILL): the registers of op0 3, op1 0, CRn 0 with CRm 0 (three of them) or CRm 4
 * to 7 (every one, unallocated ones read as zero). Linux also emulates CRm 2 and 3 (the AArch32
 * ID registers); qemu-aarch64 traps them, and so does Denemu, as the peer it is checked against.
 *
 * @example
 * ```ts
 * import { idRegister, sysreg } from "./features.ts";
 * console.log(idRegister(sysreg(3, 0, 0, 6, 0))); // 270602528n (ID_AA64ISAR0_EL1: AES, SHA1, SHA2, CRC32, LSE, RDM)
 * ```
 */
export function idRegister(r: number): bigint | null {
  if (r >> 7 !== sysreg(3, 0, 0, 0, 0) >> 7) return null;
  const crm = (r >> 3) & 15;
  if (crm === 0) return CRM0_REGS.get(r) ?? null;
  return crm >= 4 && crm <= 7 ? ID_REGS.get(r) ?? 0n : null;
}

/**
 * `/proc/cpuinfo` as arm64 Linux prints it for one CPU with these features and MIDR_EL1
 * (BogoMIPS from the 1 GHz counter, as Linux computes it from the timer frequency).
 *
 * @example
 * ```ts
 * import { a64Cpuinfo } from "./features.ts";
 * console.log(a64Cpuinfo().split("\n")[2]); // "Features\t: fp asimd evtstrm aes pmull sha1 sha2 crc32 atomics cpuid asimdrdm lrcpc dcpop sb dcpodp"
 * ```
 */
export function a64Cpuinfo(): string {
  const features = [...HWCAP_NAMES, ...HWCAP2_NAMES].filter((n) => CLAIMED.includes(n));
  const field = (shift: bigint, mask: bigint) => (A64_MIDR >> shift) & mask;
  return `processor\t: 0\nBogoMIPS\t: 2000.00\nFeatures\t: ${features.join(" ")}\n` +
    `CPU implementer\t: 0x${field(24n, 0xffn).toString(16)}\nCPU architecture: 8\n` +
    `CPU variant\t: 0x${field(20n, 0xfn).toString(16)}\n` +
    `CPU part\t: 0x${field(4n, 0xfffn).toString(16).padStart(3, "0")}\n` +
    `CPU revision\t: ${field(0n, 0xfn)}\n\n`;
}
