/**
 * The GDB remote protocol commands (one packet in, one action out), with no
 * I/O: `server.ts` moves the bytes, this decides what they mean.
 *
 * @module
 */

import type { Debuggee, DebugStop, WatchKind } from "./debuggee.ts";
import {
  escapeBinary,
  fromHex,
  fromLatin1,
  latin1,
  leHex,
  PACKET_SIZE,
  parseLeHex,
  toHex,
} from "./packet.ts";
import { type GdbRegister, gdbRegisters, targetDocuments } from "./registers.ts";
import { GdbSignal } from "./signals.ts";

export { PACKET_SIZE };

/** What to do with a packet. */
export type GdbAction =
  /** send `body` (a string, or binary that is already escaped) */
  | { kind: "reply"; body: string | Uint8Array }
  /**
   * run the guest (`signal`: GDB's number to pass it, 0 for none; `reverse`:
   * backwards, gdb's `bs`/`bc`; `thread`: the only thread, 0-based, that
   * runs, the others staying stopped), then send the stop reply
   */
  | { kind: "resume"; step: boolean; signal: number; reverse?: boolean; thread?: number }
  /** reply OK and end the session; the guest runs on */
  | { kind: "detach" }
  /** end the guest and the session (`k` has no reply; `vKill` gets OK) */
  | { kind: "kill"; reply?: string }
  /** run the monitor command `command` (gdb's `monitor`: qRcmd), its output in `O` packets, then OK */
  | { kind: "monitor"; command: string };

/**
 * QEMU's replies: EINVAL (22) for a missing argument, a bad length or id; EFAULT (14) for
 * memory that cannot be read or written (in decimal, as QEMU prints them). An argument that is
 * there but does not parse gets the empty reply, as an unknown packet does.
 */
const ERROR = "E22", EFAULT = "E14";
/** QEMU's single-step flags: ENABLE (without it `s` runs on), NOIRQ, NOTIMER, all by default */
const SSTEP_ALL = 7;
/** The most bytes of a document one qXfer:features reply holds, as QEMU's ((4096 - 5) / 2) */
const XFER_CHUNK = 0x7fd;
const WATCH_KINDS: Record<string, WatchKind> = { "2": "write", "3": "read", "4": "rw" };
const WATCH_NAMES: Record<WatchKind, string> = { write: "watch", read: "rwatch", rw: "awatch" };

/**
 * Answers gdb's packets for one {@linkcode Debuggee}.
 *
 * @example
 * ```ts ignore
 * const h = new GdbHandler(new MachineDebuggee(machine));
 * h.handle("qSupported:swbreak+"); // { kind: "reply", body: "PacketSize=4000;..." }
 * const a = h.handle("c");         // { kind: "resume", step: false, signal: 0 }
 * ```
 */
export class GdbHandler {
  /** true once gdb asked for QStartNoAckMode (acks stop after the OK) */
  noAck = false;
  readonly registers: GdbRegister[];
  /** the registers by regnum (the numbers may leave gaps) */
  readonly #byNum: Map<number, GdbRegister>;
  /** the registers of `g` and `G` */
  readonly #gRegisters: GdbRegister[];
  /** the target description's documents, once gdb has read one (QEMU's `gdb_has_xml`) */
  #docs: Map<string, Uint8Array> | null = null;
  /** QEMU's single-step flags (`Qqemu.sstep`): ENABLE, NOIRQ, NOTIMER */
  #sstep = SSTEP_ALL;
  #swbreak = false;
  /**
   * gdb offered multiprocess+: ids are "p01.NN", as QEMU's gdbstub gives
   * them in both modes (gdb then names the inferior "process 1").
   */
  #multiprocess = false;
  #lastStop: DebugStop = { kind: "signal", signal: GdbSignal.TRAP };
  /** the thread `s` steps (gdb's `Hc`; a stop selects the thread that stopped, as QEMU's stub) */
  #stepThread = 0;
  /** how many threads qfThreadInfo and qsThreadInfo have listed */
  #listed = 0;

  constructor(readonly debuggee: Debuggee) {
    this.registers = gdbRegisters(debuggee.target, debuggee);
    this.#byNum = new Map(this.registers.map((r) => [r.regnum, r]));
    this.#gRegisters = this.registers.filter((r) => !r.alone);
  }

  /** The stop reply for `stop` (and remembers it for `?`). */
  stopReply(stop: DebugStop): string {
    this.#lastStop = stop;
    const thread = this.debuggee.stoppedThread ?? 0;
    this.debuggee.thread = this.#stepThread = thread; // gdb switches to the thread that stopped
    const t = (sig: number, extra = "") =>
      `T${sig.toString(16).padStart(2, "0")}${extra}thread:${this.#threadId(thread)};`;
    switch (stop.kind) {
      case "breakpoint":
        return t(GdbSignal.TRAP, this.#swbreak ? "swbreak:;" : "");
      case "step":
        return t(GdbSignal.TRAP);
      case "watch":
        return t(GdbSignal.TRAP, `${WATCH_NAMES[stop.watch]}:${stop.address.toString(16)};`);
      case "signal":
        return t(stop.signal);
      case "exited":
        return `W${stop.status.toString(16).padStart(2, "0")}`;
      case "killed":
        return `X${stop.signal.toString(16).padStart(2, "0")}`;
      case "history_begin":
        return t(GdbSignal.TRAP, "replaylog:begin;");
    }
  }

  /** Handles one packet body (unescaped framing, as received). */
  handle(packet: Uint8Array | string): GdbAction {
    const raw = typeof packet === "string" ? latin1(packet) : packet;
    const cmd = fromLatin1(raw); // X (binary writes) is unknown, as to QEMU 7.2: gdb falls back to M
    const reply = (body: string | Uint8Array): GdbAction => ({ kind: "reply", body });
    try {
      switch (cmd[0]) {
        case "?":
          return reply(this.stopReply(this.#lastStop));
        case "g":
          return reply(this.#gRegisters.map((r) => leHex(r.read(this.debuggee), r.bits)).join(""));
        case "G":
          return reply(this.#writeAll(cmd.slice(1)));
        case "p":
          return reply(this.#readOne(cmd.slice(1)));
        case "P":
          return reply(this.#writeOne(cmd.slice(1)));
        case "m":
          return reply(this.#readMem(cmd.slice(1)));
        case "M":
          return reply(this.#writeMemHex(cmd.slice(1)));
        case "Z":
        case "z":
          return reply(this.#point(cmd[0] === "Z", cmd.slice(1)));
        case "c":
        case "s":
          this.#setPc(cmd.slice(1));
          return this.#resume(cmd[0] === "s", 0);
        case "C":
        case "S": {
          const [sig, addr] = cmd.slice(1).split(";");
          this.#setPc(addr ?? "");
          return this.#resume(cmd[0] === "S", parseInt(sig, 16));
        }
        case "b":
          if (!this.debuggee.reverse || (cmd !== "bs" && cmd !== "bc")) return reply("");
          return { kind: "resume", step: cmd === "bs", signal: 0, reverse: true };
        case "k":
          return { kind: "kill" };
        case "D":
          return { kind: "detach" };
        case "H":
          return reply(this.#selectThread(cmd));
        case "T":
          // one thread: -1 (all) names none, as in QEMU
          if (/(^|\.)-1$/.test(cmd.slice(1))) return reply(ERROR);
          return reply(this.#parseThread(cmd.slice(1)) === undefined ? ERROR : "OK");
        case "v":
          return this.#vPacket(cmd);
        case "q":
          if (cmd === "qRcmd,") return reply(ERROR);
          if (cmd.startsWith("qRcmd,")) {
            return { kind: "monitor", command: new TextDecoder().decode(fromHex(cmd.slice(6))) };
          }
          return reply(this.#query(cmd));
        case "Q":
          return reply(this.#query(cmd));
        default:
          return reply("");
      }
    } catch (e) {
      if (e instanceof RangeError) return reply(ERROR);
      if (e instanceof SyntaxError) return reply("");
      throw e;
    }
  }

  /**
   * A thread's id as gdb reads it: "01" for the first, "p01.01" with
   * multiprocess; in user mode its TID ("p01.3e8"), as QEMU gives its host TIDs.
   */
  #threadId(index: number): string {
    const id = this.debuggee.threadIds?.[index] ?? index + 1;
    const tid = id.toString(16).padStart(2, "0");
    return this.#multiprocess ? `p01.${tid}` : tid;
  }

  /**
   * The 0-based thread a gdb thread id names ("2", "p1.2"; "0" and "-1", any
   * or all, name the first), or undefined when there is no such thread.
   */
  #parseThread(id: string): number | undefined {
    const m = /^(?:p(-1|[0-9a-fA-F]+)\.)?(-1|[0-9a-fA-F]+)$/.exec(id);
    if (!m || (m[1] !== undefined && m[1] !== "-1" && parseInt(m[1], 16) > 1)) return undefined;
    const tid = m[2] === "-1" ? 0 : parseInt(m[2], 16);
    const ids = this.debuggee.threadIds;
    if (ids && tid > 0) return ids.includes(tid) ? ids.indexOf(tid) : undefined;
    const index = Math.max(tid, 1) - 1;
    return index < (this.debuggee.threadCount ?? 1) ? index : undefined;
  }

  /**
   * Hg selects the thread whose registers and memory gdb reads; Hc the
   * thread `s` steps (`c` continues every thread, as in QEMU).
   */
  #selectThread(cmd: string): string {
    const index = this.#parseThread(cmd.slice(2));
    if (index === undefined) return ERROR;
    if (cmd[1] === "g") this.debuggee.thread = index;
    if (cmd[1] === "c" && !isAnyThread(cmd.slice(2))) this.#stepThread = index;
    return "OK";
  }

  /**
   * `c` runs every thread; `s` steps the thread of `Hc` alone, and runs on as `c` when
   * `Qqemu.sstep` took the ENABLE flag away, as in QEMU. (NOIRQ and NOTIMER are kept and
   * reported only: a step here takes no interrupt either way.)
   */
  #resume(step: boolean, signal: number): GdbAction {
    step &&= (this.#sstep & 1) !== 0;
    return { kind: "resume", step, signal, ...step ? this.#alone(this.#stepThread) : {} };
  }

  /** `{ thread }` when the guest has several threads, for a resume of that one alone. */
  #alone(thread: number): { thread?: number } {
    return (this.debuggee.threadCount ?? 1) > 1 ? { thread } : {};
  }

  /**
   * vCont;action[:thread]...: a step steps its thread alone (the stopped one
   * without a thread id); a continue of one thread runs it alone; any other
   * continue runs every thread (a set of several harts is not one QEMU's
   * system mode runs either: it resumes them all).
   */
  #vCont(actions: string[]): GdbAction {
    let signal = 0, all = false;
    const running = new Set<number>();
    for (const action of actions) {
      const [act, id] = action.split(":");
      if (!/^[cCsS]([0-9a-fA-F]{2})?$/.test(act)) return { kind: "reply", body: "" };
      const thread = id === undefined || isAnyThread(id) ? null : this.#parseThread(id);
      if (thread === undefined) return { kind: "reply", body: ERROR };
      signal ||= act.length > 1 ? parseInt(act.slice(1), 16) : 0;
      if (act[0] === "s" || act[0] === "S") {
        return { kind: "resume", step: true, signal, ...this.#alone(thread ?? this.#stepThread) };
      }
      if (thread === null) all = true;
      else running.add(thread);
    }
    const [only] = running;
    const alone = !all && running.size === 1 ? this.#alone(only) : {};
    return { kind: "resume", step: false, signal, ...alone };
  }

  #register(hexNum: string): GdbRegister | undefined {
    return this.#byNum.get(Number(hexParams(hexNum, 1)[0]));
  }

  /** p: only once gdb has read target.xml, as QEMU; a register past the last or unreadable is EFAULT. */
  #readOne(arg: string): string {
    if (!this.#docs) return "";
    const r = arg === "" ? undefined : this.#register(arg);
    return r && !r.unreadable ? leHex(r.read(this.debuggee), r.bits) : EFAULT;
  }

  /** P: only once gdb has read target.xml; a register past the last is ignored, as by QEMU. */
  #writeOne(arg: string): string {
    if (!this.#docs) return "";
    const [num, value] = arg.split("=");
    if (value === undefined) return ERROR;
    const r = this.#register(num);
    if (!r) return "OK";
    if (value.length !== r.bits / 4) return ERROR;
    r.write(this.debuggee, parseLeHex(value.replace(/[^0-9a-fA-F]/g, "0"))); // as QEMU's hextomem
    return "OK";
  }

  #writeAll(hex: string): string {
    let at = 0;
    for (const r of this.#gRegisters) {
      const n = r.bits / 4;
      if (at + n > hex.length) break;
      r.write(this.debuggee, parseLeHex(hex.slice(at, at + n)));
      at += n;
    }
    return "OK";
  }

  #readMem(arg: string): string {
    const [addr, len] = hexParams(arg, 2);
    if (len > BigInt(PACKET_SIZE >> 1)) return ERROR; // its hex would not fit a packet
    try {
      return toHex(this.debuggee.readMemory(addr, Number(len)));
    } catch {
      return EFAULT;
    }
  }

  #writeMem(addr: bigint, data: Uint8Array): string {
    try {
      if (data.length) this.debuggee.writeMemory(addr, data);
      return "OK";
    } catch {
      return EFAULT;
    }
  }

  /** M addr,length:hex (a digit that is not hex reads as 0, as QEMU's hextomem reads it). */
  #writeMemHex(arg: string): string {
    const colon = arg.indexOf(":");
    if (colon < 0) return ERROR;
    const [addr, len] = hexParams(arg.slice(0, colon), 2);
    const hex = arg.slice(colon + 1);
    if (!hex.length || BigInt(hex.length) < len * 2n) return ERROR; // more is ignored, as by QEMU
    const bytes = hex.slice(0, Number(len) * 2);
    return this.#writeMem(addr, fromHex(bytes.replace(/[^0-9a-fA-F]/g, "0")));
  }

  /**
   * Z/z type,addr,kind: breakpoints (0, 1) and watchpoints (2, 3, 4). Removing one that is not
   * there is EINVAL, as in QEMU. Unlike qemu-user 7.2, user mode has watchpoints: it replies
   * empty to Z2-Z4, and gdb's `watch` then fails ("Could not insert hardware watchpoint"), where
   * it does not fall back to a software watchpoint.
   */
  #point(insert: boolean, arg: string): string {
    const [type, addr, kind] = hexParams(arg.split(";")[0], 3);
    const d = this.debuggee;
    if (type === 0n || type === 1n) {
      if (insert) d.addBreakpoint(addr);
      else if (!d.removeBreakpoint(addr)) return ERROR;
      return "OK";
    }
    const watch = WATCH_KINDS[type.toString()];
    if (!watch) return "";
    const length = Number(BigInt.asUintN(32, kind));
    if (insert) d.addWatchpoint(addr, length, watch);
    else if (!d.removeWatchpoint(addr, length, watch)) return ERROR;
    return "OK";
  }

  #setPc(addr: string): void {
    if (addr) this.debuggee.writeReg("pc", BigInt("0x" + addr));
  }

  #vPacket(cmd: string): GdbAction {
    const reply = (body: string): GdbAction => ({ kind: "reply", body });
    if (cmd === "vCont?") return reply("vCont;c;C;s;S");
    if (cmd.startsWith("vCont;")) return this.#vCont(cmd.slice(6).split(";"));
    if (cmd.startsWith("vKill")) return { kind: "kill", reply: "OK" };
    return reply(""); // vMustReplyEmpty, vFile, vRun...: not supported
  }

  #query(cmd: string): string | Uint8Array {
    if (cmd.startsWith("qSupported")) {
      this.#swbreak = cmd.includes("swbreak+");
      this.#multiprocess ||= cmd.includes("multiprocess+"); // as QEMU: it stays on
      return this.#supported();
    }
    if (cmd === "QStartNoAckMode") {
      this.noAck = true;
      return "OK";
    }
    if (cmd.startsWith("qXfer:features:read:")) return this.#features(cmd.slice(20));
    if (/^[qQ]qemu\.sstep/.test(cmd)) return this.#sstepPacket(cmd);
    if (cmd.startsWith("qqemu.PhyMemMode") || cmd.startsWith("Qqemu.PhyMemMode:")) {
      return this.#phyMemMode(cmd);
    }
    const [, object, annex, range] = /^qXfer:(auxv|exec-file):read:([^:]*):(.*)$/.exec(cmd) ?? [];
    if (object === "auxv" && this.debuggee.auxv && annex === "") {
      return xferChunk(this.debuggee.auxv(), range);
    }
    if (object === "exec-file" && this.debuggee.execFile) {
      return xferChunk(new TextEncoder().encode(this.debuggee.execFile()), range);
    }
    // as QEMU's: user mode says 0 (the stub started the process: gdb kills it on quit), system
    // mode 1 (gdb detaches on quit, and the machine runs on)
    if (cmd === "qAttached" || cmd.startsWith("qAttached:")) {
      return this.debuggee.physicalMemory === undefined ? "0" : "1";
    }
    // the first thread, whichever gdb selected (as QEMU's first CPU of the process)
    if (cmd === "qC") return `QC${this.#threadId(0)}`;
    // one thread a reply, as QEMU lists them
    if (cmd === "qfThreadInfo") this.#listed = 0;
    if (cmd === "qfThreadInfo" || cmd === "qsThreadInfo") {
      if (this.#listed >= (this.debuggee.threadCount ?? 1)) return "l";
      return `m${this.#threadId(this.#listed++)}`;
    }
    if (cmd.startsWith("qThreadExtraInfo,")) {
      const i = this.#parseThread(cmd.slice(17));
      return i === undefined ? ERROR : toHex(new TextEncoder().encode(`CPU#${i} [running]`));
    }
    return "";
  }

  /**
   * qqemu.PhyMemMode says whether memory packets take physical addresses,
   * Qqemu.PhyMemMode:N sets it (N not 0: on), as QEMU's system mode does.
   */
  #phyMemMode(cmd: string): string {
    const d = this.debuggee;
    if (d.physicalMemory === undefined) return "";
    if (cmd === "qqemu.PhyMemMode") return d.physicalMemory ? "1" : "0";
    const on = /^Qqemu\.PhyMemMode:([0-9a-fA-F]+)$/.exec(cmd);
    if (!on) return "";
    d.physicalMemory = parseInt(on[1], 16) !== 0;
    return "OK";
  }

  /**
   * The qSupported reply: QEMU 7.2's features in its order, then ours it lacks (the exec file,
   * no-ack mode, swbreak stop reasons). QEMU offers reverse execution in replay only.
   */
  #supported(): string {
    const d = this.debuggee;
    return `PacketSize=${PACKET_SIZE.toString(16)};qXfer:features:read+` +
      (d.reverse ? ";ReverseStep+;ReverseContinue+" : "") + (d.auxv ? ";qXfer:auxv:read+" : "") +
      ";vContSupported+;multiprocess+" + (d.execFile ? ";qXfer:exec-file:read+" : "") +
      ";QStartNoAckMode+;swbreak+";
  }

  /**
   * QEMU's single-step flags: `qqemu.sstepbits` names them, `qqemu.sstep` (or `Qqemu.sstep`)
   * gives them, `Qqemu.sstep=N` (or `qqemu.sstep=N`) sets them (EINVAL for an unknown flag). A bare `Qqemu.sstep=`
   * gets the empty reply (QEMU's gets none, and gdb would wait for ever).
   */
  #sstepPacket(cmd: string): string {
    const name = cmd.slice(1);
    if (name === "qemu.sstepbits") return "ENABLE=1,NOIRQ=2,NOTIMER=4";
    if (name === "qemu.sstep") return `0x${this.#sstep.toString(16)}`;
    if (!name.startsWith("qemu.sstep=") || name.length === 11) return "";
    const [flags] = hexParams(name.slice(11), 1);
    if (flags & ~BigInt(SSTEP_ALL)) return ERROR;
    this.#sstep = Number(flags);
    return "OK";
  }

  /**
   * qXfer:features:read:annex:offset,length, as QEMU's: an annex that starts "target.xml"'s
   * name (even the empty one) reads target.xml; an offset past the end is E00.
   */
  #features(arg: string): string | Uint8Array {
    const colon = arg.indexOf(":");
    const range = colon < 0 ? [] : arg.slice(colon + 1).split(",", 2);
    const [offset, length] = hexParams(range.join(","), 2).map(Number);
    if (!this.#docs) {
      const docs = targetDocuments(this.debuggee.target, this.registers);
      this.#docs = new Map([...docs].map(([k, v]) => [k, new TextEncoder().encode(v)]));
    }
    const annex = arg.slice(0, colon);
    const doc = this.#docs.get("target.xml".startsWith(annex) ? "target.xml" : annex);
    if (!doc || offset > doc.length) return "E00";
    return xferChunk(doc, `${offset.toString(16)},${Math.min(length, XFER_CHUNK).toString(16)}`);
  }
}

/** The reply to a qXfer read of `data` at "offset,length": "m" or "l" (last) and the bytes. */
function xferChunk(data: Uint8Array, range: string): Uint8Array {
  const [offset, length] = range.split(",").map((x) => parseInt(x, 16));
  if (!(offset >= 0) || !(length >= 0)) throw new RangeError(`bad qXfer range "${range}"`);
  const chunk = data.subarray(offset, offset + Math.min(length, PACKET_SIZE - 8));
  const last = offset + chunk.length >= data.length;
  const esc = escapeBinary(chunk);
  const out = new Uint8Array(esc.length + 1);
  out[0] = last ? 0x6c : 0x6d; // "l" or "m"
  out.set(esc, 1);
  return out;
}

/** Whether a thread id names every thread or any ("-1", "0", "p1.-1"). */
function isAnyThread(id: string): boolean {
  return /^(p[0-9a-fA-F]+\.)?(-1|0+)$/.test(id);
}

/**
 * The `count` comma-separated 64-bit hex numbers of `s`, as QEMU's stub reads them: fewer is a
 * RangeError (EINVAL), one that is not a hex number of at most 64 bits a SyntaxError (the empty
 * reply).
 */
function hexParams(s: string, count: number): bigint[] {
  const parts = s === "" ? [] : s.split(",", count);
  if (parts.length < count) throw new RangeError(`"${s}": ${count} numbers expected`);
  return parts.map((p) => {
    if (!/^[0-9a-fA-F]{1,16}$/.test(p.replace(/^0+(?=.)/, ""))) {
      throw new SyntaxError(`"${p}" is not a number`);
    }
    return BigInt("0x" + p);
  });
}
