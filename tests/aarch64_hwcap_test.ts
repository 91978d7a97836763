// The aarch64 CPU features a program sees: AT_HWCAP and AT_HWCAP2, the ID registers `mrs` reads
// (Linux emulates them) and /proc/cpuinfo's Features line agree with one another, on the JIT and
// the interpreter. Each bit set must have its ID register field, as Linux derives the bits from
// the fields (`arch/arm64/kernel/cpufeature.c`); the same check holds on qemu-aarch64's CPUs,
// which tests the check. glibc's routines, which its ifuncs pick by these bits, are compared
// with qemu-aarch64's by tests/aarch64_guests_test.ts (hwcap.static.O2).
// SPDX-License-Identifier: GPL-3.0-or-later
import assert, { deepStrictEqual as assertEquals } from "node:assert/strict";
import { A64_HWCAP, A64_HWCAP2 } from "../targets/aarch64/features.ts";
import { installed } from "./util/installed.ts";
import { runGuest } from "./util/guest_runs.ts";

const GUEST = "aarch64/hwcap.static.O2";
const QEMU = installed("qemu-aarch64");

/** What `hwcap.static.O2 features` printed: "name hex" lines, and the Features line. */
function parse(stdout: string): { regs: Map<string, bigint>; features: string[] | null } {
  const regs = new Map<string, bigint>();
  let features: string[] | null = null;
  for (const line of stdout.trim().split("\n")) {
    const f = line.match(/^Features\s*:\s*(.*)$/);
    if (f) features = f[1].trim().split(/\s+/);
    else {
      const [name, hex] = line.split(" ");
      regs.set(name, BigInt("0x" + hex));
    }
  }
  return { regs, features };
}

/**
 * Linux's HWCAP bits that ID register fields give: [name, AT_HWCAP word, bit, register, lowest
 * bit of the field, least value]. FP and AdvSIMD are signed fields: 0xf is "not implemented".
 */
const FROM_FIELDS: [string, 1 | 2, number, string, number, number][] = [
  ["fp", 1, 0, "ID_AA64PFR0_EL1", 16, 0],
  ["asimd", 1, 1, "ID_AA64PFR0_EL1", 20, 0],
  ["aes", 1, 3, "ID_AA64ISAR0_EL1", 4, 1],
  ["pmull", 1, 4, "ID_AA64ISAR0_EL1", 4, 2],
  ["sha1", 1, 5, "ID_AA64ISAR0_EL1", 8, 1],
  ["sha2", 1, 6, "ID_AA64ISAR0_EL1", 12, 1],
  ["crc32", 1, 7, "ID_AA64ISAR0_EL1", 16, 1],
  ["atomics", 1, 8, "ID_AA64ISAR0_EL1", 20, 2],
  ["fphp", 1, 9, "ID_AA64PFR0_EL1", 16, 1],
  ["asimdhp", 1, 10, "ID_AA64PFR0_EL1", 20, 1],
  ["asimdrdm", 1, 12, "ID_AA64ISAR0_EL1", 28, 1],
  ["jscvt", 1, 13, "ID_AA64ISAR1_EL1", 12, 1],
  ["fcma", 1, 14, "ID_AA64ISAR1_EL1", 16, 1],
  ["lrcpc", 1, 15, "ID_AA64ISAR1_EL1", 20, 1],
  ["dcpop", 1, 16, "ID_AA64ISAR1_EL1", 0, 1],
  ["sha3", 1, 17, "ID_AA64ISAR0_EL1", 32, 1],
  ["sm3", 1, 18, "ID_AA64ISAR0_EL1", 36, 1],
  ["sm4", 1, 19, "ID_AA64ISAR0_EL1", 40, 1],
  ["asimddp", 1, 20, "ID_AA64ISAR0_EL1", 44, 1],
  ["sha512", 1, 21, "ID_AA64ISAR0_EL1", 12, 2],
  ["sve", 1, 22, "ID_AA64PFR0_EL1", 32, 1],
  ["asimdfhm", 1, 23, "ID_AA64ISAR0_EL1", 48, 1],
  ["dit", 1, 24, "ID_AA64PFR0_EL1", 48, 1],
  ["uscat", 1, 25, "ID_AA64MMFR2_EL1", 32, 1],
  ["ilrcpc", 1, 26, "ID_AA64ISAR1_EL1", 20, 2],
  ["flagm", 1, 27, "ID_AA64ISAR0_EL1", 52, 1],
  ["ssbs", 1, 28, "ID_AA64PFR1_EL1", 4, 2],
  ["sb", 1, 29, "ID_AA64ISAR1_EL1", 36, 1],
  ["dcpodp", 2, 0, "ID_AA64ISAR1_EL1", 0, 2],
  ["flagm2", 2, 7, "ID_AA64ISAR0_EL1", 52, 2],
  ["frint", 2, 8, "ID_AA64ISAR1_EL1", 32, 1],
];
/** The bits no ID register field gives: the event stream (Linux's timer) and CPUID itself. */
const NOT_FROM_FIELDS: [string, 1 | 2, number][] = [["evtstrm", 1, 2], ["cpuid", 1, 11]];

/** The bits set in AT_HWCAP/AT_HWCAP2 whose field is too low, and the fields no bit claims. */
function compare(regs: Map<string, bigint>): { unbacked: string[]; unclaimed: string[] } {
  const unbacked: string[] = [], unclaimed: string[] = [];
  for (const [name, word, bit, reg, shift, least] of FROM_FIELDS) {
    const raw = Number((regs.get(reg)! >> BigInt(shift)) & 15n);
    const field = reg === "ID_AA64PFR0_EL1" && shift < 24 && raw >= 8 ? raw - 16 : raw;
    const claimed = ((regs.get(word === 1 ? "hwcap" : "hwcap2")! >> BigInt(bit)) & 1n) === 1n;
    if (claimed && field < least) unbacked.push(name);
    if (!claimed && field >= least) unclaimed.push(name);
  }
  return { unbacked, unclaimed };
}

/** The names of the bits set, in /proc/cpuinfo's order. */
function names(hwcap: bigint, hwcap2: bigint): string[] {
  const all = [...FROM_FIELDS, ...NOT_FROM_FIELDS].map(([n, w, b]) => [n, w, b] as const);
  all.sort((x, y) => x[1] - y[1] || x[2] - y[2]);
  return all.filter(([, w, b]) => (((w === 1 ? hwcap : hwcap2) >> BigInt(b)) & 1n) === 1n)
    .map(([n]) => n);
}

function bitCount(v: bigint): number {
  return v.toString(2).replaceAll("0", "").length;
}

for (const accel of ["jit", "interp"] as const) {
  Deno.test(`aarch64 ${accel}: AT_HWCAP, the ID registers and /proc/cpuinfo agree`, async () => {
    const run = await runGuest(GUEST, { args: ["features"], accel });
    assertEquals(run.status, 0);
    const { regs, features } = parse(run.stdout);
    assertEquals([regs.get("hwcap"), regs.get("hwcap2")], [A64_HWCAP, A64_HWCAP2]);
    assertEquals(compare(regs), { unbacked: [], unclaimed: [] });
    assertEquals(features, names(A64_HWCAP, A64_HWCAP2), "the Features line names the bits");
    // Every bit claimed is one this test knows: it had its check above, or is evtstrm or cpuid.
    assertEquals(bitCount(A64_HWCAP) + bitCount(A64_HWCAP2), features!.length);
    assertEquals(regs.get("MIDR_EL1"), 0x411fd070n);
    assertEquals([regs.get("MPIDR_EL1"), regs.get("REVIDR_EL1")], [0x80000000n, 0n]);
    assertEquals(regs.get("unallocated"), 0n);
    assert(features!.includes("cpuid") && features!.includes("fp"));
  });
}

Deno.test({
  name: "aarch64: qemu-aarch64's CPUs pass the same check (each AT_HWCAP bit has its ID field)",
  ignore: !QEMU,
  async fn() {
    for (const cpu of ["max", "cortex-a57", "cortex-a72"]) {
      const args = ["-cpu", cpu, new URL(`./guests/bin/${GUEST}`, import.meta.url).pathname];
      const o = await new Deno.Command("qemu-aarch64", { args: [...args, "features"] }).output();
      assert(o.success, cpu);
      const { regs } = parse(new TextDecoder().decode(o.stdout));
      assertEquals(compare(regs).unbacked, [], cpu);
      // qemu-aarch64 7.2 leaves a few present features unclaimed (DIT, SSBS); the rest it claims.
      assert(compare(regs).unclaimed.every((n) => ["dit", "ssbs"].includes(n)), cpu);
    }
  },
});
Deno.test("aarch64: qemu-aarch64 is installed for the feature check", { ignore: QEMU }, () => {
  console.warn("skipped: qemu-aarch64 is not installed (apt-get install qemu-user)");
});
