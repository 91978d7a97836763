// A program whose standard input is a regular file (`prog < file`) seeks and preads it, as under
// qemu-riscv64, whose guest gets the host's descriptor; from a pipe both fail with ESPIPE.
// SPDX-License-Identifier: GPL-3.0-or-later
import assert from "node:assert/strict";
import { A, encode, X } from "./riscv/asm.ts";
import { riscvElf } from "./util/elf_writer.ts";
import { which } from "../scripts/build_guests.ts";

const { a0, a1, a2, a3, a7, s0, s1 } = X;
const SYS = { lseek: 62, read: 63, write: 64, pread64: 67, pwrite64: 68, exit: 93 };

/** `nr(a0, buffer at 0x20000 + at, a2, a3)`. */
const call = (nr: number, fd: number, at: number, a2v: number, a3v = 0) => [
  A.addi(a0, 0, fd),
  A.lui(a1, 0x20),
  A.addi(a1, a1, at),
  A.addi(a2, 0, a2v),
  A.addi(a3, 0, a3v),
  A.addi(a7, 0, nr),
  A.ecall,
];

/**
 * Reads 4 bytes of stdin, seeks it to 10 (s1: the result), reads 4 more, preads 2 at offset 1
 * (s0: the result), writes the 10 bytes and exits with `s0 * 16 + s1` (42 when all worked).
 */
const PROGRAM = [
  ...call(SYS.read, 0, 0, 4),
  A.addi(a0, 0, 0),
  A.addi(a1, 0, 10),
  A.addi(a2, 0, 0),
  A.addi(a7, 0, SYS.lseek),
  A.ecall,
  A.addi(s1, a0, 0),
  ...call(SYS.read, 0, 4, 4),
  ...call(SYS.pread64, 0, 8, 2, 1),
  A.addi(s0, a0, 0),
  ...call(SYS.write, 1, 0, 10),
  A.slli(a0, s0, 4),
  A.op(0, 0, a0, a0, s1),
  A.addi(a7, 0, SYS.exit),
  A.ecall,
];

/** Runs `cmd` (a shell command line) in `dir`: its exit status and stdout. */
async function sh(cmd: string, dir: string): Promise<[number, string]> {
  const out = await new Deno.Command("sh", { args: ["-c", cmd], cwd: dir, stderr: "inherit" })
    .output();
  return [out.code, new TextDecoder().decode(out.stdout)];
}

Deno.test("emu user: stdin from a regular file seeks and preads as under qemu-riscv64", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await Deno.writeFile(`${dir}/prog`, riscvElf(encode(PROGRAM), new Uint8Array(0x1000)), {
      mode: 0o755,
    });
    await Deno.writeTextFile(`${dir}/in`, "0123456789abcdef");
    const emu = `"${Deno.execPath()}" run -A "${Deno.cwd()}/mod.ts" user prog`;
    assert.deepEqual(await sh(`${emu} < in`, dir), [42, "0123abcd12"]);
    // a pipe: lseek and pread fail with ESPIPE (-29): (-29 * 16 - 29) & 0xff = 19
    assert.deepEqual(await sh(`cat in | ${emu}`, dir), [19, "01234567\0\0"]);
    if (await which("qemu-riscv64")) {
      assert.deepEqual(await sh("qemu-riscv64 prog < in", dir), [42, "0123abcd12"]);
      assert.deepEqual(await sh("cat in | qemu-riscv64 prog", dir), [19, "01234567\0\0"]);
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

/** lseek(`fd`, `offset`, `whence`) into `rd`. */
const lseek = (rd: number, fd: number, offset: number, whence: number) => [
  A.addi(a0, 0, fd),
  A.addi(a1, 0, offset),
  A.addi(a2, 0, whence),
  A.addi(a7, 0, SYS.lseek),
  A.ecall,
  A.addi(rd, a0, 0),
];

/**
 * Writes "abcdef" to stdout, asks where stdout stands (s1), seeks it to 2 (s0), writes "XY"
 * there, and exits with `s1 * 16 + s0`: 98, and the file holds "abXYef", when stdout is a
 * regular file.
 */
const STDOUT_PROGRAM = [
  ...call(SYS.write, 1, 0, 6),
  ...lseek(s1, 1, 0, 1),
  ...lseek(s0, 1, 2, 0),
  ...call(SYS.write, 1, 6, 2),
  A.slli(a0, s1, 4),
  A.op(0, 0, a0, a0, s0),
  A.addi(a7, 0, SYS.exit),
  A.ecall,
];

/**
 * Writes "abcdef" to stdout, pwrites "XY" at 1 (s0), asks where stdout stands (s1), writes "ab"
 * and exits with `s1 * 16 + s0`: 98 when the pwrite wrote 2 bytes and left the offset at 6.
 */
const PWRITE_PROGRAM = [
  ...call(SYS.write, 1, 0, 6),
  ...call(SYS.pwrite64, 1, 6, 2, 1),
  A.addi(s0, a0, 0),
  ...lseek(s1, 1, 0, 1),
  ...call(SYS.write, 1, 0, 2),
  A.slli(a0, s1, 4),
  A.op(0, 0, a0, a0, s0),
  A.addi(a7, 0, SYS.exit),
  A.ecall,
];

/** Seeks stdin to 5, then asks where it stands; exits with both results (0 from /dev/null). */
const DEV_NULL_PROGRAM = [
  ...lseek(s1, 0, 5, 0),
  ...lseek(s0, 0, 0, 1),
  A.slli(a0, s1, 4),
  A.op(0, 0, a0, a0, s0),
  A.addi(a7, 0, SYS.exit),
  A.ecall,
];

Deno.test("emu user: stdout to a regular file seeks and pwrites, its offset shared with the shell, and stdin from /dev/null seeks to 0, as under qemu-riscv64", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const data = new TextEncoder().encode("abcdefXY");
    await Deno.writeFile(`${dir}/out_prog`, riscvElf(encode(STDOUT_PROGRAM), data), {
      mode: 0o755,
    });
    await Deno.writeFile(`${dir}/pwrite_prog`, riscvElf(encode(PWRITE_PROGRAM), data), {
      mode: 0o755,
    });
    await Deno.writeFile(`${dir}/null_prog`, riscvElf(encode(DEV_NULL_PROGRAM), data), {
      mode: 0o755,
    });
    const emu = `"${Deno.execPath()}" run -A "${Deno.cwd()}/mod.ts" user`;
    const runners = [emu, ...(await which("qemu-riscv64") ? ["qemu-riscv64"] : [])];
    for (const run of runners) {
      assert.deepEqual(await sh(`${run} out_prog > out`, dir), [98, ""], run);
      assert.equal(await Deno.readTextFile(`${dir}/out`), "abXYef", run);
      // appending (O_APPEND), every write lands at the end whatever the offset
      assert.deepEqual(await sh(`: > app; ${run} out_prog >> app`, dir), [98, ""], run);
      assert.equal(await Deno.readTextFile(`${dir}/app`), "abcdefXY", run);
      // pwrite64 writes at its offset and leaves the file's alone; appending, at the end
      assert.deepEqual(await sh(`${run} pwrite_prog > pw`, dir), [98, ""], run);
      assert.equal(await Deno.readTextFile(`${dir}/pw`), "aXYdefab", run);
      assert.deepEqual(await sh(`: > pwa; ${run} pwrite_prog >> pwa`, dir), [98, ""], run);
      assert.equal(await Deno.readTextFile(`${dir}/pwa`), "abcdefXYab", run);
      assert.deepEqual(await sh(`${run} null_prog < /dev/null`, dir), [0, ""], run);
      // the shell shares stdout's offset: what it writes next goes where the guest left it
      // ("hello\n", "abcdef" after it, "XY" at 2, and the shell's " 194\n" at 4)
      assert.deepEqual(await sh(`{ echo hello; ${run} out_prog; echo " $?"; } > shared`, dir), [
        0,
        "",
      ]);
      assert.equal(await Deno.readTextFile(`${dir}/shared`), "heXY 194\ndef", run);
      // a pipe is no file: ESPIPE (-29) twice, (-29 * 16 - 29) & 0xff = 19, as before
      assert.deepEqual(
        await sh(`{ ${run} out_prog; echo " $?"; } | cat`, dir),
        [0, "abcdefXY 19\n"],
        run,
      );
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
