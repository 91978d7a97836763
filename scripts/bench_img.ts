/**
 * `emu img convert` beside `qemu-img convert` in the same run: a 256 MiB
 * dense image and a 4 GiB sparse one, raw to qcow2 and qcow2 to raw. Both
 * tools run as child processes (Denemu's time includes Deno's start-up),
 * taking turns, so that a load that comes and goes hits both alike; each
 * figure is the best wall time and the median CPU time (user + system) of
 * the runs: on a loaded machine the best wall time of a few runs came with
 * CPU times 30% apart from one bench to the next.
 *
 * Run alone (`deno run -A scripts/bench_img.ts [--quick]`) or from
 * `deno task bench`.
 *
 * @module
 */

/** The CLI entry of `deno task emu`. */
const CLI = new URL("../cli/run.ts", import.meta.url).pathname;

/** One conversion timed with both tools: best wall time and median CPU time of the runs. */
export interface ImgBenchRow {
  name: string;
  emuSeconds: number;
  qemuSeconds: number;
  emuCpuSeconds: number;
  qemuCpuSeconds: number;
}

/** CPU seconds (user + system) of the children this process has waited for (Linux /proc). */
function childrenCpu(): number {
  const stat = Deno.readTextFileSync("/proc/self/stat");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return (Number(fields[13]) + Number(fields[14])) / 100; // cutime, cstime in 1/100 s ticks
}

/** Runs `cmd args`: its wall and CPU seconds. */
async function timed(cmd: string, args: string[]): Promise<{ wall: number; cpu: number }> {
  const [t0, c0] = [performance.now(), childrenCpu()];
  const r = await new Deno.Command(cmd, { args, stdout: "null", stderr: "piped" }).output();
  if (!r.success) {
    throw new Error(`${cmd} ${args.join(" ")}: ${new TextDecoder().decode(r.stderr)}`);
  }
  return { wall: (performance.now() - t0) / 1000, cpu: childrenCpu() - c0 };
}

async function wall(cmd: string, args: string[]): Promise<number> {
  return (await timed(cmd, args)).wall;
}

/** Runs each of `cmds` `runs` times, taking turns: the best wall time and median CPU time of each. */
async function alternate(runs: number, cmds: [string, string[]][]) {
  const seen = cmds.map(() => ({ walls: [] as number[], cpus: [] as number[] }));
  for (let i = 0; i < runs; i++) {
    for (const [k, [cmd, args]] of cmds.entries()) {
      const r = await timed(cmd, args);
      seen[k].walls.push(r.wall);
      seen[k].cpus.push(r.cpu);
    }
  }
  return seen.map(({ walls, cpus }) => ({ wall: Math.min(...walls), cpu: median(cpus) }));
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

/** Writes `mib` MiB of numbered text lines (compressible, as a file system's text is). */
async function makeText(path: string, mib: number): Promise<void> {
  const f = await Deno.open(path, { write: true, create: true, truncate: true });
  const enc = new TextEncoder();
  let line = 0;
  for (let m = 0; m < mib; m++) {
    const chunk = new Uint8Array(1 << 20);
    for (let at = 0; at < chunk.length;) {
      at += enc.encodeInto(
        `line ${line++}: the quick brown fox jumps over the lazy dog\n`,
        chunk.subarray(at),
      ).written;
    }
    await f.write(chunk);
  }
  f.close();
}

/** Writes the test images into `dir`: dense (pseudo-random, incompressible), text and sparse. */
async function makeImages(dir: string, denseMiB: number): Promise<void> {
  const f = await Deno.open(`${dir}/dense.raw`, { write: true, create: true, truncate: true });
  const chunk = new Uint8Array(1 << 20);
  let x = 0x9e3779b9;
  for (let m = 0; m < denseMiB; m++) {
    const w = new Uint32Array(chunk.buffer);
    for (let i = 0; i < w.length; i++) {
      x ^= x << 13;
      x ^= x >>> 17;
      x ^= x << 5;
      w[i] = x;
    }
    await f.write(chunk);
  }
  f.close();
  await makeText(`${dir}/text.raw`, denseMiB);
  const s = await Deno.open(`${dir}/sparse.raw`, { write: true, create: true, truncate: true });
  await s.truncate(4 * 2 ** 30);
  for (const at of [0, 2 ** 30, 3 * 2 ** 30, 4 * 2 ** 30 - (1 << 20)]) {
    await s.seek(at, Deno.SeekMode.Start);
    await s.write(chunk);
  }
  s.close();
  for (const n of ["dense", "sparse"]) {
    await wall("qemu-img", ["convert", "-O", "qcow2", `${dir}/${n}.raw`, `${dir}/${n}.qcow2`]);
  }
}

/**
 * Runs the conversions and prints a table; returns the figures.
 *
 * @example
 * ```ts ignore
 * const rows = await benchImg(true);
 * ```
 */
export async function benchImg(quick = false): Promise<ImgBenchRow[]> {
  try {
    await wall("qemu-img", ["--version"]);
  } catch {
    console.log("img convert: skipped (qemu-img is not installed: apt-get install qemu-utils)");
    return [];
  }
  const dir = await Deno.makeTempDir();
  const runs = quick ? 1 : 7;
  const rows: ImgBenchRow[] = [];
  try {
    await makeImages(dir, quick ? 64 : 256);
    const mib = quick ? 64 : 256;
    const cases: [string, string, string, string[]][] = [
      [`dense ${mib} MiB raw -> qcow2`, "dense.raw", "qcow2", []],
      [`dense ${mib} MiB qcow2 -> raw`, "dense.qcow2", "raw", []],
      [`text ${mib} MiB raw -> qcow2 -c`, "text.raw", "qcow2", ["-c"]],
      ["sparse 4 GiB raw -> qcow2", "sparse.raw", "qcow2", []],
      ["sparse 4 GiB qcow2 -> raw", "sparse.qcow2", "raw", []],
    ];
    console.log(
      `${"img convert (wall / CPU s)".padEnd(28)} ${"emu img".padStart(13)} ${
        "qemu-img".padStart(13)
      }  wall ratio`,
    );
    for (const [name, src, fmt, flags] of cases) {
      const args = ["convert", ...flags, "-O", fmt, `${dir}/${src}`, `${dir}/out.${fmt}`];
      const [emu, qemu] = await alternate(runs, [
        [Deno.execPath(), ["run", "-A", CLI, "img", ...args]],
        ["qemu-img", args],
      ]);
      rows.push({
        name,
        emuSeconds: emu.wall,
        qemuSeconds: qemu.wall,
        emuCpuSeconds: emu.cpu,
        qemuCpuSeconds: qemu.cpu,
      });
      const pair = (t: { wall: number; cpu: number }) =>
        `${t.wall.toFixed(2)} / ${t.cpu.toFixed(2)}`.padStart(13);
      console.log(
        `${name.padEnd(28)} ${pair(emu)} ${pair(qemu)}  ${(emu.wall / qemu.wall).toFixed(2)}x`,
      );
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
  return rows;
}

if (import.meta.main) await benchImg(Deno.args.includes("--quick"));
