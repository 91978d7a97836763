/**
 * `deno task realprogs`: cross-builds real programs from Debian source packages for the
 * real-program bench (scripts/bench_real.ts): the Lua 5.4 interpreter, SQLite's speedtest1
 * and bzip2, each static, -O2, for riscv64; and BusyBox (its defconfig, static, -Os as its
 * build sets) for tests/real_busybox_test.ts. The binaries go to tests/real/bin/ and are
 * committed, so the bench and the test need only Deno and qemu-riscv64.
 *
 * Needs `deb-src` in the apt sources (`Types: deb deb-src` in
 * /etc/apt/sources.list.d/debian.sources, then `apt-get update`), dpkg-dev, tclsh (SQLite
 * generates its amalgamation with it), a host cc and riscv64-linux-gnu-gcc.
 *
 * @module
 */
// SPDX-License-Identifier: GPL-3.0-or-later

import { join } from "node:path";
import { REPO } from "./build_guests.ts";

/** Where the built binaries and their inputs live. */
export const REAL = join(REPO, "tests/real");
const CC = "riscv64-linux-gnu-gcc";
/** Flags shared by every build: static, -O2, no build-specific bytes. */
const FLAGS = ["-O2", "-static", "-march=rv64gc", "-mabi=lp64d", "-fno-ident", "-w"];

async function sh(cmd: string[], cwd: string, env: Record<string, string> = {}): Promise<void> {
  const out = await new Deno.Command(cmd[0], { args: cmd.slice(1), cwd, env, stdout: "null" })
    .output();
  if (!out.success) {
    const err = new TextDecoder().decode(out.stderr).trim().split("\n").slice(-5).join("\n");
    throw new Error(`${cmd.slice(0, 3).join(" ")} ... failed in ${cwd}:\n${err}`);
  }
}

/** Fetches and unpacks a Debian source package; returns its source directory. */
export async function debianSource(pkg: string, work: string): Promise<string> {
  await sh(["apt-get", "source", "-qq", "--download-only", pkg], work);
  const dsc = [...Deno.readDirSync(work)].find((e) =>
    e.name.startsWith(`${pkg}_`) && e.name.endsWith(".dsc")
  );
  if (!dsc) throw new Error(`apt-get source ${pkg}: no .dsc (is deb-src in the apt sources?)`);
  const dir = join(work, pkg);
  await sh(["dpkg-source", "-x", "--no-check", dsc.name, dir], work);
  return dir;
}

async function cross(out: string, sources: string[], cwd: string, extra: string[] = []) {
  await sh([CC, ...FLAGS, ...extra, "-o", join(REAL, "bin", out), ...sources, "-lm"], cwd);
  console.log(`built tests/real/bin/${out}`);
}

async function buildLua(work: string): Promise<void> {
  const src = join(await debianSource("lua5.4", work), "src");
  // Debian's luaconf.h includes a header that debian/rules writes.
  await Deno.writeTextFile(
    join(src, "lua5.4-deb-multiarch.h"),
    '#define DEB_HOST_MULTIARCH "riscv64-linux-gnu"\n',
  );
  const files = [...Deno.readDirSync(src)].map((e) => e.name)
    .filter((n) => n.endsWith(".c") && n !== "luac.c").sort();
  await cross("lua", files, src, ["-DLUA_USE_POSIX"]);
}

async function buildSqlite(work: string): Promise<void> {
  const dir = await debianSource("sqlite3", work);
  const bld = join(dir, "bld");
  await Deno.mkdir(bld);
  await sh(["../configure", "--disable-tcl"], bld);
  await sh(["make", "sqlite3.c"], bld);
  await cross("speedtest1", ["../test/speedtest1.c", "sqlite3.c"], bld, [
    "-I.",
    "-DSQLITE_THREADSAFE=0",
    "-DSQLITE_OMIT_LOAD_EXTENSION",
  ]);
}

async function buildBzip2(work: string): Promise<void> {
  const dir = await debianSource("bzip2", work);
  const files = ["blocksort", "huffman", "crctable", "randtable", "compress", "decompress"];
  await cross("bzip2", ["bzip2.c", "bzlib.c", ...files.map((f) => `${f}.c`)], dir);
  // A real input for the compressor: Lua's reference manual, from its source package.
  await Deno.copyFile(join(work, "lua5.4/doc/manual.html"), join(REAL, "inputs/manual.html"));
}

/** BusyBox's source with the .config it is built with: its defconfig, static. */
export async function busyboxSource(work: string): Promise<string> {
  const dir = await debianSource("busybox", work);
  await sh(["make", "defconfig"], dir);
  const config = join(dir, ".config");
  const text = await Deno.readTextFile(config);
  await Deno.writeTextFile(
    config,
    text.replace("# CONFIG_STATIC is not set", "CONFIG_STATIC=y"),
  );
  return dir;
}

/** BusyBox, built as busyboxSource configures it; its banner dated from debian/changelog. */
async function buildBusybox(work: string): Promise<void> {
  const dir = await busyboxSource(work);
  const date = await new Deno.Command("dpkg-parsechangelog", { args: ["-STimestamp"], cwd: dir })
    .output();
  const epoch = new TextDecoder().decode(date.stdout).trim();
  const jobs = `-j${navigator.hardwareConcurrency}`;
  await sh(["make", jobs, "CROSS_COMPILE=riscv64-linux-gnu-", "busybox"], dir, {
    SOURCE_DATE_EPOCH: epoch,
  });
  await Deno.copyFile(join(dir, "busybox"), join(REAL, "bin/busybox"));
  console.log("built tests/real/bin/busybox");
}

if (import.meta.main) {
  const work = await Deno.makeTempDir({ prefix: "denemu-realprogs-" });
  await Deno.mkdir(join(REAL, "bin"), { recursive: true });
  await Deno.mkdir(join(REAL, "inputs"), { recursive: true });
  try {
    await buildLua(work);
    await Promise.all([buildSqlite(work), buildBzip2(work)]);
    await buildBusybox(work);
  } catch (e) {
    console.error(`realprogs: ${(e as Error).message}`);
    Deno.exitCode = 1;
  } finally {
    await Deno.remove(work, { recursive: true });
  }
}
