/**
 * The guest's /dev/ptmx, /dev/pts and /dev/tty, and the terminal ioctls of
 * the pairs in `pty.ts`. These paths are the run's own, never the host's
 * (qemu-user hands the host's ptys over; here they live in the emulator),
 * so they exist under `--root` too. /dev/tty is the controlling pty, when
 * the process has one; else the path resolves as any other.
 *
 * The ioctls follow `tty_io.c` and `tty_jobctrl.c`: TIOCGPGRP, TIOCSPGRP
 * and TIOCGSID of a slave need it to be the caller's controlling terminal
 * (ENOTTY), TIOCSCTTY a session leader without one (EPERM), and a
 * TIOCSWINSZ that changes the size sends SIGWINCH to the foreground group.
 *
 * @module
 */

import { E, SysError } from "./errno.ts";
import { DirFile, type OpenFile, S_IF, type StatInfo, syntheticStat } from "./fds.ts";
import { get, put, StructWriter } from "./syscall.ts";
import type { LinuxProcess } from "./process.ts";
import { ptsStat, type Pty, PtyMaster, PtySlave, ptyStatus, TERMIOS, type Termios } from "./pty.ts";
import { SA, SIG, SIG_DFL, SIG_IGN, signalName } from "./signals.ts";
import { Blocking, RESTART } from "./threads.ts";

/** The O_NOCTTY open flag. */
const O_NOCTTY = 0x100;

/** The pty a guest path names: the table of /dev/pts, a slave, or null for other paths. */
function ptsPath(p: LinuxProcess, abs: string): "dir" | Pty | null {
  const path = abs.replace(/\/+/g, "/").replace(/(.)\/$/, "$1");
  if (path === "/dev/pts") return "dir";
  const m = /^\/dev\/pts\/(\d+)$/.exec(path);
  if (!m) return null;
  const t = p.world.ptys.get(Number(m[1]));
  if (!t) throw new SysError(E.ENOENT);
  return t;
}

/**
 * Opens /dev/ptmx (a new pair's master), /dev/pts, /dev/pts/N or the
 * controlling /dev/tty; null for any other path. A session leader without a
 * controlling terminal that opens a slave without O_NOCTTY gets it as one.
 *
 * @example
 * ```ts ignore
 * const f = openPty(p, "/dev/ptmx", O.RDWR); // a PtyMaster
 * ```
 */
export function openPty(p: LinuxProcess, abs: string, flags: number): OpenFile | null {
  const path = abs.replace(/\/+/g, "/");
  if (path === "/dev/ptmx") return new PtyMaster(p.world.ptys.create(), ptyStatus(flags));
  if (path === "/dev/tty") {
    const own = p.world.ptys.controlling(p);
    return own ? new PtySlave(own, ptyStatus(flags)) : null;
  }
  const at = ptsPath(p, path);
  if (at === null) return null;
  if (at === "dir") {
    const entries = [".", "..", "ptmx", ...p.world.ptys.indexes().map(String)];
    const list = () =>
      entries.map((name, i) => ({ name, ino: BigInt(i + 1), type: i < 2 ? 4 : 2 }));
    return new DirFile("/dev/pts", "/dev/pts", list(), devPtsStat(), list);
  }
  const f = new PtySlave(at, ptyStatus(flags));
  if (!(flags & O_NOCTTY) && p.pid === p.sid && !at.taken && !p.world.ptys.controlling(p)) {
    at.session = p.sid;
    at.pgrp = p.pgid;
  }
  return f;
}

function devPtsStat(): StatInfo {
  return { ...syntheticStat(S_IF.DIR | 0o755), ino: 1n };
}

/** The stat of /dev/pts or /dev/pts/N; null for other paths. */
export function statPty(p: LinuxProcess, abs: string): StatInfo | null {
  const at = ptsPath(p, abs);
  return at === null ? null : at === "dir" ? devPtsStat() : ptsStat(at.index);
}

/** Whether no member of `p`'s group has a parent in another group of its session (is_current_pgrp_orphaned). */
function orphanedGroup(p: LinuxProcess): boolean {
  const members = p.world.processes.filter((q) => q.pgid === p.pgid && !q.exited);
  return !members.some((q) => q.parent && q.parent.pgid !== p.pgid && q.parent.sid === p.sid);
}

/**
 * A process of a background group uses its controlling terminal
 * (__tty_check_change): a read (`signal` SIGTTIN) fails with EIO when
 * SIGTTIN is ignored or blocked, a change (SIGTTOU: TCSETS, TIOCSPGRP, a
 * write under TOSTOP) then goes ahead (null); an orphaned group gets EIO;
 * else the signal goes to the group and the call ends at once as Linux's
 * ERESTARTSYS does: EINTR after a handler without SA_RESTART, else it runs
 * again (after the handler, or once SIGCONT continues the stopped process).
 *
 * @example
 * ```ts ignore
 * const stop = background(p, f.pty, SIG.SIGTTIN);
 * if (stop) return stop;
 * ```
 */
export function background(p: LinuxProcess, t: Pty, signal: number): Blocking | null {
  if (!t.pgrp || p.pgid === t.pgrp || p.world.ptys.controlling(p) !== t) return null;
  const act = p.signals.actions[signal];
  const blocked = (p.signals.blocked >> BigInt(signal - 1)) & 1n;
  if (act.handler === SIG_IGN || blocked) {
    if (signal === SIG.SIGTTIN) throw new SysError(E.EIO);
    return null;
  }
  if (orphanedGroup(p)) throw new SysError(E.EIO);
  for (const q of p.world.processes) {
    if (q.pgid === p.pgid && !q.exited) q.sendSignal({ signal, code: 0x80 });
  }
  // the program started never stops (job_control.ts): running the call again would never end
  const stops = act.handler === SIG_DFL && p.world.root !== p;
  const restart = stops || (act.handler !== SIG_DFL && act.flags & SA.RESTART);
  const result = restart ? RESTART : -E.EINTR;
  return new Blocking(`${signalName(signal)} to a background group`, () => result);
}

/**
 * The check of {@linkcode background} for a read (SIGTTIN) or write (SIGTTOU,
 * under TOSTOP) of `f`, when it is a pty slave.
 *
 * @example
 * ```ts ignore
 * return jobControl(p, f, SIG.SIGTTIN) ?? orWait(p, f, () => readInto(p, f, addr, n));
 * ```
 */
export function jobControl(p: LinuxProcess, f: OpenFile, signal: number): Blocking | null {
  if (!(f instanceof PtySlave)) return null;
  if (signal === SIG.SIGTTOU && !(f.pty.termios.lflag & TERMIOS.TOSTOP)) return null;
  return background(p, f.pty, signal);
}

/** The requests that change the terminal, which a background group may not make (tty_check_change). */
const CHANGES = new Set([0x5402, 0x5403, 0x5404, 0x540a, 0x540b, 0x5410]);

const TCGETS = 0x5401, TCSETS = 0x5402, TCSETSW = 0x5403, TCSETSF = 0x5404;
const TCSBRK = 0x5409, TCXONC = 0x540a, TCFLSH = 0x540b, TIOCSCTTY = 0x540e;
const TIOCGPGRP = 0x540f, TIOCSPGRP = 0x5410, TIOCOUTQ = 0x5411;
const TIOCGWINSZ = 0x5413, TIOCSWINSZ = 0x5414, FIONREAD = 0x541b, TIOCNOTTY = 0x5422;
const TIOCGSID = 0x5429, TIOCGPTN = 0x80045430, TIOCSPTLCK = 0x40045431, TIOCGPTPEER = 0x5441;

const readInt = (p: LinuxProcess, addr: bigint) =>
  new DataView(get(p, addr, 4).buffer).getInt32(0, true);
const putInt = (p: LinuxProcess, addr: bigint, v: number) =>
  put(p, addr, new StructWriter(4).u32(0, v).bytes);

function getTermios(p: LinuxProcess, t: Pty, addr: bigint): number {
  const { iflag, oflag, cflag, lflag, line, cc } = t.termios;
  const w = new StructWriter(36).u32(0, iflag).u32(4, oflag).u32(8, cflag).u32(12, lflag);
  w.bytes[16] = line;
  w.bytes.set(cc, 17);
  put(p, addr, w.bytes);
  return 0;
}

function readTermios(p: LinuxProcess, addr: bigint): Termios {
  const b = get(p, addr, 36), dv = new DataView(b.buffer, b.byteOffset);
  const u = (o: number) => dv.getUint32(o, true);
  return { iflag: u(0), oflag: u(4), cflag: u(8), lflag: u(12), line: b[16], cc: b.slice(17, 36) };
}

/** TIOCSWINSZ: a new size signals SIGWINCH to the foreground group (tty_do_resize). */
function setWinsize(p: LinuxProcess, t: Pty, addr: bigint): number {
  const dv = new DataView(get(p, addr, 8).buffer);
  const rows = dv.getUint16(0, true), cols = dv.getUint16(2, true);
  if (rows === t.rows && cols === t.cols) return 0;
  t.rows = rows;
  t.cols = cols;
  t.signalGroup(SIG.SIGWINCH);
  return 0;
}

/** The ioctls only a master has: TIOCGPTN, TIOCSPTLCK, TIOCGPTPEER. */
function masterIoctl(p: LinuxProcess, f: PtyMaster, req: number, arg: bigint): number | null {
  const t = f.pty;
  if (req === TIOCGPTN) return (putInt(p, arg, t.index), 0);
  if (req === TIOCSPTLCK) return (t.locked = readInt(p, arg) !== 0, 0);
  if (req !== TIOCGPTPEER) return null;
  const flags = Number(arg);
  return p.fds.install(new PtySlave(t, ptyStatus(flags)), (flags & 0x80000) !== 0);
}

/** TIOCSCTTY: a session leader without a terminal takes one no other session has (tiocsctty). */
function setCtty(p: LinuxProcess, t: Pty): number {
  if (t.session === p.sid && p.pid === p.sid) return 0;
  if (p.pid !== p.sid || p.world.ptys.controlling(p) || t.taken) throw new SysError(E.EPERM);
  t.session = p.sid;
  t.pgrp = p.pgid;
  return 0;
}

/** TIOCSPGRP (tiocspgrp): a group of the terminal's session becomes the foreground. */
function setPgrp(p: LinuxProcess, t: Pty, addr: bigint): number {
  const pgrp = readInt(p, addr);
  if (pgrp < 0) throw new SysError(E.EINVAL);
  const members = p.world.processes.filter((q) => q.pgid === pgrp && !q.exited);
  if (!members.length) throw new SysError(E.ESRCH);
  if (members.some((q) => q.sid !== t.session)) throw new SysError(E.EPERM);
  t.pgrp = pgrp;
  return 0;
}

/** TIOCNOTTY: a session leader gives its terminal up (SIGHUP, SIGCONT to the foreground group), any other process just its own. */
function noTty(p: LinuxProcess, t: Pty): number {
  if (p.pid !== p.sid) {
    t.detached.add(p);
    return 0;
  }
  t.disassociate(false);
  return 0;
}

/** The job-control ioctls, which a slave answers only to its session (ENOTTY). */
function jobIoctl(p: LinuxProcess, f: PtyMaster | PtySlave, req: number, arg: bigint): number {
  const t = f.pty, mine = p.world.ptys.controlling(p) === t;
  if (req === TIOCSCTTY) return setCtty(p, t);
  if (!mine && (f instanceof PtySlave || req !== TIOCGPGRP)) throw new SysError(E.ENOTTY);
  switch (req) {
    case TIOCGPGRP:
      return (putInt(p, arg, t.pgrp), 0);
    case TIOCSPGRP:
      return setPgrp(p, t, arg);
    case TIOCGSID:
      return (putInt(p, arg, t.session), 0);
    case TIOCNOTTY:
      return noTty(p, t);
  }
  throw new SysError(E.ENOTTY);
}

/**
 * The ioctl `req` (argument `arg`) on a pty's master or slave.
 *
 * @example
 * ```ts ignore
 * if (f instanceof PtyMaster || f instanceof PtySlave) return ptyIoctl(p, f, req, a[2]);
 * ```
 */
export function ptyIoctl(
  p: LinuxProcess,
  f: PtyMaster | PtySlave,
  req: number,
  arg: bigint,
): number | Blocking {
  const t = f.pty;
  if (f instanceof PtySlave && t.hungUp) throw new SysError(E.EIO);
  const stop = CHANGES.has(req) ? background(p, t, SIG.SIGTTOU) : null;
  if (stop) return stop;
  const own = f instanceof PtyMaster ? masterIoctl(p, f, req, arg) : null;
  if (own !== null) return own;
  switch (req) {
    case TCGETS:
      return getTermios(p, t, arg);
    case TCSETS:
    case TCSETSW:
    case TCSETSF:
      return (t.setTermios(readTermios(p, arg), req === TCSETSF), 0);
    case TIOCGWINSZ:
      return (put(p, arg, new StructWriter(8).u16(0, t.rows).u16(2, t.cols).bytes), 0);
    case TIOCSWINSZ:
      return setWinsize(p, t, arg);
    case FIONREAD:
      return (putInt(p, arg, f instanceof PtyMaster ? t.toMaster.length : t.pending), 0);
    case TIOCOUTQ:
      return (putInt(p, arg, 0), 0);
    case TCSBRK:
    case TCXONC:
      return 0;
    case TCFLSH: {
      const which = Number(arg);
      if (which < 0 || which > 2) throw new SysError(E.EINVAL);
      // TCIFLUSH (0) flushes what the side reads, TCOFLUSH (1) what it wrote, TCIOFLUSH both
      const slave = f instanceof PtySlave;
      if (which !== 1) slave ? t.flushInput() : t.toMaster = [];
      if (which !== 0) slave ? t.toMaster = [] : t.flushInput();
      return 0;
    }
  }
  return jobIoctl(p, f, req, arg);
}
