/**
 * The `-strace` argument printers of the syscalls qemu-riscv64 7.2 prints with code of its own
 * rather than a format: clone, mknodat, socket, bind and the calls that pass a siginfo.
 *
 * @module
 */

import type { LinuxProcess } from "./process.ts";
import { arg, CLONE_FLAGS, flags, qemuSignal } from "./strace_args.ts";
import { siginfoAt } from "./strace_siginfo.ts";

/** An argument printer: the syscall's arguments, formatted. */
export type ArgumentPrinter = (p: LinuxProcess, a: bigint[]) => string[];

const padded = (v: bigint) => `0x${BigInt.asUintN(64, v).toString(16).padStart(16, "0")}`;
const int = (v: bigint) => Number(BigInt.asIntN(32, v));

/** clone's flags (the exit signal in hex, as QEMU's table has no signals) and its pointers. */
function clone(_p: LinuxProcess, a: bigint[]): string[] {
  return [
    flags(int(a[0]), CLONE_FLAGS, "0"),
    `child_stack=${padded(a[1])}`,
    `parent_tidptr=${padded(a[2])}`,
    `tls=${padded(a[3])}`,
    `child_tidptr=${padded(a[4])}`,
  ];
}

/** mknodat's dirfd, path and mode, then `makedev(major,minor)` for a device node. */
function mknodat(p: LinuxProcess, a: bigint[]): string[] {
  const head = [arg(p, "f", a, 0), arg(p, "s", a, 1), arg(p, "m", a, 2)];
  if ((int(a[2]) & 0o060000) === 0) return head;
  const dev = BigInt.asUintN(64, a[3]);
  const major = ((dev >> 8n) & 0xfffn) | ((dev >> 32n) & ~0xfffn);
  const minor = (dev & 0xffn) | ((dev >> 12n) & ~0xffn);
  return [...head, `makedev(${major}`, `${minor})`];
}

const DOMAINS: Record<number, string> = {
  1: "PF_UNIX",
  2: "PF_INET",
  16: "PF_NETLINK",
  17: "PF_PACKET",
};
const TYPES: Record<number, string> = {
  1: "SOCK_STREAM",
  2: "SOCK_DGRAM",
  3: "SOCK_RAW",
  4: "SOCK_RDM",
  5: "SOCK_SEQPACKET",
  10: "SOCK_PACKET",
};
const NETLINK = [
  "NETLINK_ROUTE",
  "NETLINK_UNUSED",
  "NETLINK_USERSOCK",
  "NETLINK_FIREWALL",
  "NETLINK_SOCK_DIAG",
  "NETLINK_NFLOG",
  "NETLINK_XFRM",
  "NETLINK_SELINUX",
  "NETLINK_ISCSI",
  "NETLINK_AUDIT",
  "NETLINK_FIB_LOOKUP",
  "NETLINK_CONNECTOR",
  "NETLINK_NETFILTER",
  "NETLINK_IP6_FW",
  "NETLINK_DNRTMSG",
  "NETLINK_KOBJECT_UEVENT",
  "NETLINK_GENERIC",
  undefined,
  "NETLINK_SCSITRANSPORT",
  "NETLINK_ECRYPTFS",
  "NETLINK_RDMA",
  "NETLINK_CRYPTO",
];
const IP_PROTOCOLS: Record<number, string> = {
  0: "IPPROTO_IP",
  6: "IPPROTO_TCP",
  17: "IPPROTO_UDP",
  255: "IPPROTO_RAW",
};

/** socket's domain, type (with SOCK_CLOEXEC and SOCK_NONBLOCK) and protocol, by name. */
function socket(_p: LinuxProcess, a: bigint[]): string[] {
  const domain = int(a[0]), type = int(a[1]), protocol = int(a[2]);
  let kind = TYPES[type & 0xf] ?? "";
  if (type & 0o2000000) kind += "|SOCK_CLOEXEC";
  if (type & 0o4000) kind += "|SOCK_NONBLOCK";
  let proto: string | undefined;
  if (domain === 17 || (domain === 2 && (type & 0xf) === 10)) {
    proto = protocol === 3 ? "ETH_P_ALL" : `${protocol}`; // as the guest stored it (no swap)
  } else if (domain === 16) proto = NETLINK[protocol];
  else proto = IP_PROTOCOLS[protocol];
  return [DOMAINS[domain] ?? `${domain}`, kind, proto ?? `${protocol}`];
}

/** A sockaddr of `len` bytes as QEMU's print_sockaddr writes it, then `, len` after a space. */
function sockaddrAt(p: LinuxProcess, addr: bigint, len: bigint): string {
  const size = Number(BigInt.asUintN(64, len) > 4096n ? 4096n : BigInt.asUintN(64, len));
  // QEMU reads `len` bytes; the fields past them (a short sockaddr) print as zeros here
  const b = new Uint8Array(Math.max(size, 16));
  try {
    b.set(p.mem.readBytes(addr, size, "read"));
  } catch {
    return `${padded(addr)},, ${BigInt.asIntN(64, len)}`;
  }
  const family = b[0] | (b[1] << 8);
  let text: string;
  if (family === 1) {
    const path = b.subarray(2, Math.max(2, size)), end = path.indexOf(0);
    text = `{sun_family=AF_UNIX,sun_path="${
      String.fromCharCode(...path.subarray(0, end < 0 ? path.length : end))
    }"}`;
  } else if (family === 2) {
    text = `{sin_family=AF_INET,sin_port=htons(${(b[2] << 8) | b[3]}),sin_addr=inet_addr("${
      [...b.subarray(4, 8)].join(".")
    }")}`;
  } else {
    const data = [...b.subarray(2, 16)].map((x) => x.toString(16).padStart(2, "0"));
    text = `{sa_family=${family}, sa_data={${data.join(", ")}}}`;
  }
  return `${text}, ${BigInt.asIntN(64, len)}`;
}

/** bind's fd (as `%ld`) and its sockaddr. */
function bind(p: LinuxProcess, a: bigint[]): string[] {
  return [`${BigInt.asIntN(64, a[0])}`, sockaddrAt(p, a[1], a[2])];
}

/** The printers, by syscall name. */
export const CALL_PRINTERS: Record<string, ArgumentPrinter> = {
  clone,
  mknodat,
  socket,
  bind,
  rt_sigqueueinfo: (p, a) => [arg(p, "i", a, 0), qemuSignal(int(a[1])), siginfoAt(p, a[2])],
  rt_tgsigqueueinfo: (p, a) => [
    arg(p, "i", a, 0),
    arg(p, "i", a, 1),
    qemuSignal(int(a[2])),
    siginfoAt(p, a[3]),
  ],
  pidfd_send_signal: (p, a) => [
    arg(p, "i", a, 0),
    qemuSignal(int(a[1])),
    siginfoAt(p, a[2]),
    arg(p, "u", a, 3),
  ],
};
