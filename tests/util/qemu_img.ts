// Helpers for tests that compare `emu img` with qemu-img and qemu-io (Debian's qemu-utils).
// SPDX-License-Identifier: GPL-3.0-or-later

/** The output of a finished command. */
export interface Ran {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `cmd args...` and collects its output; killed (status 143) after `limitMs` if given. */
export async function run(
  cmd: string,
  args: string[],
  cwd?: string,
  limitMs?: number,
): Promise<Ran> {
  const signal = limitMs === undefined ? undefined : AbortSignal.timeout(limitMs);
  const out = await new Deno.Command(cmd, { args, cwd, stdout: "piped", stderr: "piped", signal })
    .output();
  const dec = new TextDecoder();
  return { code: out.code, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr) };
}

const CLI = new URL("../../cli/run.ts", import.meta.url).pathname;

/** Runs `emu img args...` in a child process, as `deno task emu img` does. */
export function emuImg(args: string[], cwd?: string): Promise<Ran> {
  return emuImgWithin(undefined, args, cwd);
}

/** {@linkcode emuImg}, killed (status 143) after `limitMs`: a hang fails the test. */
export function emuImgWithin(limitMs: number | undefined, args: string[], cwd?: string) {
  return run(Deno.execPath(), ["run", "-A", CLI, "img", ...args], cwd, limitMs);
}

/** Runs qemu-img and fails the test with its stderr if it fails with an unexpected status. */
export async function qemuImg(args: string[], cwd?: string, okCodes = [0]): Promise<Ran> {
  const r = await run("qemu-img", args, cwd);
  if (!okCodes.includes(r.code)) throw new Error(`qemu-img ${args.join(" ")}: ${r.stderr}`);
  return r;
}

/** Creates qcow2 image `name` in `dir` over backing file `base` (qcow2) with qemu-img. */
export async function qemuOverlay(dir: string, base: string, name: string): Promise<void> {
  await qemuImg(["create", "-q", "-f", "qcow2", "-b", base, "-F", "qcow2", name], dir);
}

/** True if `cmd` runs on this machine. */
export function installed(cmd: string): boolean {
  try {
    new Deno.Command(cmd, { args: ["--version"], stdout: "null", stderr: "null" }).outputSync();
    return true;
  } catch {
    return false;
  }
}

/** Why the qemu-img comparisons cannot run, or "" if they can. */
export const QEMU_IMG_MISSING = installed("qemu-img") && installed("qemu-io")
  ? ""
  : "qemu-img/qemu-io are not installed (apt-get install qemu-utils)";
if (QEMU_IMG_MISSING) {
  console.log(`img tests: SKIPPING the comparisons with qemu-img: ${QEMU_IMG_MISSING}`);
}

/** Writes big-endian `value` (`size` bytes) at byte `at` of the file at `path`. */
export async function poke(path: string, at: number, size: number, value: bigint): Promise<void> {
  const f = await Deno.open(path, { read: true, write: true });
  const b = new Uint8Array(size);
  for (let k = size - 1; k >= 0; k--, value >>= 8n) b[k] = Number(value & 0xffn);
  await f.seek(at, Deno.SeekMode.Start);
  await f.write(b);
  f.close();
}

/** A test on images in a temporary directory `dir`, skipped (saying so) without qemu-img. */
export function imageTest(name: string, body: (dir: string) => Promise<void>): void {
  Deno.test({
    name: `${name}${QEMU_IMG_MISSING ? ` (skipped: ${QEMU_IMG_MISSING})` : ""}`,
    ignore: !!QEMU_IMG_MISSING,
    async fn() {
      const dir = await Deno.makeTempDir();
      try {
        await body(dir);
      } finally {
        await Deno.remove(dir, { recursive: true });
      }
    },
  });
}

/** The images `buildChain` writes. */
export const CHAIN_IMAGES = ["b.qcow2", "m.qcow2", "t.qcow2", "n.qcow2"];

/** Builds base b <- middle m <- top t, and an unrelated n, with qemu-img and qemu-io. */
export async function buildChain(dir: string): Promise<void> {
  const io = (name: string, ...cmds: string[]) =>
    run("qemu-io", [...cmds.flatMap((c) => ["-c", c]), `${dir}/${name}`]);
  await qemuImg(["create", "-q", "-f", "qcow2", "b.qcow2", "10M"], dir);
  await io("b.qcow2", "write -P 1 0 2M", "write -P 9 8M 1M");
  await qemuImg(["create", "-q", "-f", "qcow2", "-b", "b.qcow2", "-F", "qcow2", "m.qcow2"], dir);
  await io("m.qcow2", "write -P 2 1M 1M", "write -z 8M 64k", "write -P 4 3M 700");
  await qemuImg(["create", "-q", "-f", "qcow2", "-b", "m.qcow2", "-F", "qcow2", "t.qcow2"], dir);
  await io("t.qcow2", "write -P 3 1536k 1M");
  await qemuImg(["create", "-q", "-f", "qcow2", "n.qcow2", "12M"], dir);
  await io("n.qcow2", "write -P 7 1M 3M");
}

/**
 * Runs `qemu-img args` and `emu img args` each in a fresh copy of the files
 * of `src`, and `inspect` on each copy after the run (qemu-img's first).
 */
export async function bothOnCopies<T = undefined>(
  src: string,
  args: string[],
  inspect: (dir: string) => Promise<T> = () => Promise.resolve(undefined as T),
): Promise<{ theirs: Ran; ours: Ran; seen: T[] }> {
  const ran: Ran[] = [], seen: T[] = [];
  for (const tool of [(d: string) => qemuImg(args, d, [0, 1]), (d: string) => emuImg(args, d)]) {
    const dir = await Deno.makeTempDir();
    try {
      for await (const f of Deno.readDir(src)) {
        await Deno.copyFile(`${src}/${f.name}`, `${dir}/${f.name}`);
      }
      ran.push(await tool(dir));
      seen.push(await inspect(dir));
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  }
  return { theirs: ran[0], ours: ran[1], seen };
}
