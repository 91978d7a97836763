/**
 * Records what qemu-system-riscv64 prints when it boots OpenSBI + U-Boot,
 * stops autoboot with a key and runs `version` and `md.l 0x80000000 4`
 * (the PMP-protected firmware: an access fault and a reset), into
 * `tests/system_expected/uboot_qemu.txt` for `tests/system_cpu_uboot_test.ts`.
 *
 * @example
 * ```ts ignore
 * // deno run -A scripts/record_uboot_qemu.ts
 * ```
 *
 * @module
 */

/** The firmware the test boots. */
export const FW_JUMP = "/usr/lib/riscv64-linux-gnu/opensbi/generic/fw_jump.bin";
/** The U-Boot image the test boots. */
export const UBOOT = "/usr/lib/u-boot/qemu-riscv64_smode/u-boot.bin";

/** qemu-system-riscv64's arguments booting OpenSBI + U-Boot on virt with 256 MiB and `extra`. */
export const qemuUBootArgs = (extra: string[] = []): string[] => [
  "-M",
  "virt",
  "-m",
  "256M",
  "-nographic",
  "-bios",
  FW_JUMP,
  "-kernel",
  UBOOT,
  ...extra,
];

/**
 * Boots U-Boot under qemu-system-riscv64 with `args`, stops autoboot with a
 * key, and types each command, waiting for its prompt (the last command may
 * instead wait for `until`). Returns the console output ("\n" line ends).
 *
 * @example
 * ```ts ignore
 * const out = await qemuUBoot(qemuUBootArgs(), ["version"]);
 * ```
 */
export async function qemuUBoot(
  args: string[],
  commands: string[],
  until?: RegExp,
): Promise<string> {
  const child = new Deno.Command("qemu-system-riscv64", {
    args,
    stdin: "piped",
    stdout: "piped",
    stderr: "null",
  }).spawn();
  const timer = setTimeout(() => child.kill(), 60_000);
  const w = child.stdin.getWriter();
  const enc = new TextEncoder(), dec = new TextDecoder();
  const reader = child.stdout.getReader();
  let out = "";
  const waitFor = async (re: RegExp, from: number) => {
    while (!re.test(out.slice(from))) {
      const { value, done } = await reader.read();
      if (done) throw new Error(`qemu exited before ${re}`);
      out += dec.decode(value);
    }
    return out.length;
  };
  try {
    let at = await waitFor(/Hit any key/, 0);
    await w.write(enc.encode("x"));
    at = await waitFor(/=> /, at);
    for (const [i, c] of commands.entries()) {
      await w.write(enc.encode(`${c}\r`));
      at = await waitFor(i === commands.length - 1 && until ? until : /=> /, at);
    }
    await w.write(enc.encode("\x01x"));
  } finally {
    clearTimeout(timer);
    child.kill();
    await child.status;
    await reader.cancel().catch(() => {});
  }
  return out.replaceAll("\r\n", "\n");
}

/**
 * U-Boot's prompt, then `version`: what QEMU answers, from "version" to the next prompt.
 *
 * @example
 * ```ts ignore
 * console.log(await qemuUbootVersion()); // "version\nU-Boot 2023.01..."
 * ```
 */
export async function qemuUbootVersion(): Promise<string> {
  const out = await qemuUBoot(qemuUBootArgs(), ["version"]);
  const at = out.indexOf("=> version\n") + 3;
  return out.slice(at, out.indexOf("=> ", at));
}

if (import.meta.main) {
  const t0 = performance.now();
  const out = await qemuUBoot(
    qemuUBootArgs(),
    ["version", "md.l 0x80000000 4"],
    /resetting \.\.\.[\s\S]*OpenSBI/,
  );
  console.log(`done after ${((performance.now() - t0) / 1000).toFixed(2)} s`);
  await Deno.writeTextFile(
    new URL("../tests/system_expected/uboot_qemu.txt", import.meta.url),
    out,
  );
}
