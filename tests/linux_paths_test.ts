// --root path resolution: nothing resolves outside the root directory.
// SPDX-License-Identifier: GPL-3.0-or-later
import assert, { deepStrictEqual as assertEquals, throws } from "node:assert/strict";
import { PathResolver, startDirectory } from "../core/linux/paths.ts";
import { E, SysError } from "../core/linux/errno.ts";

async function sandbox() {
  const root = Deno.realPathSync(await Deno.makeTempDir({ prefix: "denemu-root-" }));
  const outside = Deno.realPathSync(await Deno.makeTempDir({ prefix: "denemu-outside-" }));
  Deno.writeTextFileSync(`${outside}/secret`, "secret");
  Deno.mkdirSync(`${root}/etc/sub`, { recursive: true });
  Deno.writeTextFileSync(`${root}/etc/passwd`, "guest");
  Deno.symlinkSync("/etc", `${root}/abs`); // absolute: must mean ROOT/etc
  Deno.symlinkSync("../../../../../..", `${root}/etc/sub/up`); // climbs: clamps at ROOT
  Deno.symlinkSync(`${outside}/secret`, `${root}/esc`); // absolute host path: re-rooted
  Deno.symlinkSync("loop2", `${root}/loop1`);
  Deno.symlinkSync("loop1", `${root}/loop2`);
  Deno.mkdirSync(`${root}/proc/self`, { recursive: true });
  Deno.symlinkSync("/", `${root}/proc/self/root`);
  Deno.symlinkSync("/proc/self/root/../../..", `${root}/trick`);
  const cleanup = () => {
    Deno.removeSync(root, { recursive: true });
    Deno.removeSync(outside, { recursive: true });
  };
  return { root, outside, cleanup };
}

const inside = (root: string, host: string) => host === root || host.startsWith(root + "/");

Deno.test("--root: absolute and relative paths stay inside", async () => {
  const { root, cleanup } = await sandbox();
  try {
    const r = new PathResolver({ root, cwd: "/" });
    assertEquals(r.toHost("/etc/passwd"), `${root}/etc/passwd`);
    assertEquals(r.toHost("../../../etc/passwd"), `${root}/etc/passwd`);
    assertEquals(r.toHost("/../../.."), `${root}/`);
    assertEquals(r.toHost("/abs/passwd"), `${root}/etc/passwd`);
    assertEquals(Deno.readTextFileSync(r.toHost("/abs/passwd")), "guest");
  } finally {
    cleanup();
  }
});

Deno.test("--root: symlinks cannot escape", async () => {
  const { root, outside, cleanup } = await sandbox();
  try {
    const r = new PathResolver({ root, cwd: "/etc/sub" });
    for (
      const p of [
        "up",
        "up/etc/passwd",
        "/etc/sub/up/..",
        "/esc",
        "/trick",
        "/trick/etc",
        "/proc/self/root/..",
        "/proc/self/root/" + outside.slice(1) + "/secret",
        `/../../${outside}/secret`,
      ]
    ) {
      let host: string;
      try {
        host = r.toHost(p);
      } catch (e) {
        // a missing directory on the way (the root has no /proc) stops the walk: as safe
        if (e instanceof SysError && e.errno === E.ENOENT) continue;
        throw e;
      }
      assert(inside(root, host), `${p} -> ${host}`);
      assert(!host.startsWith(outside), `${p} -> ${host}`);
    }
    // the outside file is unreachable: it resolves to a path under root that does not exist
    throws(() => Deno.readTextFileSync(r.toHost("/esc")));
  } finally {
    cleanup();
  }
});

Deno.test("--root: symlink loops give ELOOP", async () => {
  const { root, cleanup } = await sandbox();
  try {
    const r = new PathResolver({ root, cwd: "/" });
    throws(() => r.toHost("/loop1"), (e: unknown) => e instanceof SysError && e.errno === 40);
    // not following the last component is fine (lstat/readlink/unlink of the link itself)
    assertEquals(r.toHost("/loop1", "/", false), `${root}/loop1`);
  } finally {
    cleanup();
  }
});

Deno.test("without --root, the sysroot prefix wins when the file exists there", async () => {
  const sys = Deno.realPathSync(await Deno.makeTempDir());
  try {
    Deno.mkdirSync(`${sys}/lib`);
    Deno.writeTextFileSync(`${sys}/lib/libx.so`, "x");
    const r = new PathResolver({ sysroot: sys, cwd: "/tmp" });
    assertEquals(r.toHost("/lib/libx.so"), `${sys}/lib/libx.so`);
    assertEquals(r.toHost("/lib/nothere.so"), "/lib/nothere.so");
    assertEquals(r.toHost("rel"), "/tmp/rel");
  } finally {
    Deno.removeSync(sys, { recursive: true });
  }
});

Deno.test("--root: the guest starts in the host's directory when it is inside the root", async () => {
  const { root, outside, cleanup } = await sandbox();
  try {
    assertEquals(startDirectory(root, `${root}/etc/sub`), "/etc/sub");
    assertEquals(startDirectory(root, root), "/");
    assertEquals(startDirectory(root, outside), "/");
    assertEquals(startDirectory(root, `${root}/abs`), "/"); // the host follows it to its own /etc
    assertEquals(startDirectory(null, outside), outside);
    // As a user runs it: BusyBox's pwd, started from ROOT/etc/sub.
    const busybox = new URL("./real/bin/busybox", import.meta.url).pathname;
    const mod = new URL("../mod.ts", import.meta.url).pathname;
    const out = await new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", mod, "user", "--root", root, busybox, "pwd"],
      cwd: `${root}/etc/sub`,
      stdout: "piped",
    }).output();
    assertEquals(new TextDecoder().decode(out.stdout), "/etc/sub\n");
  } finally {
    cleanup();
  }
});
