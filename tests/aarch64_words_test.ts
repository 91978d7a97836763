// Random 32-bit words, each run as one A64 instruction by the guest tests/guests/src/a64/words.c
// (a SIGILL, SIGSEGV, SIGBUS and SIGTRAP handler folds the registers into a hash), on Denemu and
// on qemu-aarch64 in the same run: over the whole encoding space, in the crypto groups (AES,
// SHA-1/SHA-256, the SHA-512/SHA-3/SM3/SM4 space, PMULL), in the AdvSIMD structure loads and
// stores, FP data processing and conversions (the guest varies FPCR's rounding mode, FZ and DN),
// AdvSIMD by element. Each word runs once, so on the JIT's first tier (interp32); the reference interpreter
// takes minutes on the guest's glibc and is left out. Denemu's CPU sits between qemu-aarch64's
// cortex-a57 and max (it has LSE, RDM, RCpc but not SHA-512, SHA-3, SM3, SM4, SVE): a word
// cortex-a57 runs must give its line, a word max rejects must be a SIGILL, and any other word
// either a SIGILL or max's line. A word that aborts qemu-aarch64 max (7.2 asserts on some fp16
// encodings) is left to cortex-a57. WORDS_SEED=N draws other words.
// SPDX-License-Identifier: GPL-3.0-or-later
import { deepStrictEqual as assertEquals } from "node:assert/strict";
import { installed } from "./util/installed.ts";

const GUEST = new URL("./guests/bin/aarch64/words.static.O2", import.meta.url).pathname;
const MOD = new URL("../mod.ts", import.meta.url).pathname;
const SEED = Number(Deno.env.get("WORDS_SEED") ?? 1);
const QEMU = installed("qemu-aarch64");
const SIGILL = "4";
const NOP = 0xd503201f;

/** The groups drawn: fixed bits, the bits drawn at random, and how many words. */
const GROUPS: [string, number, number, number][] = [
  ["any", 0, 0xffffffff, 3000],
  ["AES and two-register misc", 0x4e280800, 0x00dff3ff, 500],
  ["SHA three-register and scalar", 0x5e000000, 0x00ffffff, 500],
  ["SHA two-register", 0x5e280800, 0x00d7f3ff, 500],
  ["SHA-512, SHA-3, SM3, SM4", 0xce000000, 0x00ffffff, 1000],
  ["PMULL", 0x0e20e000, 0x40df03ff, 500],
  ["AdvSIMD structure loads and stores", 0x0c000000, 0x41ffffff, 500],
  ["AdvSIMD scalar shifts and fixed-point conversions", 0x5f000400, 0x207ffbff, 500],
  ["FP data processing, 2 and 3 sources", 0x1e000000, 0x01dfffff, 300],
  ["FP and integer conversions", 0x1e200000, 0x80df03ff, 300],
  ["AdvSIMD by element", 0x0f000000, 0x70fff7ff, 300],
];

/**
 * Words that Denemu got wrong: sttrb, ldtrsb (unprivileged), ldarb, stlr and stlxrh with Rs or
 * Rt2 not 31, ldpsw non-temporal and prfm pre-index (unallocated), ldp x0, x0, st4/ld4/ld3 of
 * one lane (ld3 ran as ld1), ldxp and stxp misaligned, smulh with Ra not 31, scalar ucvtf with
 * fraction bits; suqadd and usqadd (vector and scalar), ins with imm5 0 (an internal error),
 * fcmp and fcmpe with zero and Rm not 0 (which qemu-aarch64 ignores), mrs of the ID registers
 * of CRm 2 (AArch32's, which qemu-aarch64 traps) and 11 (not an ID register), ID_AA64DFR0_EL1
 * and ID_AA64MMFR0_EL1 (their hidden fields read as the safe values), msr fpcr keeping FZ16,
 * fcvtxn (vector and scalar), mrs of MDCCSR_EL0 and PMUSERENR_EL0.
 */
const FOUND = [
  0x380208a9,
  0x38c0c8fd,
  0x08d6af57,
  0xc89da11b,
  0x4806aa81,
  0x68457e41,
  0xf885ce63,
  0xa8ef8120,
  0x0da3625d,
  0x4dfaa797,
  0x4dc232a6,
  0xc87868fa,
  0xc83c6f68,
  0x9b575bd1,
  0x7f5ae56a,
  0x4e203820,
  0x7ee03820,
  0x6e603820,
  0x7e203820,
  0x6e003417,
  0x1e232008,
  0x1e222018,
  0xd5380b34,
  0xd53802b5,
  0xd5380515,
  0xd5380715,
  0xd51b4400,
  0x2e616afc,
  0x7e616820,
  0xd5330102,
  0xd53b9e03,
];

/** The words of seed `seed` (xorshift32), FOUND first. */
function words(seed: number): Uint32Array {
  let r = seed * 2654435761 >>> 0 || 1;
  const next = () => (r ^= r << 13, r ^= r >>> 17, r ^= r << 5, r >>> 0);
  const out = [...FOUND];
  for (const [, fixed, random, count] of GROUPS) {
    for (let i = 0; i < count; i++) out.push((fixed | (next() & random)) >>> 0);
  }
  return Uint32Array.from(out);
}

/** Runs `cmd` with a time limit; its stdout's lines and whether it exited 0. */
async function lines(cmd: string, args: string[]): Promise<{ lines: string[]; ok: boolean }> {
  const r = await new Deno.Command(cmd, {
    args,
    stdout: "piped",
    stderr: "null",
    signal: AbortSignal.timeout(120_000),
  }).output();
  return { lines: new TextDecoder().decode(r.stdout).trimEnd().split("\n"), ok: r.success };
}

/** qemu-aarch64 -cpu `cpu`'s line of each word; "abort" where the peer itself aborts. */
async function qemuLines(cpu: string, file: string, all: Uint32Array): Promise<string[]> {
  const out: string[] = [];
  while (out.length < all.length) {
    // After an abort the words already run become nops, so that each word keeps its index (the
    // guest's registers before a word are drawn from it).
    await Deno.writeFile(file, new Uint8Array(all.map((w, i) => i < out.length ? NOP : w).buffer));
    const r = await lines("qemu-aarch64", ["-cpu", cpu, GUEST, file]);
    out.push(...r.lines.slice(out.length).filter((l) => l));
    if (!r.ok) out.push("abort");
  }
  return out;
}

/** The words whose Denemu line `emu` breaks the rule above, with the peers' lines. */
function wrong(all: Uint32Array, emu: string[], a57: string[], max: string[]): string[] {
  const bad: string[] = [];
  all.forEach((_, i) => {
    const e = emu[i],
      ok = a57[i].split(" ")[1] !== SIGILL ? e === a57[i] : max[i] === "abort" ||
        (max[i].split(" ")[1] === SIGILL
          ? e?.split(" ")[1] === SIGILL
          : e?.split(" ")[1] === SIGILL || e === max[i]);
    if (!ok) bad.push(`Denemu ${e}, cortex-a57 ${a57[i]}, max ${max[i]}`);
  });
  return bad;
}

Deno.test({
  name: "aarch64: random words on Denemu give qemu-aarch64's SIGILL or registers",
  ignore: !QEMU,
  async fn() {
    const dir = await Deno.makeTempDir({ prefix: "denemu-a64-words-" });
    try {
      const all = words(SEED), file = `${dir}/words`;
      const a57 = await qemuLines("cortex-a57", file, all);
      const max = await qemuLines("max", file, all);
      await Deno.writeFile(file, new Uint8Array(all.buffer));
      const emu = await lines(Deno.execPath(), ["run", "-A", MOD, "user", GUEST, file]);
      assertEquals(emu.ok, true, "Denemu exits 0");
      assertEquals(wrong(all, emu.lines, a57, max), []);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});
Deno.test("aarch64 random words: qemu-aarch64 is installed", { ignore: QEMU }, () => {
  console.warn("skipped: qemu-aarch64 is not installed (apt-get install qemu-user)");
});
