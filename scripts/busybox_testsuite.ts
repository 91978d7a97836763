/**
 * BusyBox's own test suite (the testsuite/ of Debian's busybox source package) run against
 * tests/real/bin/busybox under `emu user --root`, or with `--qemu` under qemu-riscv64 through
 * binfmt_misc in a chroot of the same tree (needs root: it registers a handler for the run,
 * mounts /proc in the chroot, and undoes both at the end). With `--arch aarch64` the BusyBox
 * is Debian's arm64 busybox-static (`apt-get download busybox-static:arm64`, needs arm64 as
 * a dpkg foreign architecture) with the configuration it was built with, under qemu-aarch64.
 * See docs/real_programs.md for what the runs found.
 *
 *     deno run -A scripts/busybox_testsuite.ts [--arch riscv64|aarch64] [--qemu
 *         [--qemu-static PATH]] [--jobs N] [--timeout SECONDS] [--out DIR] [applet...]
 *
 * `--qemu` needs a static qemu-riscv64 or qemu-aarch64 (binfmt's F flag opens it once, for
 * every chroot): `apt-get download qemu-user-static` and `dpkg-deb -x` it (installing it
 * registers every architecture's handler). Each applet's runtest output goes to
 * DIR/APPLET.txt with --out.
 *
 * The guest tree: /bin holds BusyBox and a link per applet, /bb the suite as runtest expects it
 * ($bindir/busybox, $bindir/.config, $bindir/testsuite). runtest rebuilds its directory of
 * applet links (400 execs) on every start; the tree has it made once, and runtest keeps it.
 * Each worker runs its applets, one runtest each, in its own copy of the tree.
 *
 * @module
 */
// SPDX-License-Identifier: GPL-3.0-or-later

import { parseArgs } from "node:util";
import { join } from "node:path";
import { REPO } from "./build_guests.ts";
import { busyboxSource, debianSource, REAL } from "./build_real_programs.ts";

const BINFMT = "/proc/sys/fs/binfmt_misc";
const HANDLER = "denemu-bbtest";
const ENV = { PATH: "/bin", HOME: "/tmp", TZ: "UTC", LC_ALL: "C", TERM: "dumb" };
const CMD = (applet: string) => `cd /bb/testsuite && ./runtest ${applet}`;

async function run(cmd: string, args: string[], timeoutMs = 0): Promise<string> {
  const out = await new Deno.Command(cmd, {
    args,
    stdin: "null",
    clearEnv: cmd !== "deno",
    env: cmd === "deno" ? {} : ENV,
    signal: timeoutMs ? AbortSignal.timeout(timeoutMs) : undefined,
  }).output().catch((e) => ({ stdout: new Uint8Array(), stderr: String(e), code: -1 }));
  const dec = (b: Uint8Array | string) => typeof b === "string" ? b : new TextDecoder().decode(b);
  return dec(out.stdout) + dec(out.stderr) + (out.code ? `exit ${out.code}\n` : "");
}

/** A BusyBox binary, the .config it was built with and the source holding its testsuite/. */
interface Busybox {
  binary: string;
  config: string;
  src: string;
}

/** ELF e_machine of each architecture, as binfmt_misc matches it (little-endian, hex). */
const MACHINE: Record<string, string> = { riscv64: "f300", aarch64: "b700" };

/** riscv64: tests/real/bin/busybox, built from the defconfig; aarch64: Debian's busybox-static. */
async function getBusybox(arch: string, work: string): Promise<Busybox> {
  if (arch === "riscv64") {
    const src = await busyboxSource(work);
    return { binary: join(REAL, "bin/busybox"), config: join(src, ".config"), src };
  }
  const src = await debianSource("busybox", work);
  const dl = await run("sh", ["-c", `cd '${work}' && apt-get download busybox-static:arm64`]);
  const deb = [...Deno.readDirSync(work)].find((e) =>
    /^busybox-static_.*_arm64\.deb$/.test(e.name)
  );
  if (!deb) throw new Error(`apt-get download busybox-static:arm64 failed: ${dl}`);
  await run("dpkg-deb", ["-x", join(work, deb.name), join(work, "deb")]);
  const config = join(src, "debian/config/pkg/static");
  return { binary: join(work, "deb/bin/busybox"), config, src };
}

/** The guest tree at `root`: BusyBox with its applets, the suite and its links directory. */
async function makeTree(bb: Busybox, root: string): Promise<string[]> {
  for (const d of ["bin", "bb/runtest-tempdir-links", "tmp", "dev", "proc", "etc"]) {
    await Deno.mkdir(join(root, d), { recursive: true });
  }
  await Deno.writeTextFile(join(root, "etc/passwd"), "root:x:0:0:root:/root:/bin/sh\n");
  await Deno.writeTextFile(join(root, "etc/group"), "root:x:0:\n");
  await Deno.copyFile(bb.binary, join(root, "bin/busybox"));
  await Deno.copyFile(bb.binary, join(root, "bb/busybox"));
  await Deno.copyFile(bb.config, join(root, "bb/.config"));
  await run("cp", ["-a", join(bb.src, "testsuite"), join(root, "bb/testsuite")]);
  // The tests read /dev/zero and write /dev/null: the host's devices (copies need root).
  const devices = ["null", "zero", "full", "random", "urandom", "tty"];
  await run("cp", ["-a", ...devices.map((d) => `/dev/${d}`), join(root, "dev")]);
  const listing = await run("deno", [
    "run",
    "-A",
    join(REPO, "mod.ts"),
    "user",
    bb.binary,
    "--list",
  ]);
  const applets = listing.split("\n").filter(Boolean);
  for (const a of applets) await Deno.symlink("busybox", join(root, "bin", a)).catch(() => {});
  for (const a of new Set(["busybox", ...applets])) {
    await Deno.symlink("/bb/busybox", join(root, "bb/runtest-tempdir-links", a));
  }
  const runtest = join(root, "bb/testsuite/runtest");
  const text = (await Deno.readTextFile(runtest))
    .replace(/^rm -rf "\$LINKSDIR".*$/m, ": # the links were made once")
    .replace(/^for i in \$implemented; do$/m, '[ -e "$LINKSDIR/busybox" ] || $&');
  await Deno.writeTextFile(runtest, text);
  const ts = [...Deno.readDirSync(join(bb.src, "testsuite"))];
  return ts.filter((e) => e.isDirectory || e.name.endsWith(".tests"))
    .map((e) => e.name.replace(/\.tests$/, "")).sort();
}

/** One applet's runtest in the tree `root`, on Denemu or (chrooted) qemu-user. */
function runApplet(applet: string, root: string, qemu: boolean, timeoutMs: number) {
  if (qemu) {
    // timeout(1) kills its whole process group: the suite's shells outlive a killed chroot.
    const limit = ["-s", "KILL", `${timeoutMs / 1000}`, "/usr/sbin/chroot", root];
    return run("timeout", [...limit, "/bin/busybox", "sh", "-c", CMD(applet)]);
  }
  const env = Object.entries(ENV).flatMap(([k, v]) => ["-E", `${k}=${v}`]);
  const emu = ["run", "-A", join(REPO, "mod.ts"), "user", "--root", root, ...env];
  return run("deno", [...emu, join(root, "bin/busybox"), "sh", "-c", CMD(applet)], timeoutMs);
}

/** Registers qemu-ARCH-static for the arch's ELF files (F: opened now, so it works in chroots). */
async function registerBinfmt(qemu: string, arch: string): Promise<void> {
  const magic = `7f454c460201010000000000000000000200${MACHINE[arch]}`;
  const mask = "ffffffffffffff00fffffffffffffffffeffffff";
  const hex = (s: string) => s.replace(/../g, "\\x$&");
  await run("mount", ["-t", "binfmt_misc", "binfmt_misc", BINFMT]);
  await Deno.writeTextFile(
    `${BINFMT}/register`,
    `:${HANDLER}:M::${hex(magic)}:${hex(mask)}:${qemu}:FP`,
  );
}

async function main(): Promise<void> {
  const { values: opts, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      arch: { type: "string", default: "riscv64" },
      qemu: { type: "boolean", default: false },
      "qemu-static": { type: "string" },
      jobs: { type: "string", default: "2" },
      timeout: { type: "string", default: "600" },
      out: { type: "string" },
    },
  });
  const work = await Deno.makeTempDir({ prefix: "denemu-bbtest-" });
  const roots: string[] = [];
  try {
    const arch = opts.arch;
    if (!MACHINE[arch]) throw new Error(`--arch ${arch}: riscv64 or aarch64`);
    const all = await makeTree(await getBusybox(arch, work), join(work, "root"));
    const applets = positionals.length ? positionals : all;
    const qemu = opts["qemu-static"] ?? `/usr/bin/qemu-${arch}-static`;
    if (opts.qemu) await registerBinfmt(qemu, arch);
    const verdicts: string[] = [];
    const worker = async (w: number) => {
      const root = join(work, `root${w}`);
      roots.push(root);
      await run("cp", ["-a", join(work, "root"), root]);
      if (opts.qemu) await run("mount", ["-t", "proc", "proc", join(root, "proc")]);
      for (let i = w; i < applets.length; i += Number(opts.jobs)) {
        const log = await runApplet(applets[i], root, opts.qemu, Number(opts.timeout) * 1000);
        if (opts.out) await Deno.writeTextFile(join(opts.out, `${applets[i]}.txt`), log);
        const lines = log.split("\n").filter((l) => /^(PASS|FAIL|SKIPPED|UNTESTED):/.test(l));
        if (log.includes("exit ") && !lines.length) lines.push(`FAIL: ${applets[i]} (runtest)`);
        console.log(lines.join("\n"));
        verdicts.push(...lines);
      }
    };
    if (opts.out) await Deno.mkdir(opts.out, { recursive: true });
    await Promise.all(Array.from({ length: Number(opts.jobs) }, (_, w) => worker(w)));
    const count = (v: string) => verdicts.filter((l) => l.startsWith(v)).length;
    console.log(
      `${count("PASS")} passed, ${count("FAIL")} failed, ` +
        `${count("SKIPPED") + count("UNTESTED")} skipped or untested`,
    );
  } finally {
    for (const root of roots) {
      await run("umount", [join(root, "proc")]);
    }
    if (opts.qemu) await Deno.writeTextFile(`${BINFMT}/${HANDLER}`, "-1").catch(() => {});
    // Only once nothing is mounted in it: the host's /proc must never be removed through.
    if (!(await run("mount", [])).includes(work)) await Deno.remove(work, { recursive: true });
  }
}

if (import.meta.main) await main();
