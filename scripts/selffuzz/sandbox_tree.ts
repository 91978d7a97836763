/**
 * The host side of the `sandbox` self-fuzzer: a guest root with ways out of
 * it (host-made symlinks to a canary tree next to the root and to another one
 * in /tmp, relative and `..` links, a hard link to a symlink), and a
 * fingerprint of everything outside the root that a sandbox escape could
 * read, change or list.
 *
 * Reads are seen through access times: canary files get an access time older
 * than their modification time, which the next read on a `relatime` mount
 * (Linux's default) moves forward. The canary files' contents and names are
 * distinctive, so a guest that read or listed them shows it in its output.
 *
 * @module
 */

import { join } from "node:path";

/** What canary files contain; it must never appear in the guest's output. */
export const CANARY_TEXT = "CANARY-CONTENT";
/** The prefix of canary entry names; never in a guest's directory listing. */
export const CANARY_NAME = "canary-entry";
/** A host path a guest may try to create outside everything (checked to stay absent). */
export const ESCAPE_PATH = "/tmp/denemu-selffuzz-escape";

const OLD_ATIME = new Date(1_000_000_000_000);

/** One fuzz case's directories: `$P` and `$T` in scripts stand for `parent` and `tmpCanary`. */
export interface SandboxTree {
  /** the directory holding the root and the canary next to it */
  parent: string;
  /** the guest's `/` (`parent`/root) */
  root: string;
  /** a canary tree directly in /tmp */
  tmpCanary: string;
  /** the guest program's host path (in the root) */
  program: string;
  /** removes everything */
  remove(): void;
}

function canary(dir: string, tag: string) {
  Deno.mkdirSync(join(dir, `${CANARY_NAME}-${tag}-dir`));
  for (const f of [`${CANARY_NAME}-${tag}`, `${CANARY_NAME}-${tag}-dir/${CANARY_NAME}-deep`]) {
    Deno.writeTextFileSync(join(dir, f), `${CANARY_TEXT} ${tag} ${f}`);
    Deno.chmodSync(join(dir, f), 0o640);
    Deno.utimeSync(join(dir, f), OLD_ATIME, new Date());
  }
  Deno.symlinkSync(`${CANARY_NAME}-${tag}`, join(dir, `${CANARY_NAME}-${tag}-link`));
}

/**
 * Makes a fresh tree: `root` holds `bin/fs` (a copy of `guest`), `inside`,
 * `d1/f` and, when `hostile`, links out of it (`out-abs`, `out-dir`,
 * `out-rel`, `out-up`, `out-tmp`, `hl`).
 */
export function makeSandboxTree(guest: string, hostile: boolean): SandboxTree {
  const parent = Deno.realPathSync(Deno.makeTempDirSync({ prefix: "denemu-selffuzz-sandbox-" }));
  const tmpCanary = Deno.realPathSync(Deno.makeTempDirSync({ prefix: "denemu-selffuzz-canary-" }));
  const root = join(parent, "root");
  Deno.mkdirSync(join(root, "bin"), { recursive: true });
  Deno.mkdirSync(join(root, "d1"));
  Deno.writeTextFileSync(join(root, "inside"), "inside");
  Deno.writeTextFileSync(join(root, "d1/f"), "f in d1");
  const program = join(root, "bin/fs");
  Deno.copyFileSync(guest, program);
  Deno.mkdirSync(join(parent, "canary"));
  canary(join(parent, "canary"), "p");
  canary(tmpCanary, "t");
  if (hostile) {
    const secret = join(parent, "canary", `${CANARY_NAME}-p`);
    Deno.symlinkSync(secret, join(root, "out-abs"));
    Deno.symlinkSync(join(parent, "canary"), join(root, "out-dir"));
    Deno.symlinkSync(`../canary/${CANARY_NAME}-p`, join(root, "out-rel"));
    Deno.symlinkSync(`${"../".repeat(9)}${parent.slice(1)}/canary`, join(root, "out-up"));
    Deno.symlinkSync(tmpCanary, join(root, "out-tmp"));
    Deno.linkSync(join(root, "out-abs"), join(root, "hl"));
  }
  const remove = () => {
    Deno.removeSync(parent, { recursive: true });
    Deno.removeSync(tmpCanary, { recursive: true });
  };
  return { parent, root, tmpCanary, program, remove };
}

/** `$P` and `$T` in a script, replaced by this tree's directories. */
export function placeTree(script: string, tree: SandboxTree): string {
  return script.replaceAll("$P", tree.parent).replaceAll("$T", tree.tmpCanary);
}

/**
 * Everything about the tree outside the root a guest could change or read:
 * per entry its type, mode, size, link count, inode, times (a file's access
 * time included; a directory's is not, since this walk reads directories)
 * and link target. Also whether {@linkcode ESCAPE_PATH} exists.
 */
export function fingerprintOutside(tree: SandboxTree): string {
  const rows: string[] = [];
  const walk = (dir: string) => {
    for (const e of [...Deno.readDirSync(dir)].sort((a, b) => a.name < b.name ? -1 : 1)) {
      const path = join(dir, e.name);
      if (path === tree.root) continue;
      const st = Deno.lstatSync(path);
      const times = [st.mtime, st.ctime, st.isFile ? st.atime : null].map((t) => t?.getTime());
      const target = st.isSymlink ? Deno.readLinkSync(path) : "";
      rows.push(`${path} ${st.mode} ${st.size} ${st.nlink} ${st.ino} ${times} ${target}`);
      if (st.isDirectory) walk(path);
    }
  };
  for (const dir of [tree.parent, tree.tmpCanary]) {
    const st = Deno.lstatSync(dir);
    rows.push(`${dir} ${st.mode} ${st.nlink} ${st.ino} ${st.mtime?.getTime()}`);
    walk(dir);
  }
  rows.push(`${ESCAPE_PATH} exists: ${exists(ESCAPE_PATH)}`);
  return rows.join("\n");
}

/** The inode numbers of everything outside the root (a guest's stat must never show one). */
export function outsideInodes(tree: SandboxTree): Set<number> {
  const inodes = new Set<number>();
  const walk = (path: string) => {
    if (path === tree.root) return;
    const st = Deno.lstatSync(path);
    if (st.ino !== null) inodes.add(st.ino);
    if (st.isDirectory) { for (const e of Deno.readDirSync(path)) walk(join(path, e.name)); }
  };
  walk(tree.parent);
  walk(tree.tmpCanary);
  for (const dir of ["/", "/tmp"]) inodes.add(Deno.lstatSync(dir).ino ?? -1);
  return inodes;
}

/** A listing of the root (names, types, modes, sizes, link targets) to compare two runs. */
export function listRoot(root: string): string {
  const rows: string[] = [];
  const walk = (dir: string, rel: string) => {
    for (const e of [...Deno.readDirSync(dir)].sort((a, b) => a.name < b.name ? -1 : 1)) {
      const st = Deno.lstatSync(join(dir, e.name));
      const kind = st.isSymlink ? `-> ${Deno.readLinkSync(join(dir, e.name))}` : "";
      const size = st.isFile ? st.size : "";
      rows.push(`${rel}${e.name} ${st.mode?.toString(8)} ${size} ${st.nlink} ${kind}`);
      if (st.isDirectory) walk(join(dir, e.name), `${rel}${e.name}/`);
    }
  };
  walk(root, "");
  return rows.join("\n");
}

function exists(path: string): boolean {
  try {
    Deno.lstatSync(path);
    return true;
  } catch {
    return false;
  }
}
