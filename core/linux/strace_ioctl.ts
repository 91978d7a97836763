/**
 * ioctl's `-strace` lines as qemu-riscv64 7.2 prints them: a known request by name with what it
 * reads (an int, a `struct termios`, a `struct winsize`) before the call, what it wrote after the
 * result, and an unknown request and its argument as QEMU's `%#x` (the low 32 bits).
 *
 * @module
 */

import type { LinuxProcess } from "./process.ts";
import { flags, IOCTLS, ptr } from "./strace_args.ts";

/** Requests with no argument (FIONCLEX, FIOCLEX). */
const NO_ARGUMENT = new Set([0x5450, 0x5451]);
/** Requests QEMU knows as taking a plain int (TIOCSCTTY): the argument as is. */
const TIOCSCTTY = 0x540e;

/** How a known request's argument is read: an int or a struct, and whether in, out or both. */
interface ArgumentShape {
  readonly size: number;
  readonly format: (b: Uint8Array) => string;
  readonly direction: "in" | "out";
}

const int32 = (b: Uint8Array) => `${new DataView(b.buffer, b.byteOffset, 4).getInt32(0, true)}`;

/** `struct winsize` as QEMU's thunk prints it: `{rows,cols,xpixel,ypixel}`. */
function winsize(b: Uint8Array): string {
  const dv = new DataView(b.buffer, b.byteOffset, 8);
  return `{${[0, 2, 4, 6].map((at) => dv.getUint16(at, true)).join(",")}}`;
}

const bits = (names: string[]): [number, string][] => names.map((n, i) => [1 << i, n]);
const I_FLAGS = bits([
  "IGNBRK",
  "BRKINT",
  "IGNPAR",
  "PARMRK",
  "INPCK",
  "ISTRIP",
  "INLCR",
  "IGNCR",
  "ICRNL",
  "IUCLC",
  "IXON",
  "IXANY",
  "IXOFF",
  "IMAXBEL",
  "IUTF8",
]);
const O_FLAGS = bits(["OPOST", "OLCUC", "ONLCR", "OCRNL", "ONOCR", "ONLRET", "OFILL", "OFDEL"]);
const C_FLAGS: [number, string][] = [
  [0x40, "CSTOPB"],
  [0x80, "CREAD"],
  [0x100, "PARENB"],
  [0x200, "PARODD"],
  [0x400, "HUPCL"],
  [0x800, "CLOCAL"],
  [0x80000000, "CRTSCTS"],
];
const L_FLAGS: [number, string][] = [
  ...bits([
    "ISIG",
    "ICANON",
    "XCASE",
    "ECHO",
    "ECHOE",
    "ECHOK",
    "ECHONL",
    "NOFLSH",
    "TOSTOP",
    "ECHOCTL",
    "ECHOPRT",
    "ECHOKE",
    "FLUSHO",
  ]),
  [0x4000, "PENDIN"],
  [0x8000, "IEXTEN"],
  [0x10000, "EXTPROC"],
];

/** c_oflag's delay fields: mask, and the names of their values from 0 up (by the mask's step). */
const O_DELAYS: [number, string[]][] = [
  [0x100, ["NL0", "NL1"]],
  [0x600, ["CR0", "CR1", "CR2", "CR3"]],
  [0x1800, ["TAB0", "TAB1", "TAB2", "TAB3"]],
  [0x2000, ["BS0", "BS1"]],
  [0x4000, ["VT0", "VT1"]],
  [0x8000, ["FF0", "FF1"]],
];
const CBAUD = 0x100f, CSIZE = 0x30;
const BAUDS = [0, 50, 75, 110, 134, 150, 200, 300, 600, 1200, 1800, 2400, 4800, 9600, 19200, 38400];
const HIGH_BAUDS = [57600, 115200, 230400, 460800];

/** A field value QEMU's print_enums names, or its `%#x`. */
function enumName(value: number, name: string | undefined): string {
  return name ?? `0x${value.toString(16)}`;
}

function baudName(v: number): string | undefined {
  if (v < 16) return `B${BAUDS[v]}`;
  const high = HIGH_BAUDS[v - 0x1001];
  return high === undefined ? undefined : `B${high}`;
}

/** A field's value in units of its mask's lowest bit. */
const step = (v: number, mask: number) => (v & mask) / (mask & -mask);

/**
 * `struct termios` (the kernel's: four flag words, c_line, c_cc[19]) as QEMU's print_termios
 * prints it: the flag words by name, each delay, baud and size field that is not zero as its
 * own item, c_cc up to its first NUL and c_line as a character, both raw.
 */
function termios(b: Uint8Array): string {
  const dv = new DataView(b.buffer, b.byteOffset, 36);
  const [i, o, c, l] = [0, 4, 8, 12].map((at) => dv.getUint32(at, true));
  const delayMask = O_DELAYS.reduce((m, [mask]) => m | mask, 0);
  const oflag = [flags(o & ~delayMask, O_FLAGS, "0")];
  for (const [mask, names] of O_DELAYS) {
    if (o & mask) oflag.push(enumName(o & mask, names[step(o, mask)]));
  }
  const cflag: string[] = [];
  if (c & CBAUD) cflag.push(enumName(c & CBAUD, baudName(c & CBAUD)));
  if (c & CSIZE) cflag.push(`CS${5 + step(c, CSIZE)}`);
  cflag.push(flags(c & ~(CBAUD | CSIZE), C_FLAGS, "0"));
  const cc = b.subarray(17, 36), end = cc.indexOf(0);
  const ccText = String.fromCharCode(...cc.subarray(0, end < 0 ? cc.length : end));
  return `{c_iflag = ${flags(i, I_FLAGS, "0")},c_oflag = ${oflag.join(",")},c_cflag = ${
    cflag.join(",")
  },c_lflag = ${flags(l, L_FLAGS, "0")},c_cc = "${ccText}",c_line = '${
    String.fromCharCode(b[16])
  }'}`;
}

/** The requests whose argument QEMU reads, by request number. */
const SHAPES: Record<number, ArgumentShape> = {
  0x5401: { size: 36, format: termios, direction: "out" }, // TCGETS
  0x5402: { size: 36, format: termios, direction: "in" }, // TCSETS
  0x5403: { size: 36, format: termios, direction: "in" }, // TCSETSW
  0x5404: { size: 36, format: termios, direction: "in" }, // TCSETSF
  0x540f: { size: 4, format: int32, direction: "out" }, // TIOCGPGRP
  0x5410: { size: 4, format: int32, direction: "in" }, // TIOCSPGRP
  0x5413: { size: 8, format: winsize, direction: "out" }, // TIOCGWINSZ
  0x5414: { size: 8, format: winsize, direction: "in" }, // TIOCSWINSZ
  0x541b: { size: 4, format: int32, direction: "out" }, // FIONREAD
  0x5421: { size: 4, format: int32, direction: "in" }, // FIONBIO
  0x40045431: { size: 4, format: int32, direction: "in" }, // TIOCSPTLCK
};

/** What `shape` reads at `addr`, formatted; the pointer when the guest cannot read it. */
function readArgument(p: LinuxProcess, shape: ArgumentShape, addr: bigint): string {
  try {
    return shape.format(p.mem.readBytes(addr, shape.size, "read"));
  } catch {
    return ptr(addr);
  }
}

const request = (a: bigint[]) => Number(BigInt.asUintN(32, a[1]));

/**
 * ioctl's arguments as QEMU 7.2 prints them: the fd, then a known request by name and what it
 * reads, or an unknown one and its argument as `%#x`.
 *
 * @example
 * ```ts ignore
 * ioctlArgs(proc, [1n, 0x5414n, sp]); // ["1", "TIOCSWINSZ", "{24,80,0,0}"]
 * ```
 */
export function ioctlArgs(p: LinuxProcess, a: bigint[]): string[] {
  const req = request(a), name = IOCTLS[req];
  const fd = `${BigInt.asIntN(32, a[0])}`;
  const hex = (v: bigint) => {
    const low = BigInt.asUintN(32, v);
    return low === 0n ? "0" : `0x${low.toString(16)}`;
  };
  if (name === undefined) return [fd, hex(BigInt(req)), hex(a[2])];
  if (NO_ARGUMENT.has(req)) return [fd, name];
  if (req === TIOCSCTTY) return [fd, name, `${BigInt.asIntN(32, a[2])}`];
  const shape = SHAPES[req];
  return [fd, name, shape?.direction === "in" ? readArgument(p, shape, a[2]) : ptr(a[2])];
}

/**
 * What QEMU prints after a successful ioctl's result: ` (value)` of what a reading request
 * wrote, or nothing.
 *
 * @example
 * ```ts ignore
 * ioctlWritten(proc, [0n, 0x5413n, sp]); // " ({24,80,0,0})"
 * ```
 */
export function ioctlWritten(p: LinuxProcess, a: bigint[]): string {
  const shape = SHAPES[request(a)];
  return shape?.direction === "out" ? ` (${readArgument(p, shape, a[2])})` : "";
}
