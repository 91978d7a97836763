/**
 * Pseudo-terminals inside the run: each open of /dev/ptmx makes a pair, a
 * master and the slave /dev/pts/N, and the bytes between them go through a
 * line discipline with the essentials of Linux's `n_tty.c`: ICRNL, INLCR,
 * IGNCR on input; canonical editing (ERASE, KILL, EOF, EOL) with ECHO,
 * ECHOE, ECHOK, ECHOKE, ECHOCTL and ECHONL; ISIG's INTR, QUIT and SUSP,
 * which flush the queues and signal the foreground process group; OPOST's
 * ONLCR, OCRNL and ONLRET on output; raw reads by VMIN and VTIME (VTIME
 * alone: the wait for a first byte; with VMIN: the timer between bytes, in
 * virtual time). The pair's termios and window size are one (the master's
 * ioctls act on the slave's, as `tty_pair_get_tty` has it).
 *
 * The master reads EIO once every slave descriptor is closed (POLLHUP); the
 * last close of the master hangs the slave up: its session leader gets
 * SIGHUP and SIGCONT, its reads give 0 and its writes EIO. The ioctls and
 * the /dev files are in `pty_files.ts`.
 *
 * @module
 */

import { E, SysError } from "./errno.ts";
import { O, type OpenFile, POLL, S_IF, spipe, type StatInfo, syntheticStat } from "./fds.ts";
import type { LinuxProcess } from "./process.ts";
import { SIG } from "./signals.ts";

/** termios flag bits (asm-generic, octal as in the headers). */
export const TERMIOS = {
  IGNCR: 0o200,
  ICRNL: 0o400,
  INLCR: 0o100,
  OPOST: 0o1,
  ONLCR: 0o4,
  OCRNL: 0o10,
  ONLRET: 0o40,
  ISIG: 0o1,
  ICANON: 0o2,
  ECHO: 0o10,
  ECHOE: 0o20,
  ECHOK: 0o40,
  ECHONL: 0o100,
  NOFLSH: 0o200,
  TOSTOP: 0o400,
  ECHOCTL: 0o1000,
  ECHOKE: 0o4000,
  IEXTEN: 0o100000,
} as const;

/** Indexes of c_cc. */
export const VC = {
  INTR: 0,
  QUIT: 1,
  ERASE: 2,
  KILL: 3,
  EOF: 4,
  TIME: 5,
  MIN: 6,
  SUSP: 10,
  EOL: 11,
  EOL2: 16,
};

/** A pty's termios: the four flag words, c_line and the 19 control characters. */
export interface Termios {
  iflag: number;
  oflag: number;
  cflag: number;
  lflag: number;
  line: number;
  cc: Uint8Array;
}

/** A pts slave's termios when made (tty_std_termios, cflag B38400|CS8|CREAD). */
function stdTermios(): Termios {
  const cc = new Uint8Array(19);
  cc.set([3, 28, 127, 21, 4, 0, 1, 0, 17, 19, 26, 0, 18, 15, 23, 22, 0]);
  return { iflag: 0o2400, oflag: 0o5, cflag: 0o277, lflag: 0o105073, line: 0, cc };
}

/** How many bytes each way wait before a writer must (N_TTY_BUF_SIZE, and the pty's buffer). */
const INPUT_LIMIT = 4095, OUTPUT_LIMIT = 65536;
/** si_code of a signal the kernel raises. */
const SI_KERNEL = 0x80;

/**
 * The two sides of one pseudo-terminal and what waits between them.
 *
 * @example
 * ```ts
 * import { Pty } from "./pty.ts";
 * const t = new Pty(0);
 * t.fromMaster(new TextEncoder().encode("ab\x7fc\n"));
 * console.log(JSON.stringify(String.fromCharCode(...t.toMaster))); // "ab\b \bc\r\n"
 * ```
 */
export class Pty {
  termios = stdTermios();
  rows = 0;
  cols = 0;
  locked = true;
  /** the session whose controlling terminal it is (0: none), and its foreground group */
  session = 0;
  pgrp = 0;
  /** bytes the master will read */
  toMaster: number[] = [];
  /** canonical mode: completed lines (an EOF ends one without a terminator), the line in edit */
  lines: number[][] = [];
  edit: number[] = [];
  /** raw mode: the bytes the slave will read */
  raw: number[] = [];
  masters = 0;
  slaves = 0;
  /** a slave was opened and every one is closed since (the master reads EIO) */
  otherClosed = false;
  hungUp = false;
  /** processes of the session that gave the terminal up (TIOCNOTTY) */
  readonly detached = new WeakSet<LinuxProcess>();
  /** the processes of the run, for the signals the terminal sends */
  processes: () => LinuxProcess[] = () => [];
  /** the run's monotonic time; when a raw read waiting by VTIME ends, and the bytes it had */
  now: () => bigint = () => 0n;
  vtimeEnd: bigint | undefined;
  vtimeBytes = 0;

  /** puts the pair back in its table (a snapshot restored after the index was freed) */
  relist: () => void = () => {};

  constructor(readonly index: number) {}

  /** Saves what a snapshot needs (termios, size, queues, session, lock, open ends); returns the restore. */
  capture(): () => void {
    const saved = copyState(this);
    return () => {
      Object.assign(this, copyState(saved));
      this.relist();
    };
  }

  /** A session holds the terminal while its leader lives (the leader's exit frees it: disassociate_ctty). */
  get taken(): boolean {
    return this.session !== 0 && this.processes().some((q) => q.pid === this.session && !q.exited);
  }

  get canonical(): boolean {
    return (this.termios.lflag & TERMIOS.ICANON) !== 0;
  }

  /** The bytes a read of the slave may take now (canonical: the first line's). */
  get readable(): number {
    return this.canonical ? (this.lines[0]?.length ?? 0) : this.raw.length;
  }

  /** The bytes the slave's FIONREAD counts. */
  get pending(): number {
    return this.canonical ? this.lines.reduce((n, l) => n + l.length, 0) : this.raw.length;
  }

  /** Sets the termios; a change of ICANON turns the waiting bytes into the other mode's. */
  setTermios(t: Termios, flush: boolean): void {
    const wasCanon = this.canonical;
    this.termios = t;
    if (flush) this.flushInput();
    if (wasCanon && !this.canonical) {
      this.raw = [...this.lines.flat(), ...this.edit];
      this.lines = [];
      this.edit = [];
    } else if (!wasCanon && this.canonical) {
      this.edit = this.raw;
      this.raw = [];
    }
  }

  flushInput(): void {
    this.lines = [];
    this.edit = [];
    this.raw = [];
  }

  /** Bytes the master writes, through the line discipline; how many it took. */
  fromMaster(bytes: Uint8Array): number {
    let n = 0;
    for (; n < bytes.length; n++) {
      if (this.pending + this.edit.length >= INPUT_LIMIT) break;
      this.#receive(bytes[n]);
    }
    if (n === 0 && bytes.length) throw new SysError(E.EAGAIN);
    return n;
  }

  #receive(c: number): void {
    const { iflag, lflag, cc } = this.termios;
    if (c === 13 && iflag & TERMIOS.IGNCR) return;
    if (c === 13 && iflag & TERMIOS.ICRNL) c = 10;
    else if (c === 10 && iflag & TERMIOS.INLCR) c = 13;
    if (lflag & TERMIOS.ISIG) {
      const signal = c === cc[VC.INTR]
        ? SIG.SIGINT
        : c === cc[VC.QUIT]
        ? SIG.SIGQUIT
        : c === cc[VC.SUSP]
        ? SIG.SIGTSTP
        : 0;
      if (signal && c !== 0) return this.#signalChar(c, signal);
    }
    if (!this.canonical) {
      this.raw.push(c);
      if (lflag & TERMIOS.ECHO) this.#echo(c);
      return;
    }
    if (c !== 0 && c === cc[VC.ERASE]) return this.#erase(1);
    if (c !== 0 && c === cc[VC.KILL]) return this.#kill();
    if (c !== 0 && c === cc[VC.EOF]) return this.#endLine();
    const eol = c === 10 || (c !== 0 && (c === cc[VC.EOL] || c === cc[VC.EOL2]));
    if (lflag & TERMIOS.ECHO || (c === 10 && lflag & TERMIOS.ECHONL)) this.#echo(c);
    this.edit.push(c);
    if (eol) this.#endLine();
  }

  #endLine(): void {
    this.lines.push(this.edit);
    this.edit = [];
  }

  /** INTR, QUIT or SUSP: the queues flushed (unless NOFLSH), the character echoed, the group signalled. */
  #signalChar(c: number, signal: number): void {
    if (!(this.termios.lflag & TERMIOS.NOFLSH)) {
      this.flushInput();
      this.toMaster = [];
    }
    if (this.termios.lflag & TERMIOS.ECHO) this.#echo(c);
    this.signalGroup(signal);
  }

  /** Sends `signal` to the foreground process group. */
  signalGroup(signal: number): void {
    if (!this.pgrp) return;
    for (const q of this.processes()) {
      if (q.pgid === this.pgrp && !q.exited) q.sendSignal({ signal, code: SI_KERNEL });
    }
  }

  /**
   * Its session's leader gives the terminal up (disassociate_ctty, by
   * TIOCNOTTY or on exit): SIGHUP to the foreground group (and SIGCONT but
   * on exit), and no process of the session has it as its terminal any more.
   */
  disassociate(onExit: boolean): void {
    this.signalGroup(SIG.SIGHUP);
    if (!onExit) this.signalGroup(SIG.SIGCONT);
    this.session = this.pgrp = 0;
  }

  /** Echoes `c`: a control character as ^X under ECHOCTL (but tab and newline). */
  #echo(c: number): void {
    const ctl = (c < 32 || c === 127) && c !== 9 && c !== 10;
    if (ctl && this.termios.lflag & TERMIOS.ECHOCTL) this.#output([94, c ^ 64]);
    else this.#output([c]);
  }

  /** ERASE of the last `count` characters of the line in edit. */
  #erase(count: number): void {
    const { lflag, cc } = this.termios;
    for (let i = 0; i < count && this.edit.length; i++) {
      const c = this.edit.pop()!;
      if (!(lflag & TERMIOS.ECHO)) continue;
      if (!(lflag & TERMIOS.ECHOE)) {
        this.#echo(cc[VC.ERASE]);
        continue;
      }
      const wide = (c < 32 || c === 127) && c !== 9 && (lflag & TERMIOS.ECHOCTL) !== 0;
      for (let k = wide ? 2 : 1; k > 0; k--) this.#output([8, 32, 8]);
    }
  }

  /** KILL: erases the line in edit, visibly with ECHOK, ECHOKE and ECHOE, else echoes it. */
  #kill(): void {
    const { lflag, cc } = this.termios, all = TERMIOS.ECHOK | TERMIOS.ECHOKE | TERMIOS.ECHOE;
    if (!this.edit.length) return;
    if ((lflag & all) === all && lflag & TERMIOS.ECHO) return this.#erase(this.edit.length);
    this.edit = [];
    if (!(lflag & TERMIOS.ECHO)) return;
    this.#echo(cc[VC.KILL]);
    if (lflag & TERMIOS.ECHOK) this.#output([10]);
  }

  /** Bytes toward the master through OPOST's processing. */
  #output(bytes: Iterable<number>): void {
    const o = this.termios.oflag, post = (o & TERMIOS.OPOST) !== 0;
    for (const c of bytes) {
      if (post && c === 10 && o & TERMIOS.ONLCR) this.toMaster.push(13, 10);
      else if (post && c === 13 && o & TERMIOS.OCRNL) this.toMaster.push(10);
      else this.toMaster.push(c);
    }
  }

  /** Bytes the slave writes; how many it took (EAGAIN: the master's side is full). */
  fromSlave(bytes: Uint8Array): number {
    const room = OUTPUT_LIMIT - this.toMaster.length;
    if (room <= 0 && bytes.length) throw new SysError(E.EAGAIN);
    const n = Math.min(room, bytes.length);
    this.#output(bytes.subarray(0, n));
    return n;
  }

  /** A read of the slave: a line (canonical) or what VMIN asks for. */
  toSlave(buf: Uint8Array): number {
    if (this.canonical) {
      const line = this.lines[0];
      if (!line) throw new SysError(E.EAGAIN);
      const n = Math.min(buf.length, line.length);
      buf.set(line.splice(0, n));
      if (!line.length) this.lines.shift();
      return n;
    }
    const min = this.termios.cc[VC.MIN], time = this.termios.cc[VC.TIME], have = this.raw.length;
    if (min ? have < Math.min(min, buf.length) : !have && time) this.#await(min, time);
    this.vtimeEnd = undefined;
    const n = Math.min(buf.length, have);
    buf.set(this.raw.splice(0, n));
    return n;
  }

  /**
   * A raw read waits (EAGAIN) for more bytes: by VTIME alone (VMIN 0) that
   * many tenths of a second for a first byte, with VMIN and VTIME for VMIN
   * bytes but, once one came, no longer than VTIME after the last (virtual time).
   */
  #await(min: number, time: number): void {
    const have = this.raw.length;
    if (!time || (min && !have)) throw new SysError(E.EAGAIN);
    if (min && have !== this.vtimeBytes) this.vtimeEnd = undefined; // a byte came: the timer restarts
    this.vtimeBytes = have;
    this.vtimeEnd ??= this.now() + BigInt(time) * 100_000_000n;
    if (this.now() < this.vtimeEnd) throw new SysError(E.EAGAIN);
  }

  /** The master's last close: the slave hangs up, and its session leader gets SIGHUP and SIGCONT. */
  hangUp(): void {
    this.hungUp = true;
    const leader = this.processes().find((q) => q.pid === this.session && !q.exited);
    if (leader) {
      leader.sendSignal({ signal: SIG.SIGHUP, code: SI_KERNEL });
      leader.sendSignal({ signal: SIG.SIGCONT, code: SI_KERNEL });
    }
    this.session = this.pgrp = 0;
  }
}

/** The state of a {@linkcode Pty} a snapshot keeps. */
type PtyState = Pick<
  Pty,
  | "termios"
  | "rows"
  | "cols"
  | "locked"
  | "session"
  | "pgrp"
  | "toMaster"
  | "lines"
  | "edit"
  | "raw"
  | "masters"
  | "slaves"
  | "otherClosed"
  | "hungUp"
  | "vtimeEnd"
  | "vtimeBytes"
>;

/** A copy of `t`'s state that shares no array with it. */
function copyState(t: PtyState): PtyState {
  const { rows, cols, locked, session, pgrp, masters, slaves, otherClosed, hungUp } = t;
  return {
    termios: { ...t.termios, cc: t.termios.cc.slice() },
    ...{ rows, cols, locked, session, pgrp, masters, slaves, otherClosed, hungUp },
    toMaster: [...t.toMaster],
    lines: t.lines.map((l) => [...l]),
    edit: [...t.edit],
    raw: [...t.raw],
    vtimeEnd: t.vtimeEnd,
    vtimeBytes: t.vtimeBytes,
  };
}

/** Saves an end of a pty for a snapshot: its status flags and the pair's state. */
function captureEnd(f: PtyMaster | PtySlave): () => void {
  const flags = f.statusFlags, restore = f.pty.capture();
  return () => {
    f.statusFlags = flags;
    restore();
  };
}

/** The st_rdev of pts slave `n` (major 136) and of /dev/ptmx (5:2), as new_encode_dev packs them. */
export function ptsRdev(n: number): bigint {
  return BigInt((n & 0xff) | (136 << 8) | ((n & ~0xff) << 12));
}

/**
 * The master side of a {@linkcode Pty}: an open of /dev/ptmx.
 *
 * @example
 * ```ts ignore
 * p.fds.install(new PtyMaster(p.world.ptys.create(), O.RDWR), cloexec);
 * ```
 */
export class PtyMaster implements OpenFile {
  readonly isTty = true;
  constructor(readonly pty: Pty, public statusFlags: number, readonly guestPath = "/dev/ptmx") {
    pty.masters++;
  }
  read(buf: Uint8Array): number {
    const t = this.pty;
    if (!t.toMaster.length) throw new SysError(t.otherClosed ? E.EIO : E.EAGAIN);
    const n = Math.min(buf.length, t.toMaster.length);
    buf.set(t.toMaster.splice(0, n));
    return n;
  }
  write(buf: Uint8Array): number {
    return this.pty.fromMaster(buf);
  }
  seek(): number {
    return spipe();
  }
  stat(): StatInfo {
    return { ...syntheticStat(S_IF.CHR | 0o666), rdev: BigInt(5 << 8 | 2) };
  }
  capture(): () => void {
    return captureEnd(this);
  }
  close(): void {
    if (--this.pty.masters === 0) this.pty.hangUp();
  }
  readiness(): number {
    const t = this.pty;
    const room = t.pending + t.edit.length < INPUT_LIMIT;
    return (t.toMaster.length ? POLL.IN : 0) | (room ? POLL.OUT : 0) |
      (t.otherClosed ? POLL.HUP : 0);
  }
}

/**
 * The slave side of a {@linkcode Pty}: an open of /dev/pts/N (or of
 * /dev/tty, or TIOCGPTPEER).
 *
 * @example
 * ```ts ignore
 * p.fds.install(new PtySlave(pty, O.RDWR), cloexec);
 * ```
 */
export class PtySlave implements OpenFile {
  readonly isTty = true;
  readonly guestPath: string;
  constructor(readonly pty: Pty, public statusFlags: number) {
    if (pty.locked) throw new SysError(E.EIO);
    pty.slaves++;
    pty.otherClosed = false;
    this.guestPath = `/dev/pts/${pty.index}`;
  }
  read(buf: Uint8Array): number {
    if (this.pty.hungUp) return 0;
    return this.pty.toSlave(buf);
  }
  write(buf: Uint8Array): number {
    if (this.pty.hungUp) throw new SysError(E.EIO);
    return this.pty.fromSlave(buf);
  }
  seek(): number {
    return spipe();
  }
  stat(): StatInfo {
    return ptsStat(this.pty.index);
  }
  nextEventNs(): bigint | undefined {
    return this.pty.vtimeEnd;
  }
  capture(): () => void {
    return captureEnd(this);
  }
  close(): void {
    if (--this.pty.slaves === 0) this.pty.otherClosed = true;
  }
  readiness(): number {
    const t = this.pty;
    if (t.hungUp) return POLL.IN | POLL.OUT | POLL.ERR | POLL.HUP;
    // without VTIME, raw input is ready at VMIN bytes (input_available_p)
    const { cc } = t.termios, min = t.canonical || cc[VC.TIME] ? 1 : Math.max(1, cc[VC.MIN]);
    const room = t.toMaster.length < OUTPUT_LIMIT;
    return (t.readable >= min ? POLL.IN : 0) | (room ? POLL.OUT : 0);
  }
}

/** The stat of /dev/pts/N: a character device, crw--w---- as devpts makes it. */
export function ptsStat(n: number): StatInfo {
  return { ...syntheticStat(S_IF.CHR | 0o620), rdev: ptsRdev(n), ino: BigInt(n + 3), gid: 5 };
}

/**
 * The pseudo-terminals of a run, by index: an index is free again once
 * neither side of its pair is open.
 *
 * @example
 * ```ts
 * import { PtyTable } from "./pty.ts";
 * const ptys = new PtyTable(() => []);
 * console.log(ptys.create().index, ptys.create().index); // 0 1
 * ```
 */
export class PtyTable {
  readonly #all = new Map<number, Pty>();
  constructor(readonly processes: () => LinuxProcess[], readonly now: () => bigint = () => 0n) {}

  /** A new pair at the lowest free index. */
  create(): Pty {
    for (const [i, t] of this.#all) if (!t.masters && !t.slaves) this.#all.delete(i);
    let i = 0;
    while (this.#all.has(i)) i++;
    const t = new Pty(i);
    t.processes = this.processes;
    t.now = this.now;
    t.relist = () => this.#all.set(i, t);
    this.#all.set(i, t);
    return t;
  }

  /** The pair of /dev/pts/`index` while its master is open. */
  get(index: number): Pty | undefined {
    const t = this.#all.get(index);
    return t && t.masters > 0 ? t : undefined;
  }

  /** The indexes /dev/pts lists. */
  indexes(): number[] {
    return [...this.#all.keys()].filter((i) => this.get(i)).sort((a, b) => a - b);
  }

  /** Session leader `p` exits: its terminal leaves the session (disassociate_ctty(1)). */
  leaderExited(p: LinuxProcess): void {
    if (p.pid === p.sid) this.controlling(p)?.disassociate(true);
  }

  /** The controlling terminal of `p`: the pair whose session is `p`'s, unless `p` gave it up. */
  controlling(p: LinuxProcess): Pty | undefined {
    for (const t of this.#all.values()) {
      if (t.session === p.sid && !t.detached.has(p)) return t;
    }
    return undefined;
  }
}

/** O_ACCMODE and O_NONBLOCK of open flags, a pty file's status flags. */
export const ptyStatus = (flags: number): number => flags & (O.ACCMODE | O.NONBLOCK);
