// Denemu runs with the least Deno permissions it is given: a program runs with --allow-read
// alone, a missing permission is one line naming the flag, and a guest denied by Deno's
// permissions gets EACCES.
// SPDX-License-Identifier: GPL-3.0-or-later
import assert from "node:assert/strict";
import { join } from "node:path";
import { GUESTS, REPO } from "../scripts/build_guests.ts";

const MOD = new URL("../mod.ts", import.meta.url).pathname;

async function denoRun(perms: string[], args: string[], cwd?: string, stdin?: string) {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", ...perms, MOD, "user", ...args],
    cwd,
    env: { NO_COLOR: "1" },
    stdin: stdin === undefined ? "null" : "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  if (stdin !== undefined) {
    const w = child.stdin.getWriter();
    await w.write(new TextEncoder().encode(stdin));
    await w.close();
  }
  const o = await child.output();
  const dec = new TextDecoder();
  return { code: o.code, stdout: dec.decode(o.stdout), stderr: dec.decode(o.stderr) };
}

Deno.test("permissions: --allow-read alone runs a static and a dynamic program", async () => {
  for (const v of ["static.O2", "dynamic.O2"]) {
    const r = await denoRun(["--allow-read"], [join(GUESTS, `bin/hello.${v}`)]);
    assert.equal(r.stderr, "");
    assert.equal(r.stdout, "Hello, world!\n");
    assert.equal(r.code, 0);
  }
});

Deno.test("permissions: a missing one is one line naming the flag, exit 1", async () => {
  const r = await denoRun([], [join(GUESTS, "bin/hello.static.O2")]);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /^emu: .*--allow-read.*\n$/);
});

Deno.test("permissions: a guest denied by Deno gets EACCES", async () => {
  const root = Deno.makeTempDirSync({ prefix: "denemu-perm-" });
  const outside = Deno.makeTempDirSync({ prefix: "denemu-perm-out-" });
  try {
    Deno.writeTextFileSync(`${outside}/secret`, "secret");
    Deno.writeTextFileSync(`${root}/inside`, "inside");
    Deno.symlinkSync("/nonexistent", `${root}/hostlink`);
    const guest = join(GUESTS, "bin/sandbox.static.O2");
    // Deno guards the host: "root" mode's calls on OUTSIDE are all refused by Deno here.
    const readOnly = `--allow-read=${REPO},${root}`;
    const r = await denoRun([readOnly], [guest, outside, "root"], root);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^P symlink guestlink: -1 EACCES$/m); // a create: was EIO
    assert.match(r.stdout, /^P open inside RDONLY\|NOFOLLOW: ok inside$/m);
    assert.match(r.stdout, /^R open outside path: -1 EACCES$/m); // a read: was ENOENT
    assert.equal(Deno.readTextFileSync(`${outside}/secret`), "secret");
  } finally {
    Deno.removeSync(root, { recursive: true });
    Deno.removeSync(outside, { recursive: true });
  }
});

Deno.test("permissions: --allow-ffi sets file times to the nanosecond only with --allow-write", async () => {
  const dir = Deno.makeTempDirSync({ prefix: "denemu-perm-times-" });
  try {
    const file = `${dir}/f`, guest = join(GUESTS, "bin/fsscript.static.O2");
    Deno.writeTextFileSync(file, "");
    Deno.utimeSync(file, 1500000000, 1500000000);
    const mtime = () =>
      new TextDecoder().decode(
        new Deno.Command("stat", { args: ["-c", "%.9Y", file], stdout: "piped" }).outputSync()
          .stdout,
      ).trim();
    // fsscript's utimens sets 1000000000.000000005
    const script = `utimens -100 ${file} 0\n`;
    const refused = await denoRun(["--allow-read", "--allow-ffi"], [guest], dir, script);
    assert.equal(refused.stdout, "1 utimens: -1 EACCES\n", refused.stderr);
    assert.equal(mtime(), "1500000000.000000000");
    const all = await denoRun(
      ["--allow-read", "--allow-write", "--allow-ffi"],
      [guest],
      dir,
      script,
    );
    assert.equal(all.stdout, "1 utimens: ok\n", all.stderr);
    assert.equal(mtime(), "1000000000.000000005");
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});
