/**
 * `sandbox`: random file-syscall scripts run by a guest under `--root`.
 * The guest is tests/guests/src/c/fsscript.c, which runs one call per line
 * (openat with random flags, O_CREAT/O_EXCL/O_NOFOLLOW/O_PATH/O_TMPFILE
 * included; symlinkat, linkat, renameat2, unlinkat, mkdirat, readlinkat,
 * faccessat2, utimensat, statx, fchmodat, truncate, chdir, fchdir, getdents).
 *
 * Two fuzzers share it. `sandbox` runs **hostile** scripts: paths with `..` chains, absolute host paths,
 * `/proc/self/...`, and links out of the root (see sandbox_tree.ts). Nothing
 * outside the root may be created, changed, read or listed, and no stat may
 * show an inode from outside. `fsops` runs **portable** scripts: relative paths that
 * stay in the directory the guest starts in, so qemu-riscv64 (which has no
 * sandbox) runs the same script in a copy of the root; the outputs and the
 * trees afterwards must be equal (so it needs qemu-riscv64). Any host
 * exception, or a guest that does not finish, is a failure in both.
 *
 * A reproducer is the script; `$P` and `$T` stand for the tree's directories,
 * and its first line says which kind it is.
 *
 * @module
 */

import { join } from "node:path";
import { createMachine } from "../../mod.ts";
import { GUESTS } from "../build_guests.ts";
import { prng, type Rnd } from "../../tests/riscv/random_programs.ts";
import { describeError, type SelfFuzzer } from "./runner.ts";
import { installed } from "../../tests/util/installed.ts";
import {
  CANARY_NAME,
  CANARY_TEXT,
  ESCAPE_PATH,
  fingerprintOutside,
  listRoot,
  makeSandboxTree,
  outsideInodes,
  placeTree,
  type SandboxTree,
} from "./sandbox_tree.ts";

const GUEST = join(GUESTS, "bin/fsscript.static.O2");
/** Instructions before a script counts as hung (a script of 60 calls needs about 2 million). */
const BUDGET = 200_000_000;

const AT_FDCWD = -100, AT_SYMLINK_NOFOLLOW = 0x100, AT_REMOVEDIR = 0x200;
const AT_SYMLINK_FOLLOW = 0x400, AT_EMPTY_PATH = 0x1000, AT_EACCESS = 0x200;
/** asm-generic open flags (RISC-V uses them) beyond the access mode. */
const OPEN_FLAGS = [
  0o100, // O_CREAT
  0o200, // O_EXCL
  0o1000, // O_TRUNC
  0o2000, // O_APPEND
  0o200000, // O_DIRECTORY
  0o400000, // O_NOFOLLOW
  0o10000000, // O_PATH
];
const O_TMPFILE = 0o20200000;
/**
 * renameat2 flags: none, NOREPLACE, EXCHANGE, and invalid sets (EINVAL). A
 * valid RENAME_WHITEOUT is left out: Denemu cannot make the whiteout device.
 */
const RENAME_FLAGS = [0, 0, 1, 2, 3, 6, 8];

const PORTABLE_NAMES = ["a", "b", "c", "d1", "d2", "f", "inside", ".", "d1/f", "a/b"];
const HOSTILE_NAMES = [
  "..",
  "../..",
  "out-abs",
  "out-dir",
  "out-rel",
  "out-up",
  "out-tmp",
  "hl",
  "bin",
  "bin/fs",
  `out-dir/${CANARY_NAME}-p`,
  `out-tmp/${CANARY_NAME}-t-dir`,
  `$P/canary/${CANARY_NAME}-p`,
  "$P/canary",
  "$P/escape",
  "$P/root/inside",
  "$T",
  `$T/${CANARY_NAME}-t`,
  ESCAPE_PATH,
  "/proc/self/exe",
  "/proc/self/root",
  "/proc/self/cwd",
  "/proc/self/fd/3",
  "/proc/self/fd/4",
  "/proc/1/root",
  "/",
  "/..",
  "/bin/fs",
];

const pick = <T>(rnd: Rnd, xs: readonly T[]): T => xs[rnd(xs.length)];

/** A script generator for one kind of case. */
class ScriptWriter {
  constructor(private rnd: Rnd, private hostile: boolean) {}

  path(): string {
    const { rnd } = this;
    if (rnd(20) === 0) return "-";
    const names = this.hostile && rnd(2) ? HOSTILE_NAMES : PORTABLE_NAMES;
    const parts = Array.from({ length: 1 + rnd(3) }, () => pick(rnd, names));
    let p = parts.join("/");
    if (this.hostile && rnd(4) === 0) p = "/" + p;
    if (this.hostile && rnd(6) === 0) p = "../".repeat(1 + rnd(12)) + p;
    return rnd(10) === 0 ? p + "/" : p;
  }

  dir(): number {
    return this.rnd(4) ? AT_FDCWD : this.rnd(6);
  }

  slot(): number {
    return this.rnd(6);
  }

  openFlags(): number {
    const { rnd } = this;
    let flags = rnd(3);
    for (const f of OPEN_FLAGS) if (rnd(5) === 0) flags |= f;
    // O_TMPFILE writable (an access mode of 3 is not portable: qemu-riscv64 passes it as O_RDONLY)
    if (rnd(12) === 0) flags = (flags & ~(O_TMPFILE | 3)) | O_TMPFILE | (1 + rnd(2));
    return flags;
  }

  /** One line of the script. */
  line(): string {
    const { rnd } = this;
    const p = () => this.path(), d = () => this.dir(), s = () => this.slot();
    const at = (...flags: number[]) => flags.filter(() => rnd(3) === 0).reduce((a, b) => a | b, 0);
    const mode = () => `0${pick(rnd, [0o644, 0o755, 0, 0o7777, 0o600]).toString(8)}`;
    const forms: (() => string)[] = [
      () => `open ${d()} ${p()} 0${this.openFlags().toString(8)} ${mode()}`,
      () => `open ${d()} ${p()} 0${this.openFlags().toString(8)} ${mode()}`,
      () => `open ${d()} ${p()} 0${this.openFlags().toString(8)} ${mode()}`,
      () => `close ${s()}`,
      () => `read ${s()} ${pick(rnd, [0, 1, 16, 100, 5000])}`,
      () => `write ${s()} ${pick(rnd, ["x", "hello", "-"])}`,
      () => `getdents ${s()}`,
      () => `fstat ${s()}`,
      () => `fchdir ${s()}`,
      () => `ftruncate ${s()} ${pick(rnd, [0, 3, 100000, -1])}`,
      () => `symlink ${p()} ${d()} ${p()}`,
      () => `link ${d()} ${p()} ${d()} ${p()} ${at(AT_SYMLINK_FOLLOW, AT_EMPTY_PATH)}`,
      () => `rename ${d()} ${p()} ${d()} ${p()} ${pick(rnd, RENAME_FLAGS)}`,
      () => `unlink ${d()} ${p()} ${at(AT_REMOVEDIR)}`,
      () => `mkdir ${d()} ${p()} ${mode()}`,
      () => `mkdir ${d()} ${p()} ${mode()}`,
      () => `readlink ${d()} ${p()}`,
      () => `access ${d()} ${p()} ${rnd(8)} ${at(AT_SYMLINK_NOFOLLOW, AT_EACCESS)}`,
      () => `utimens ${d()} ${p()} ${at(AT_SYMLINK_NOFOLLOW, AT_EMPTY_PATH)}`,
      () => `statx ${d()} ${p()} ${at(AT_SYMLINK_NOFOLLOW, AT_EMPTY_PATH)}`,
      () => `chmod ${d()} ${p()} ${mode()}`,
      () => `truncate ${p()} ${pick(rnd, [0, 5, 4096])}`,
      () => `chdir ${p()}`,
      () => `getcwd`,
    ];
    return pick(rnd, forms)();
  }

  script(): string {
    const kind = this.hostile ? "#hostile" : "#portable";
    const lines = Array.from({ length: 20 + this.rnd(40) }, () => this.line());
    return [kind, ...lines].join("\n") + "\n";
  }
}

/** Runs the script on Denemu under `--root`: the guest's output, or throws. */
async function runDenemu(tree: SandboxTree, script: string): Promise<string> {
  const m = await createMachine({ program: tree.program, root: tree.root, stdin: script });
  try {
    while (m.icount < BUDGET) {
      const ev = m.next(BUDGET - m.icount);
      if (ev.type === "exit") {
        if (ev.status !== 0 || m.stderr) throw new Error(`guest exit ${ev.status}: ${m.stderr}`);
        return m.stdout;
      }
      if (ev.type !== "syscall" && ev.type !== "budget") {
        throw new Error(`guest stopped: ${ev.type}`);
      }
    }
    throw new Error(`no exit after ${BUDGET} instructions`);
  } finally {
    await m.close();
  }
}

/** Runs the script on qemu-riscv64 in the root (which it cannot confine): the guest's output. */
export async function runQemu(tree: SandboxTree, script: string): Promise<string> {
  const child = new Deno.Command("qemu-riscv64", {
    args: [tree.program],
    cwd: tree.root,
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const w = child.stdin.getWriter();
  await w.write(new TextEncoder().encode(script));
  await w.close();
  const o = await child.output();
  if (!o.success) throw new Error(`qemu-riscv64: ${new TextDecoder().decode(o.stderr)}`);
  return new TextDecoder().decode(o.stdout).replaceAll(tree.root, "").replace(
    /getcwd: ok $/gm,
    "getcwd: ok /",
  );
}

/** What is left comparable between two runs: inode numbers differ by nature. */
function comparable(output: string): string[] {
  return output.split("\n").map((l) => l.replace(/ ino=\d+/, ""));
}

/** The first difference of two outputs, with the script line that made it. */
function firstDifference(script: string, ours: string[], theirs: string[]): string | null {
  const lines = script.split("\n").slice(1);
  for (let k = 0; k < Math.max(ours.length, theirs.length); k++) {
    if (ours[k] !== theirs[k]) {
      return `line ${k + 1} '${lines[k]}': denemu '${ours[k]}', qemu-riscv64 '${theirs[k]}'`;
    }
  }
  return null;
}

/** The escapes an output shows: canary contents read, canary names listed, outside inodes. */
function leaks(output: string, inodes: Set<number>): string | null {
  for (const line of output.split("\n")) {
    const ino = /ino=(\d+)/.exec(line);
    if (ino && inodes.has(Number(ino[1]))) return `an inode from outside the root: ${line}`;
    if (line.includes(CANARY_TEXT)) return `read outside the root: ${line}`;
    if (/ getdents: /.test(line) && line.includes(CANARY_NAME)) {
      return `listed outside the root: ${line}`;
    }
  }
  return null;
}

/**
 * Runs a hostile script (on Denemu under `--root`, or on qemu-riscv64, which
 * has no sandbox, to show that the checks see an escape); null when nothing
 * outside the root was touched or shown.
 */
export async function checkHostile(script: string, on = runDenemu): Promise<string | null> {
  const tree = makeSandboxTree(GUEST, true);
  try {
    const before = fingerprintOutside(tree), inodes = outsideInodes(tree);
    const output = await on(tree, placeTree(script.slice(script.indexOf("\n") + 1), tree));
    const after = fingerprintOutside(tree);
    if (after !== before) return `outside the root changed:\n${lineDiff(before, after)}`;
    return leaks(output, inodes);
  } finally {
    tree.remove();
  }
}

async function checkPortable(script: string): Promise<string | null> {
  const ours = makeSandboxTree(GUEST, false), theirs = makeSandboxTree(GUEST, false);
  try {
    const body = script.slice(script.indexOf("\n") + 1);
    const a = comparable(await runDenemu(ours, body));
    const b = comparable(await runQemu(theirs, body));
    const diff = firstDifference(script, a, b);
    if (diff) return diff;
    const [ta, tb] = [listRoot(ours.root), listRoot(theirs.root)];
    return ta === tb ? null : `the roots differ afterwards:\n${lineDiff(tb, ta)}`;
  } finally {
    ours.remove();
    theirs.remove();
  }
}

/** The lines only in `a` (-) or only in `b` (+). */
function lineDiff(a: string, b: string): string {
  const la = new Set(a.split("\n")), lb = new Set(b.split("\n"));
  return [
    ...[...la].filter((l) => !lb.has(l)).map((l) => `- ${l}`),
    ...[...lb].filter((l) => !la.has(l)).map((l) => `+ ${l}`),
  ].join("\n");
}

async function check(input: Uint8Array): Promise<string | null> {
  const script = new TextDecoder().decode(input);
  try {
    return script.startsWith("#portable")
      ? await checkPortable(script)
      : await checkHostile(script);
  } catch (e) {
    return describeError(e);
  }
}

function fuzzer(
  name: string,
  hostile: boolean,
  description: string,
  ciCases: number,
): SelfFuzzer {
  return {
    name,
    extension: "fss",
    ciCases,
    description,
    async runCase(seed) {
      const input = new TextEncoder().encode(new ScriptWriter(prng(seed), hostile).script());
      return { input, failure: await check(input) };
    },
    replay: check,
  };
}

/** The `sandbox` self-fuzzer: hostile scripts; nothing outside the root may change or leak. */
export const sandboxFuzzer: SelfFuzzer = fuzzer(
  "sandbox",
  true,
  "random file syscalls escaping --root: nothing outside it is read, listed or changed",
  30,
);

/**
 * The `fsops` self-fuzzer: scripts that stay inside, compared with
 * qemu-riscv64 (CI skips it, saying so, where that is not installed).
 */
export const fsopsFuzzer: SelfFuzzer = {
  ...fuzzer(
    "fsops",
    false,
    "random file syscalls inside --root, compared with qemu-riscv64 (needs it)",
    5,
  ),
  get notInCi() {
    return installed("qemu-riscv64") ? undefined : "qemu-riscv64 is not installed";
  },
};
