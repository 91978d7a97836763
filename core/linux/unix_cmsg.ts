/**
 * Ancillary data of AF_UNIX messages (cmsg(3), unix(7)): SCM_RIGHTS passes
 * descriptors, SCM_CREDENTIALS a process's pid, uid and gid. The guest's
 * `struct cmsghdr` is the 64-bit one: `cmsg_len` (8 bytes), level, type,
 * then the data, each header 8-byte aligned.
 *
 * Receiving follows Linux's `put_cmsg` and `scm_detach_fds`: what does not
 * fit the control buffer is cut (MSG_CTRUNC) and descriptors that found no
 * room are closed.
 *
 * @module
 */

import { E, SysError } from "./errno.ts";
import type { LinuxProcess } from "./process.ts";
import { MSG, SOL_SOCKET } from "./sys_net.ts";
import { get, put } from "./syscall.ts";
import type { Cred, HeldFile } from "./unix_socket.ts";

const SCM_RIGHTS = 1, SCM_CREDENTIALS = 2;
const CMSG_HDR = 16, UCRED_SIZE = 12;
/** The most descriptors one message carries (Linux's SCM_MAX_FD). */
const SCM_MAX_FD = 253;
/** The largest control buffer read from the guest. */
const MAX_CONTROL = 64 << 10;

const align = (n: number) => (n + 7) & ~7;

/** What a sender's control buffer asks: descriptors to pass and credentials to claim. */
export interface Ancillary {
  rights: HeldFile[] | null;
  cred: Cred | null;
}

function releaseAll(rights: HeldFile[]): void {
  for (const h of rights) h.release();
}

/**
 * Reads the control buffer at `addr`: the descriptors of SCM_RIGHTS (held
 * open from now on) and an SCM_CREDENTIALS that must be `own` (EPERM
 * otherwise, as an unprivileged process gets).
 */
export function readAncillary(p: LinuxProcess, addr: bigint, size: bigint, own: Cred): Ancillary {
  const out: Ancillary = { rights: null, cred: null };
  if (addr === 0n || size < BigInt(CMSG_HDR)) return out;
  if (size > BigInt(MAX_CONTROL)) throw new SysError(E.ENOBUFS);
  const raw = get(p, addr, Number(size)), dv = new DataView(raw.buffer);
  const rights: HeldFile[] = [];
  try {
    for (let at = 0; at + CMSG_HDR <= raw.length;) {
      const n = dv.getBigUint64(at, true);
      if (n < BigInt(CMSG_HDR) || n > BigInt(raw.length - at)) throw new SysError(E.EINVAL);
      const level = dv.getInt32(at + 8, true), type = dv.getInt32(at + 12, true);
      const data = new DataView(raw.buffer, at + CMSG_HDR, Number(n) - CMSG_HDR);
      if (level !== SOL_SOCKET) throw new SysError(E.EINVAL);
      if (type === SCM_RIGHTS) addRights(p, data, rights);
      else if (type === SCM_CREDENTIALS) out.cred = claimed(data, own);
      else throw new SysError(E.EINVAL);
      at += align(Number(n));
    }
  } catch (e) {
    releaseAll(rights);
    throw e;
  }
  if (rights.length) out.rights = rights;
  return out;
}

function addRights(p: LinuxProcess, data: DataView, into: HeldFile[]): void {
  const count = data.byteLength >> 2;
  if (into.length + count > SCM_MAX_FD) throw new SysError(E.EINVAL);
  for (let i = 0; i < count; i++) {
    const file = p.fds.get(data.getInt32(i * 4, true));
    into.push({ file, release: p.fds.hold(file) });
  }
}

function claimed(data: DataView, own: Cred): Cred {
  if (data.byteLength !== UCRED_SIZE) throw new SysError(E.EINVAL);
  const c = {
    pid: data.getInt32(0, true),
    uid: data.getUint32(4, true),
    gid: data.getUint32(8, true),
  };
  if (c.pid !== own.pid || c.uid !== own.uid || c.gid !== own.gid) throw new SysError(E.EPERM);
  return c;
}

/** A receiver's control buffer, filled as Linux's put_cmsg does. */
export class ControlOut {
  used = 0;
  flags = 0;
  constructor(readonly p: LinuxProcess, readonly addr: bigint, readonly room: number) {}

  #put(type: number, data: Uint8Array): void {
    const left = this.room - this.used;
    if (this.addr === 0n || left < CMSG_HDR) {
      this.flags |= MSG.CTRUNC;
      return;
    }
    let size = CMSG_HDR + data.length;
    if (left < size) {
      this.flags |= MSG.CTRUNC;
      size = left;
    }
    const bytes = new Uint8Array(size), dv = new DataView(bytes.buffer);
    dv.setBigUint64(0, BigInt(CMSG_HDR + data.length), true);
    dv.setInt32(8, SOL_SOCKET, true);
    dv.setInt32(12, type, true);
    bytes.set(data.subarray(0, size - CMSG_HDR), CMSG_HDR);
    put(this.p, this.addr + BigInt(this.used), bytes);
    this.used += Math.min(align(CMSG_HDR + data.length), left);
  }

  /** SCM_CREDENTIALS of the sender. */
  credentials(c: Cred): void {
    const b = new Uint8Array(UCRED_SIZE), dv = new DataView(b.buffer);
    dv.setInt32(0, c.pid, true);
    dv.setUint32(4, c.uid, true);
    dv.setUint32(8, c.gid, true);
    this.#put(SCM_CREDENTIALS, b);
  }

  /** SCM_RIGHTS: installs as many of `rights` as there is room for; the rest are closed. */
  rights(rights: HeldFile[], cloexec: boolean): void {
    if (!rights.length) return;
    const left = this.room - this.used;
    const fit = this.addr === 0n ? 0 : Math.max(0, Math.floor((left - CMSG_HDR) / 4));
    const taken = rights.slice(0, Math.min(fit, rights.length));
    const fds = new Uint8Array(taken.length * 4), dv = new DataView(fds.buffer);
    try {
      taken.forEach((h, i) => dv.setInt32(i * 4, this.p.fds.install(h.file, cloexec), true));
    } finally {
      releaseAll(rights);
    }
    if (taken.length) this.#put(SCM_RIGHTS, fds);
    if (taken.length < rights.length) this.flags |= MSG.CTRUNC;
  }
}
