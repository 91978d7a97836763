// A real multi-call program nobody wrote for Denemu: Debian's BusyBox, cross-built for riscv64
// by `deno task realprogs` (tests/real/bin/busybox), runs shell scripts of its applets (pipes,
// sort, awk, sed, find, tar, gzip, md5sum, date, wc, od, xxd, ...) in Denemu on both engines and
// on qemu-riscv64 in the same run: stdout, stderr and exit status must agree.
//
// Its shell runs an applet in a pipeline by executing /proc/self/exe. qemu-riscv64 hands that
// execve to the host, which runs a riscv program only through binfmt_misc: for it, PATH leads to
// one small script per applet that runs the applet under qemu-riscv64 (what binfmt_misc would).
// SPDX-License-Identifier: GPL-3.0-or-later
import { deepStrictEqual as assertEquals } from "node:assert/strict";
import { createMachine } from "../mod.ts";

const BUSYBOX = new URL("real/bin/busybox", import.meta.url).pathname;
const QEMU = onPath("qemu-riscv64");

/** The files each script starts from, in a fresh directory. */
const FILES: Record<string, string> = {
  "fruits.txt": "banana\napple\ncherry\napple\ndate\nbanana\nelderberry\n",
  "data.csv": "a,1,x\nb,2,y\nc,3,z\nd,10,w\n",
  "dir/a.txt": "hello\n",
  "dir/sub/b.txt": "world\n",
  "dir/sub/c.log": "line one\nline two\n",
  "nums.txt": Array.from({ length: 200 }, (_, i) => `${i + 1}\n`).join(""),
};

/** Scripts for `busybox sh -c`, each a few applets; named for the failure message. */
const SCRIPTS: Record<string, string> = {
  "pipes and sort": "cat fruits.txt | sort | uniq -c | sort -rn; sort -t, -k2 -n data.csv | " +
    "cut -d, -f1,3; seq 1 10 | tail -3 | tr '\\n' ' '; echo",
  "awk and sed": 'awk -F, \'{s+=$2; print $1, $2*2} END {printf "sum %d avg %.3f\\n", s, ' +
    "s/NR}' data.csv; sed -e 's/a/A/g' -e '/cherry/d' -n -e '1!G;h;$p' fruits.txt",
  "find, tar, gzip": "find . -type f | sort; tar cf x.tar dir && tar tf x.tar | sort && " +
    "mkdir o && tar xf x.tar -C o && ls -R o; gzip -9 -c nums.txt > n.gz && gzip -dc n.gz | " +
    "md5sum; bzip2 -c fruits.txt | bzip2 -dc | wc -c",
  "sums and dumps": "md5sum fruits.txt; sha1sum data.csv; sha256sum nums.txt; " +
    "sha512sum data.csv | cut -c1-32; cksum fruits.txt; od -A x -t x1 data.csv; xxd data.csv; " +
    "printf 'abc\\001\\377' | od -c; hexdump -C fruits.txt | head -2",
  "date, numbers, text": "date -u -d @1234567890; date -u -d '2021-03-04 05:06:07' +%s; " +
    "TZ=UTC date -d @0 '+%F %T %a %j'; wc fruits.txt nums.txt; expr 7 \\* 6; " +
    "echo $(( (1<<40) / 3 )) $(( -7 % 3 )); factor 1234567 600851475143; " +
    "printf '%5.2f|%x|%o|%e\\n' 3.14159 255 8 12345.678; echo '2 10 ^ p' | dc",
  "shell": "x=$(echo nested $(echo deep)); echo $x; (echo a; echo b) | wc -l; " +
    'while read l; do echo "<$l>"; done < fruits.txt | head -2; false; echo $?; ' +
    "sh -c 'exit 42'; echo $?; trap 'echo got TERM' TERM; kill -TERM $$; " +
    "for i in 1 2 3; do echo -n $i; done; echo; case abc in a*) echo glob;; esac; " +
    'f() { echo "args $#: $*"; return 3; }; f a b; echo $?',
  "files": "mkdir -p a/b/c && touch a/b/c/f && ls -R a && rm -r a; ln -s fruits.txt L; " +
    "readlink L; cp fruits.txt f2; echo extra >> f2; cmp fruits.txt f2; echo $?; " +
    "diff fruits.txt f2; stat -c '%n %s %a' fruits.txt; dd if=nums.txt of=o bs=100 count=3 " +
    "2>&1 | head -2; wc -c o; truncate -s 5 o; cat o; du -a dir | sort -k2",
  "text applets": "grep -n an fruits.txt; grep -c '^1' nums.txt; grep -rl world dir; " +
    "head -n 3 nums.txt; tail -c 8 nums.txt; paste -d: fruits.txt data.csv | head -3; " +
    "nl fruits.txt | tail -2; echo Hello World | rev; base64 data.csv | base64 -d; " +
    "seq 1 5 | xargs echo; basename /a/b/c.txt .txt; dirname /a/b/c.txt",
  // BusyBox's testsuite/diff.tests: mknodat was ENOSYS
  "fifos": "umask 022; mkfifo -m 666 p && mknod q p && stat -c '%n %F %a' p q; mkfifo p; " +
    "echo $?; mkdir -p d1 d2; echo qwe > d1/-; echo asd > d2/-; mkfifo d2/t; echo > d1/t; " +
    "diff -ur d1 d2 | sed 's/\t.*//'; mkfifo d1/t2; diff -urN d1 d2 | tail -2; " +
    "echo through the fifo > p & cat p; wait",
};

const ENV = { TZ: "UTC", LC_ALL: "C" };

/** Empties `dir` (made if missing) and writes FILES into it. */
async function reset(dir: string): Promise<void> {
  await Deno.remove(dir, { recursive: true }).catch(() => {});
  for (const [name, text] of Object.entries(FILES)) {
    await Deno.mkdir(`${dir}/${name.slice(0, name.lastIndexOf("/") + 1)}`, { recursive: true });
    await Deno.writeTextFile(`${dir}/${name}`, text);
  }
}

/**
 * The applets on PATH, in `top`: `links/NAME` is a link to BusyBox (Denemu runs it), and
 * `qemu/NAME` a script that runs `busybox NAME` under qemu-riscv64 (what binfmt_misc would).
 */
async function applets(qemu: string, top: string): Promise<void> {
  const list = await new Deno.Command(qemu, { args: [BUSYBOX, "--list"] }).output();
  await Deno.mkdir(`${top}/links`);
  await Deno.mkdir(`${top}/qemu`);
  for (const name of new TextDecoder().decode(list.stdout).split("\n").filter(Boolean)) {
    await Deno.symlink(BUSYBOX, `${top}/links/${name}`);
    const script = `#!/bin/sh\nexec ${qemu} ${BUSYBOX} ${name} "$@"\n`;
    await Deno.writeTextFile(`${top}/qemu/${name}`, script, { mode: 0o755 });
  }
}

/** Where `cmd` is on the host's PATH. */
function onPath(cmd: string): string | null {
  for (const dir of (Deno.env.get("PATH") ?? "").split(":")) {
    try {
      if (Deno.statSync(`${dir}/${cmd}`).isFile) return `${dir}/${cmd}`;
    } catch { /* not there */ }
  }
  return null;
}

interface Outcome {
  status: number;
  stdout: string;
  stderr: string;
}

/** The scripts' outcomes in Denemu on `accel`, each in a fresh directory at the same path. */
async function inDenemu(script: string, top: string, accel: "jit" | "interp"): Promise<Outcome> {
  const m = await createMachine({
    program: BUSYBOX,
    argv0: "busybox",
    args: ["sh", "-c", script],
    env: Object.entries({ ...ENV, PATH: `${top}/links` }).map(([k, v]) => `${k}=${v}`),
    cwd: `${top}/work`,
    accel,
  });
  const status = await m.runToExit();
  await m.close();
  return { status, stdout: m.stdout, stderr: m.stderr };
}

async function onQemu(qemu: string, script: string, top: string): Promise<Outcome> {
  const out = await new Deno.Command(qemu, {
    args: [BUSYBOX, "sh", "-c", script],
    cwd: `${top}/work`,
    clearEnv: true,
    env: { ...ENV, PATH: `${top}/qemu` },
    stdin: "null",
  }).output();
  // argv[0] as Denemu's: the same messages
  const dec = (b: Uint8Array) => new TextDecoder().decode(b).replaceAll(BUSYBOX, "busybox");
  return { status: out.code, stdout: dec(out.stdout), stderr: dec(out.stderr) };
}

Deno.test({
  name: "real programs: Debian's BusyBox runs its applets' scripts as on qemu-riscv64",
  ignore: !QEMU,
  async fn() {
    const top = await Deno.makeTempDir({ prefix: "denemu-busybox-" });
    try {
      await applets(QEMU!, top);
      for (const [name, script] of Object.entries(SCRIPTS)) {
        await reset(`${top}/work`); // one path for every run: the scripts print some paths
        const want = await onQemu(QEMU!, script, top);
        for (const accel of ["jit", "interp"] as const) {
          await reset(`${top}/work`);
          assertEquals(await inDenemu(script, top, accel), want, `${name} (${accel})`);
        }
      }
    } finally {
      await Deno.remove(top, { recursive: true });
    }
  },
});

Deno.test("real programs: qemu-riscv64 is installed for the BusyBox comparison", {
  ignore: !!QEMU,
}, () => {});
