// `emu img` on corrupt, truncated, missing and odd files, compared with qemu-img in the same run:
// a generator sets each qcow2 header field to its boundary values (0, 1, the limit, one past it,
// the maximum), truncates the file at each header boundary and points the tables past its end;
// `info`, `check` and `map` then run on each image with both tools, whose exit status and stderr
// (without "qemu-img: "/"emu: ") must be the same, and stdout too where both succeed.
// SPDX-License-Identifier: GPL-3.0-or-later
import assert from "node:assert/strict";
import { main } from "../cli/main.ts";
import {
  imageTest,
  installed,
  poke,
  QEMU_IMG_MISSING,
  qemuImg,
  type Ran,
  run,
} from "./util/qemu_img.ts";

/** A corrupt image: `base` with `pokes` (offset, bytes, value), cut to `length` if given. */
interface Case {
  name: string;
  base: string;
  pokes: [number, number, bigint][];
  length?: number;
  /** run all of {@linkcode COMMANDS}, not `info` alone (fields seen differently by each) */
  all?: boolean;
}

const MAX64 = (1n << 64n) - 1n, MAX32 = (1n << 32n) - 1n;
const CS = 4096n; // the cluster size of the base images

/** Each header field (offset, bytes) with the values to try; `all`: with every command. */
const FIELDS: [string, number, number, bigint[], boolean?][] = [
  ["magic", 0, 4, [0n, 0x514649fan, 0x514649fbn]],
  ["version", 4, 4, [0n, 1n, 2n, 4n, MAX32]],
  ["backing_file_offset", 8, 8, [1n, 104n, 112n, CS - 1n, CS, CS + 1n, 1n << 63n, MAX64]],
  ["backing_file_size", 16, 4, [1n, 1023n, 1024n, MAX32]],
  ["cluster_bits", 20, 4, [0n, 8n, 9n, 21n, 22n, MAX32]],
  ["size", 24, 8, [0n, 1n, 1n << 40n, 1n << 53n, 1n << 56n, 1n << 63n, MAX64]],
  ["crypt_method", 32, 4, [1n, 2n, 3n, MAX32], true],
  ["l1_size", 36, 4, [0n, 1n, (1n << 22n) + 1n, 1n << 29n, MAX32]],
  ["l1_table_offset", 40, 8, [0n, 1n, 512n, CS, 1n << 40n, 1n << 62n, (1n << 63n) - CS, MAX64]],
  ["refcount_table_offset", 48, 8, [0n, 1n, 512n, 1n << 40n, (1n << 63n) - CS, MAX64], true],
  ["refcount_table_clusters", 56, 4, [0n, 2n, 2049n, MAX32], true],
  ["nb_snapshots", 60, 4, [1n, 65537n, MAX32], true],
  ["snapshots_offset", 64, 8, [1n, CS, 1n << 62n, MAX64], true],
  ["incompatible_features", 72, 8, [1n, 2n, 4n, 8n, 16n, 32n, 1n << 40n, 1n << 63n, MAX64], true],
  ["compatible_features", 80, 8, [1n, MAX64]],
  ["autoclear_features", 88, 8, [1n, 2n, MAX64], true],
  ["refcount_order", 96, 4, [0n, 3n, 6n, 7n, MAX32]],
  ["header_length", 100, 4, [0n, 72n, 103n, 104n, 105n, CS, CS + 1n, MAX32]],
  ["compression_type", 104, 1, [1n, 2n, 255n]],
];

/** The fields tried in a version 2 image too. */
const V2_FIELDS = ["version", "cluster_bits", "backing_file_offset", "l1_size"];

/** Lengths to cut a version 3 image to: each header boundary and around the first clusters. */
const LENGTHS = [0, 3, 4, 8, 20, 24, 71, 72, 103, 104, 111, 112, 511, 512, 4095, 4096, 8192, 12288];

/** A snapshot table entry's L1 table offset and size, with the values to try. */
const SNAPSHOT_L1: [string, number, number, bigint[]][] = [
  ["offset", 0, 8, [1n, CS, 1n << 40n, 0x514649fb00000003n, (1n << 63n) + CS, MAX64 - CS + 1n]],
  ["size", 8, 4, [0n, 0x400001n, MAX32]],
  ["extra_data_size", 36, 4, [1024n, 1025n]],
];

/** The corrupt images, the snapshot table of `snap.qcow2` being at `snapshots`. */
function cases(snapshots: number): Case[] {
  const out: Case[] = [];
  for (const base of ["v3.qcow2", "v2.qcow2"]) {
    for (const [field, at, size, values, all] of FIELDS) {
      // a version 2 header ends at byte 72; its other fields are read as version 3's
      if (base === "v2.qcow2" && (at >= 72 || !V2_FIELDS.includes(field))) continue;
      for (const v of values) {
        out.push({ name: `${base} ${field}=${v}`, base, pokes: [[at, size, v]], all });
      }
    }
  }
  for (const [field, at, size, values] of SNAPSHOT_L1) {
    for (const v of values) {
      const pokes: Case["pokes"] = [[snapshots + at, size, v]];
      out.push({ name: `snapshot L1 ${field}=${v}`, base: "snap.qcow2", pokes, all: true });
    }
  }
  for (const length of LENGTHS) {
    out.push({ name: `v3.qcow2 cut to ${length}`, base: "v3.qcow2", pokes: [], length });
  }
  // the tables past the end of the file, a backing file name and extensions in odd places; an
  // unknown feature bit that the feature name table (in clusters over 4k) names
  out.push(
    { name: "L1 past the end", base: "v3.qcow2", pokes: [[40, 8, 1n << 30n]], all: true },
    { name: "reftable past the end", base: "v3.qcow2", pokes: [[48, 8, 1n << 30n]], all: true },
    { name: "snapshots past the end", base: "v3.qcow2", pokes: [[60, 4, 1n], [64, 8, 1n << 30n]] },
    { name: "backing name at 4000", base: "v3.qcow2", pokes: [[8, 8, 4000n], [16, 4, 96n]] },
    { name: "backing name at 200", base: "v3.qcow2", pokes: [[8, 8, 200n], [16, 4, 5n]] },
    { name: "extension too long", base: "v3.qcow2", pokes: [[112, 8, 0xe2792aca00010000n]] },
    { name: "backing format too long", base: "v3.qcow2", pokes: [[112, 8, 0xe2792aca00000010n]] },
    { name: "cut inside the header", base: "v3.qcow2", pokes: [[100, 4, 200n]], length: 150 },
    { name: "named feature bit 5", base: "v3big.qcow2", pokes: [[72, 8, 1n << 5n], [121, 1, 5n]] },
    { name: "feature bits 5, 40", base: "v3big.qcow2", pokes: [[72, 8, 0x10000000020n]] },
  );
  return out;
}

/** Runs `emu img args` in this process: its status and what it wrote (as `deno task emu img`). */
async function emuInProcess(args: string[]): Promise<Ran> {
  const out = { stdout: "", stderr: "" };
  const saved = [console.log, console.error];
  console.log = (...a: unknown[]) => void (out.stdout += a.join(" ") + "\n");
  console.error = (...a: unknown[]) => void (out.stderr += a.join(" ") + "\n");
  try {
    return { code: await main(["img", ...args]), ...out };
  } finally {
    [console.log, console.error] = saved;
  }
}

/** The two tools' results differ: a line saying how, or "". */
function difference(what: string, ours: Ran, theirs: Ran): string {
  let [e1, e2] = [ours, theirs].map((r) => r.stderr.replace(/^(emu|qemu-img): /gm, ""));
  // an error is one line here: what qemu-img adds on a second line is its hint, in parentheses
  if (/^[^\n]*\n[^\n]+\n$/.test(e2)) e1 = e1.replace(/ \(([^\n]*)\)\n$/, "\n$1\n");
  if (ours.code !== theirs.code || e1 !== e2) {
    return `${what}: status ${ours.code} stderr ${JSON.stringify(e1)}\n` +
      `${" ".repeat(what.length)}  qemu-img ${theirs.code} stderr ${JSON.stringify(e2)}`;
  }
  if (ours.code === 0 && ours.stdout !== theirs.stdout) {
    return `${what}: stdout ${JSON.stringify(ours.stdout)}\n   qemu-img ${
      JSON.stringify(theirs.stdout)
    }`;
  }
  return "";
}

/** Runs `jobs` at most `n` at a time. */
async function pool<T>(jobs: (() => Promise<T>)[], n: number): Promise<T[]> {
  const out: T[] = [];
  let next = 0;
  const worker = async () => {
    while (next < jobs.length) {
      const i = next++;
      out[i] = await jobs[i]();
    }
  };
  await Promise.all(Array.from({ length: n }, worker));
  return out;
}

const COMMANDS = [["info"], ["check"], ["map", "--output=json"]];
/** Where qemu-img 7.2 crashes and so cannot be matched. */
const CRASHES = /crypt_method=2: info/;

/** One run of both tools: what it tries, and the arguments. */
interface Run {
  name: string;
  args: string[];
}

/**
 * Runs each of `runs` in `dir` with qemu-img and emu img; the differences, one a run. With
 * `reset` (which puts back the images a command may change), one tool at a time, each after a
 * reset; else qemu-img several at once first.
 */
async function compareRuns(
  runs: Run[],
  dir: string,
  reset?: () => Promise<void>,
): Promise<string[]> {
  const qemu = (r: Run) => async () => {
    await reset?.();
    return await run("qemu-img", r.args, dir);
  };
  const theirs = reset ? [] : await pool(runs.map(qemu), 8);
  const diffs: string[] = [];
  const cwd = Deno.cwd();
  try {
    for (const [k, r] of runs.entries()) {
      theirs[k] ??= await qemu(r)();
      await reset?.();
      Deno.chdir(dir);
      const ours = await emuInProcess(r.args);
      Deno.chdir(cwd);
      // LUKS without its header extension: qemu-img info crashes (status 139), ours describes it
      if (CRASHES.test(`${r.name}: ${r.args[0]}`)) assert.equal(theirs[k].code, 139, r.name);
      else diffs.push(difference(`${r.name}: ${r.args.join(" ")}`, ours, theirs[k]));
    }
  } finally {
    Deno.chdir(cwd);
  }
  console.log(`${runs.length} runs compared with qemu-img`);
  return diffs.filter(Boolean);
}

imageTest(
  "img info/check/map on corrupt qcow2 headers: qemu-img's status and messages",
  async (dir) => {
    const q = (args: string[]) => qemuImg(args, dir);
    await q(["create", "-q", "-f", "qcow2", "-o", "cluster_size=4k", "v3.qcow2", "1M"]);
    await q(["create", "-q", "-f", "qcow2", "-o", "cluster_size=4k,compat=0.10", "v2.qcow2", "1M"]);
    await q(["create", "-q", "-f", "qcow2", "v3big.qcow2", "1M"]);
    await Deno.copyFile(`${dir}/v3.qcow2`, `${dir}/snap.qcow2`);
    await q(["snapshot", "-c", "s1", "snap.qcow2"]);
    const head = new DataView((await Deno.readFile(`${dir}/snap.qcow2`)).buffer);
    const all = cases(Number(head.getBigUint64(64)));
    for (const [i, c] of all.entries()) {
      const path = `${dir}/c${i}.qcow2`;
      await Deno.copyFile(`${dir}/${c.base}`, path);
      for (const [at, size, value] of c.pokes) await poke(path, at, size, value);
      if (c.length !== undefined) await Deno.truncate(path, c.length);
    }
    const runs = all.flatMap((c, i) =>
      (c.all ? COMMANDS : COMMANDS.slice(0, 1)).map((cmd) => ({
        name: c.name,
        args: [...cmd, `c${i}.qcow2`],
      }))
    );
    const diffs = await compareRuns(runs, dir);
    assert.equal(diffs.length, 0, diffs.join("\n"));
  },
);

imageTest(
  "img: missing, odd and mistyped files, and every command on bad images, as qemu-img",
  async (dir) => {
    const q = (args: string[]) => qemuImg(args, dir);
    await q(["create", "-q", "-f", "qcow2", "-o", "cluster_size=4k", "ok.qcow2", "1M"]);
    for (const [name, at, value] of [["v4.qcow2", 4, 4n], ["corrupt.qcow2", 72, 2n]] as const) {
      await Deno.copyFile(`${dir}/ok.qcow2`, `${dir}/${name}`);
      await poke(`${dir}/${name}`, at, at === 72 ? 8 : 4, value);
    }
    await Deno.mkdir(`${dir}/folder`);
    await Deno.writeFile(`${dir}/empty`, new Uint8Array(0));
    await Deno.writeFile(`${dir}/tiny.raw`, new Uint8Array([1, 2, 3]));
    await Deno.writeFile(`${dir}/locked.raw`, new Uint8Array(512), { mode: 0 });
    const runs: Run[] = [];
    for (const file of ["missing", "folder", "/dev/null", "empty", "tiny.raw", "locked.raw"]) {
      for (const cmd of [...COMMANDS, ["info", "-f", "qcow2"], ["info", "-f", "raw"]]) {
        runs.push({ name: file, args: [...cmd, file] });
      }
    }
    runs.push(
      { name: "-f nosuch", args: ["info", "-f", "nosuch", "missing"] },
      { name: "-f raw", args: ["map", "--output=json", "-f", "raw", "ok.qcow2"] },
    );
    const pristine = await Deno.readFile(`${dir}/corrupt.qcow2`);
    const reset = () => Deno.writeFile(`${dir}/corrupt.qcow2`, pristine);
    for (const file of ["missing", "folder", "v4.qcow2", "corrupt.qcow2"]) {
      for (
        const args of [
          ["convert", "-O", "raw", file, "out.raw"],
          ["compare", file, "ok.qcow2"],
          ["compare", "ok.qcow2", file],
          ["snapshot", "-l", file],
          ["snapshot", "-c", "s1", file],
          ["amend", "-o", "lazy_refcounts=on", file],
          ["resize", file, "2M"],
          ["commit", file],
          ["rebase", "-u", "-b", "", file],
          ["measure", "-O", "qcow2", file],
          ["dd", `if=${file}`, "of=out.raw"],
          ["check", "-r", "all", file],
          ["create", "-q", "-f", "qcow2", "-b", file, "-F", "qcow2", "new.qcow2"],
        ]
      ) runs.push({ name: file, args });
    }
    const diffs = await compareRuns(runs, dir, reset);
    assert.equal(diffs.length, 0, diffs.join("\n"));
  },
);

const QEMU_SYSTEM = "qemu-system-riscv64";
const noSystem = installed(QEMU_SYSTEM) ? "" : ` (skipped: ${QEMU_SYSTEM} is not installed)`;
Deno.test({
  name: `system -drive: a missing, odd or corrupt image fails as in ${QEMU_SYSTEM}${noSystem}`,
  ignore: !!noSystem || !!QEMU_IMG_MISSING,
  async fn() {
    const dir = await Deno.makeTempDir();
    try {
      await qemuImg(["create", "-q", "-f", "qcow2", "v4.qcow2", "1M"], dir);
      await poke(`${dir}/v4.qcow2`, 4, 4, 4n);
      await qemuImg([
        "create",
        "-q",
        "-f",
        "qcow2",
        "-u",
        "-b",
        "gone",
        "-F",
        "raw",
        "t.qcow2",
        "1M",
      ], dir);
      await Deno.mkdir(`${dir}/folder`);
      await Deno.writeFile(`${dir}/empty`, new Uint8Array(0));
      const cli = new URL("../cli/run.ts", import.meta.url).pathname;
      for (const file of ["missing", "v4.qcow2", "t.qcow2", "folder", "empty"]) {
        const args = [
          "-M",
          "virt",
          "-nographic",
          "-bios",
          "none",
          "-drive",
          `file=${file},format=qcow2`,
        ];
        const theirs = await run(QEMU_SYSTEM, args, dir, 20_000);
        const ours = await run(Deno.execPath(), ["run", "-A", cli, "system", ...args], dir, 60_000);
        const why = (r: Ran) => r.stderr.replace(/^(emu|qemu-system-riscv64): /, "");
        assert.deepEqual([ours.code, why(ours)], [theirs.code, why(theirs)], file);
      }
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});
