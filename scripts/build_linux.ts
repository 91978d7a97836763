/**
 * Builds the test kernel and its initramfs from Debian's `linux-source-6.1`
 * into `tests/linux/`: `make tinyconfig` plus `tests/linux/kernel.config`,
 * a static `init` (tests/linux/init.c) packed by the kernel's gen_init_cpio,
 * and a small ext2 disk with `hello.txt`. Needs linux-source-6.1,
 * gcc-riscv64-linux-gnu, flex, bison, bc and e2fsprogs; run with
 * `deno task linux` (about 10 minutes on two cores).
 *
 * @example
 * ```ts ignore
 * // deno task linux [--src DIR]   (DIR: an unpacked kernel tree)
 * ```
 *
 * @module
 */

const OUT = new URL("../tests/linux/", import.meta.url).pathname;
const TARBALL = "/usr/src/linux-source-6.1.tar.xz";
const CROSS = "riscv64-linux-gnu-";

async function run(cmd: string, args: string[], cwd?: string): Promise<void> {
  console.log(`$ ${cmd} ${args.join(" ")}`);
  const r = await new Deno.Command(cmd, { args, cwd, stdout: "inherit", stderr: "inherit" })
    .output();
  if (!r.success) throw new Error(`${cmd} failed (exit ${r.code})`);
}

/** An unpacked kernel tree: `--src DIR`, or the Debian tarball unpacked into a cache folder. */
async function kernelTree(): Promise<string> {
  const i = Deno.args.indexOf("--src");
  if (i >= 0) return Deno.args[i + 1];
  const cache = `${Deno.env.get("XDG_CACHE_HOME") ?? `${Deno.env.get("HOME")}/.cache`}/denemu`;
  const tree = `${cache}/linux-source-6.1`;
  try {
    await Deno.stat(`${tree}/Makefile`);
  } catch {
    await Deno.mkdir(cache, { recursive: true });
    await run("tar", ["xf", TARBALL, "-C", cache]);
  }
  return tree;
}

async function buildKernel(tree: string): Promise<void> {
  const make = (...targets: string[]) =>
    run("make", [
      `ARCH=riscv`,
      `CROSS_COMPILE=${CROSS}`,
      `-j${navigator.hardwareConcurrency}`,
      ...targets,
    ], tree);
  await make("tinyconfig");
  await run("scripts/kconfig/merge_config.sh", ["-m", ".config", `${OUT}kernel.config`], tree);
  await make("olddefconfig");
  await make("Image");
  await Deno.copyFile(`${tree}/arch/riscv/boot/Image`, `${OUT}Image`);
}

async function buildInitramfs(tree: string): Promise<void> {
  const init = await Deno.makeTempFile({ prefix: "denemu-init-" });
  await run(`${CROSS}gcc`, ["-static", "-Os", "-s", "-o", init, `${OUT}init.c`]);
  const list = (await Deno.readTextFile(`${OUT}initramfs.list`)).replace(" INIT ", ` ${init} `);
  const listFile = await Deno.makeTempFile({ prefix: "denemu-initramfs-" });
  await Deno.writeTextFile(listFile, list);
  const cpio = await new Deno.Command(`${tree}/usr/gen_init_cpio`, {
    args: ["-t", "0", listFile],
    stdout: "piped",
  }).output();
  if (!cpio.success) throw new Error("gen_init_cpio failed");
  const gz = new Blob([cpio.stdout]).stream().pipeThrough(new CompressionStream("gzip"));
  await Deno.writeFile(
    `${OUT}initramfs.cpio.gz`,
    new Uint8Array(await new Response(gz).arrayBuffer()),
  );
  await Deno.remove(init);
  await Deno.remove(listFile);
}

async function buildDisk(): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "denemu-disk-" });
  await Deno.writeTextFile(`${dir}/hello.txt`, "hello from the ext2 disk\n");
  await Deno.remove(`${OUT}disk.ext2`).catch(() => {});
  await run("mke2fs", [
    "-q",
    "-t",
    "ext2",
    "-b",
    "1024",
    "-E",
    "root_owner=0:0",
    "-U",
    "clear",
    "-d",
    dir,
    `${OUT}disk.ext2`,
    "1024",
  ]);
  await Deno.remove(dir, { recursive: true });
}

if (import.meta.main) {
  const tree = await kernelTree();
  await buildKernel(tree);
  await buildInitramfs(tree);
  await buildDisk();
  for (const f of ["Image", "initramfs.cpio.gz", "disk.ext2"]) {
    console.log(`${f}: ${(await Deno.stat(`${OUT}${f}`)).size} bytes`);
  }
}
