// The --root sandbox suite (tests/guests/src/c/sandbox.c) under Denemu: no call may touch a file
// outside the root, and the Linux errnos (ELOOP for O_NOFOLLOW, EBADF on O_PATH...) match a
// qemu-riscv64 run of the same binary in the same test.
// SPDX-License-Identifier: GPL-3.0-or-later
import assert from "node:assert/strict";
import { join } from "node:path";
import { GUESTS, which } from "../scripts/build_guests.ts";

const GUEST = join(GUESTS, "bin/sandbox.static.O2");
const MOD = new URL("../mod.ts", import.meta.url).pathname;

/** A root with host-made symlinks out of it, and the outside directory they point to. */
function makeSandbox() {
  const root = Deno.realPathSync(Deno.makeTempDirSync({ prefix: "denemu-root-" }));
  const outside = Deno.realPathSync(Deno.makeTempDirSync({ prefix: "denemu-outside-" }));
  Deno.writeTextFileSync(`${outside}/secret`, "secret");
  Deno.chmodSync(`${outside}/secret`, 0o640);
  Deno.symlinkSync(`${outside}/secret`, `${root}/hostlink`);
  Deno.symlinkSync(outside, `${root}/hostdir`);
  Deno.symlinkSync(`${outside}/none`, `${root}/hostmissing`);
  Deno.symlinkSync(`${"../".repeat(8)}${outside.slice(1)}/secret`, `${root}/uplink`);
  Deno.linkSync(`${root}/hostlink`, `${root}/hardlink`);
  Deno.writeTextFileSync(`${root}/inside`, "inside");
  Deno.mkdirSync(`${root}/etc`);
  Deno.mkdirSync(`${root}/bin`);
  Deno.copyFileSync(GUEST, `${root}/bin/sandbox`);
  const cleanup = () => {
    Deno.removeSync(root, { recursive: true });
    Deno.removeSync(outside, { recursive: true });
  };
  return { root, outside, cleanup };
}

/** Everything about OUTSIDE that a escape could change. */
function snapshot(dir: string): string {
  const rows = [...Deno.readDirSync(dir)].map((e) => {
    const st = Deno.lstatSync(`${dir}/${e.name}`);
    const body = st.isFile ? Deno.readTextFileSync(`${dir}/${e.name}`) : "";
    return `${e.name} ${st.mode?.toString(8)} ${st.mtime?.getTime()} ${body}`;
  });
  return rows.sort().join("\n");
}

async function run(cmd: string, args: string[], cwd: string): Promise<string> {
  const o = await new Deno.Command(cmd, { args, cwd, stdout: "piped", stderr: "piped" }).output();
  const err = new TextDecoder().decode(o.stderr);
  assert.equal(o.code, 0, `${cmd} ${args.join(" ")} failed:\n${err}`);
  return new TextDecoder().decode(o.stdout);
}

const lines = (out: string, tag: string) => out.split("\n").filter((l) => l.startsWith(tag + " "));

Deno.test("--root sandbox suite: nothing outside the root is read, written or listed", async () => {
  const { root, outside, cleanup } = makeSandbox();
  try {
    const before = snapshot(outside);
    const out = await run(
      Deno.execPath(),
      ["run", "-A", MOD, "user", "--root", root, `${root}/bin/sandbox`, outside, "root"],
      root,
    );
    assert.equal(snapshot(outside), before, `OUTSIDE changed:\n${out}`);
    const get = (what: string) => out.split("\n").find((l) => l.slice(2).startsWith(what + ":"));
    assert.equal(get("open hostlink RDONLY|NOFOLLOW"), "P open hostlink RDONLY|NOFOLLOW: -1 ELOOP");
    assert.equal(
      get("open hostdir DIRECTORY|NOFOLLOW"),
      "P open hostdir DIRECTORY|NOFOLLOW: -1 ENOTDIR",
    );
    assert.equal(get("read O_PATH fd"), "P read O_PATH fd: -1 EBADF");
    assert.equal(get("faccessat2 hostmissing NOFOLLOW"), "P faccessat2 hostmissing NOFOLLOW: ok");
    assert.equal(get("open 4999-byte path"), "P open 4999-byte path: -1 ENAMETOOLONG");
    for (const l of lines(out, "R")) assert.doesNotMatch(l, /: ok secret/, "read OUTSIDE/secret");
    assert.equal(get("open hostlink"), "R open hostlink: -1 ENOENT");
    assert.equal(get("open hl2"), "R open hl2: -1 ENOENT");
    assert.equal(get("utimensat hostlink NOFOLLOW"), "R utimensat hostlink NOFOLLOW: ok");
    assert.equal(get("getdents / '..' is '.'"), "R getdents / '..' is '.': 1");
    assert.equal(get("readlink /proc/self/exe"), "R readlink /proc/self/exe: /bin/sandbox");
  } finally {
    cleanup();
  }
});

const haveQemu = await which("qemu-riscv64");
Deno.test({
  name: `sandbox suite: Linux errnos match qemu-riscv64${haveQemu ? "" : " (skipped: no qemu)"}`,
  ignore: !haveQemu,
  fn: async () => {
    const emu = makeSandbox(), qemu = makeSandbox();
    try {
      const args = (s: typeof emu) => [`${s.root}/bin/sandbox`, s.outside, "portable"];
      const ours = await run(Deno.execPath(), ["run", "-A", MOD, "user", ...args(emu)], emu.root);
      const theirs = await run("qemu-riscv64", args(qemu), qemu.root);
      assert.deepEqual(lines(ours, "P"), lines(theirs, "P"));
      assert.ok(lines(theirs, "P").length >= 15);
    } finally {
      emu.cleanup();
      qemu.cleanup();
    }
  },
});

Deno.test("--root: an interpreter symlinked out of the root is a one-line error, not an internal one", async () => {
  const { root, outside, cleanup } = makeSandbox();
  try {
    Deno.copyFileSync(join(GUESTS, "bin/hello.dynamic.O2"), `${root}/bin/hello`);
    Deno.mkdirSync(`${root}/lib`);
    Deno.writeFileSync(`${outside}/ld.so`, Deno.readFileSync(GUEST)); // an ELF, never loaded
    Deno.symlinkSync(`${outside}/ld.so`, `${root}/lib/ld-linux-riscv64-lp64d.so.1`);
    const args = ["run", "-A", MOD, "user", "--root", root, `${root}/bin/hello`];
    const out = await new Deno.Command(Deno.execPath(), { args }).output();
    const stderr = new TextDecoder().decode(out.stderr);
    assert.equal(out.code, 1, stderr);
    assert.match(stderr, /^emu: [^\n]*: cannot open its interpreter \/lib\/ld-linux[^\n]*\n$/);
  } finally {
    cleanup();
  }
});
