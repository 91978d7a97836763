/**
 * Named pipes (fifo(7)) between the guest processes and threads of a run.
 * The FIFO is a host file (mknodat makes it), but its data never goes
 * through the host: every open of the same FIFO (by device and inode) in the
 * run shares one in-process {@linkcode PipeBuffer}, so the guest's ends meet
 * in this Deno process, as Linux's `fifo_open` pairs them:
 *
 * - a blocking read-only open waits for a writer to open it, a blocking
 *   write-only open for a reader (each counts the other side's opens, so a
 *   partner that came and went still ends the wait);
 * - a non-blocking read-only open succeeds at once; a non-blocking
 *   write-only open without a reader fails with ENXIO; a read-write open
 *   succeeds at once;
 * - reads, writes, poll, EOF and SIGPIPE are a pipe's; when the last end is
 *   closed the buffered bytes are dropped.
 *
 * A host process outside the emulator that opens the same FIFO is not seen
 * (its open would wait for a partner that never comes). A guest that waits
 * for a partner no thread can supply is reported as a deadlock, as any wait.
 *
 * @module
 */

import { E, SysError } from "./errno.ts";
import { O, POLL, statFromDeno, type StatInfo } from "./fds.ts";
import { PipeBuffer, PipeEnd } from "./pipe.ts";
import type { LinuxProcess } from "./process.ts";
import { Blocking } from "./threads.ts";

/** One FIFO of the run while some end of it is open. */
export interface FifoNode {
  buffer: PipeBuffer;
  /** opens for reading and for writing so far (Linux's r_counter and w_counter) */
  readOpens: number;
  writeOpens: number;
}

/** The open FIFOs of each run (keyed by its world), by host `dev:ino`. */
const runs = new WeakMap<object, Map<string, FifoNode>>();

/**
 * An open end of a FIFO: a pipe end that may also be both (O_RDWR), whose
 * stat is the FIFO file's.
 */
export class FifoEnd extends PipeEnd {
  /** the writers' opens when this reader opened: POLLHUP only once one came since */
  readonly #writeOpensAtOpen: number;
  readonly #both: boolean;
  constructor(
    readonly node: FifoNode,
    readonly guestPath: string,
    readonly hostPath: string,
    private readonly forget: () => void,
    statusFlags: number,
  ) {
    const acc = statusFlags & O.ACCMODE;
    super(node.buffer, acc !== O.RDONLY, statusFlags);
    this.#both = acc === O.RDWR;
    if (this.#both) node.buffer.readers++;
    if (acc !== O.WRONLY) node.readOpens++;
    if (acc !== O.RDONLY) node.writeOpens++;
    this.#writeOpensAtOpen = node.writeOpens;
  }
  override read(buf: Uint8Array): number {
    return this.#both ? this.buffer.take(buf) : super.read(buf);
  }
  override stat(): StatInfo {
    try {
      return statFromDeno(Deno.statSync(this.hostPath), this.hostPath);
    } catch {
      return super.stat();
    }
  }
  override close(): void {
    super.close();
    if (this.#both) this.buffer.readers--;
    if (!this.buffer.readers && !this.buffer.writers) this.forget();
  }
  override readiness(): number {
    const b = this.buffer;
    let bits = super.readiness();
    if (this.#both) bits = (b.slots.length ? POLL.IN : 0) | (b.full ? 0 : POLL.OUT);
    else if (!this.writer && this.node.writeOpens === this.#writeOpensAtOpen) bits &= ~POLL.HUP;
    return bits;
  }
}

/**
 * Opens the FIFO at host path `host` (guest path `guest`, whose stat is
 * `info`) for the guest with open flags `flags`: its descriptor, or the wait
 * for the other end.
 */
export function openFifo(
  p: LinuxProcess,
  host: string,
  guest: string,
  info: Deno.FileInfo,
  flags: number,
  cloexec: boolean,
): number | Blocking {
  const key = `${info.dev}:${info.ino}`, acc = flags & O.ACCMODE;
  if (acc === 3) throw new SysError(E.EINVAL);
  const fifos = runs.get(p.world) ?? new Map<string, FifoNode>();
  runs.set(p.world, fifos);
  const node = fifos.get(key) ?? { buffer: new PipeBuffer(), readOpens: 0, writeOpens: 0 };
  const nonblock = (flags & O.NONBLOCK) !== 0;
  if (acc === O.WRONLY && nonblock && !node.buffer.readers) throw new SysError(E.ENXIO);
  fifos.set(key, node);
  const { readOpens, writeOpens } = node;
  const forget = () => fifos.get(key) === node && fifos.delete(key);
  const end = new FifoEnd(node, guest, host, forget, acc | (flags & (O.NONBLOCK | O.APPEND)));
  const partnered = acc === O.RDONLY
    ? () => node.buffer.writers > 0 || node.writeOpens !== writeOpens
    : () => node.buffer.readers > 0 || node.readOpens !== readOpens;
  if (acc === O.RDWR || nonblock || partnered()) return p.fds.install(end, cloexec);
  const other = acc === O.RDONLY ? "a writer" : "a reader";
  return new Blocking(`${other} to open the FIFO ${guest}`, () => {
    return partnered() ? p.fds.install(end, cloexec) : null;
  }, { cancel: () => end.close() });
}
