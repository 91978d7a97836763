/**
 * A Linux user-mode process: one CPU, its address space, files, signals and
 * clock, run as a sequence of events (a syscall about to run, a signal
 * delivered, a fault, the exit) so callers can observe or script it.
 *
 * @module
 */

import { CpuCore } from "../cpu_core.ts";
import { withExecLog } from "../exec_log.ts";
import { registerRows } from "../register_dump.ts";
import { useAccel } from "../accel.ts";
import { type ElfFile, parseElf } from "../elf.ts";
import { Hooks } from "../hooks/hooks.ts";
import { EmuError, GuestFault } from "../errors.ts";
import { GuestMemory, pageNumber } from "../guest_memory.ts";
import { VirtualClock } from "../clock.ts";
import { ModuleList } from "../modules.ts";
import { targetForCpu, targetForElf } from "../plugin.ts";
import type { LinuxAbi, TargetArch } from "../target.ts";
import { type Trap, TrapKind } from "../trap.ts";
import { E, errnoOf, SysError } from "./errno.ts";
import { FdTable, type OutputSink } from "./fds.ts";
import { refuseLiveHostSockets } from "./net_socket.ts";
import { hostOutput, hostStat, isHostError, readProgram } from "./host_io.ts";
import { mmapBaseFor, stackSize } from "./loader.ts";
import { AddressSpace, DEFAULT_MEMORY_LIMIT, MAX_MEMORY_LIMIT, PAGE } from "./mm.ts";
import { PathResolver, startDirectory } from "./paths.ts";
import { reservedSpace } from "./reserved_va.ts";
import { clockNs } from "./sys_time.ts";
import { SeededRandom } from "../random.ts";
import { type PendingSignal, SIG, SignalState } from "./signals.ts";
import { deliverSignals, faultSignal } from "./signal_delivery.ts";
import { FutexTable } from "./futex.ts";
import { type NewThreadRegisters, ThreadGroup } from "./thread_group.ts";
import { ProcessWorld } from "./world.ts";
import { childExited, copyForFork } from "./fork.ts";
import { Blocking, DEFAULT_SCHED, RESTART, type ThreadWait } from "./threads.ts";
import { NO_RETURN, type SyscallTable } from "./syscall.ts";
import { formatResult, formatSyscall } from "./strace.ts";
import { DEFAULT_PID } from "./process_options.ts";
import type { PortableSnapshot } from "../snapshot/file.ts";
import {
  captureProcess,
  type ProcessRunState,
  type ProcessSnapshot,
  restoreProcess,
} from "./process_state.ts";
import { SYSCALLS } from "./sys_table.ts";
import { inputDirectory, realInputPath } from "../host_files.ts";
import type { InputLog } from "../replay/input_log.ts";
import { installStdStreams } from "./std_streams.ts";
import { IntervalTimers } from "./itimers.ts";
import { loadProgram } from "./program_load.ts";
import { JobState, signalSent } from "./job_control.ts";

export type { LinuxProcessOptions } from "./process_options.ts";
import type { LinuxProcessOptions } from "./process_options.ts";

/** What {@linkcode LinuxProcess.step} reports. */
export type ProcessEvent =
  | { kind: "syscall"; nr: number; name: string; args: bigint[]; pc: bigint }
  | { kind: "signal"; signal: number; handler: bigint }
  | { kind: "signal_stop"; signal: number }
  | { kind: "fault"; signal: number; trap: Trap }
  | { kind: "exit"; status: number; signal: number | null }
  | { kind: "budget" }
  | { kind: "stop" };

/**
 * A running Linux program.
 *
 * @example
 * ```ts ignore
 * const p = await LinuxProcess.create({ program: "hello", args: [] });
 * const status = p.runToExit();
 * ```
 */
export class LinuxProcess {
  readonly pid: number;
  readonly mem: GuestMemory;
  readonly cpu: CpuCore;
  readonly abi: LinuxAbi;
  readonly as: AddressSpace;
  readonly fds: FdTable;
  readonly paths: PathResolver;
  readonly signals = new SignalState();
  readonly clock: VirtualClock;
  readonly random: SeededRandom;
  /**
   * While true, what the guest writes to stdout and stderr is dropped: the
   * host already saw it (a history re-executing the run, `history.ts`).
   */
  outputMuted = false;
  readonly realtime: boolean;
  /** record/replay: where stdin, host time and host files are read through (see `recorded_inputs.ts`) */
  readonly inputLog?: InputLog;
  /** absolute guest path of the program (readlink /proc/self/exe) */
  exePath = "";
  /** the name execve was given, its last component (Linux's comm: a script's own name) */
  comm = "";
  /** address of the signal-return trampoline */
  trampoline = 0n;
  /** exit status once exited (128+N after a fatal signal) */
  exitStatus: number | null = null;
  exitSignal: number | null = null;
  /** every process of the run (this one, its parent, its children) */
  readonly world: ProcessWorld;
  /** the guest threads and which one runs */
  readonly threads: ThreadGroup;
  /** futex wait queues of the address space */
  readonly futexes = new FutexTable();
  umask = 0o022;
  /** setitimer's timers (a fork's child starts with none, as on Linux) */
  timers: IntervalTimers = new IntervalTimers();
  /** process group and session (the first process's are its parent's, outside the run: pid - 1) */
  pgid: number;
  sid: number;
  /** rt_sigsuspend: the mask the next handler frame saves (restored by rt_sigreturn) */
  restoreMaskAfterSignal: bigint | null = null;
  /** job control: whether a stop signal stopped it, and what its parent has not collected */
  readonly job: JobState = new JobState();
  /** `-strace` output, if enabled */
  readonly strace?: (line: string) => void;
  readonly log?: {
    categories: Set<string>;
    write: (line: string) => void;
    filter?: (pc: bigint) => boolean;
  };
  readonly stderr: OutputSink;
  /** extra handlers (scripts may add or override syscalls by name) */
  readonly syscalls: SyscallTable = { ...SYSCALLS };
  /** the instrumentation API of this process's CPU (syscall and signal events are emitted here) */
  readonly hooks: Hooks;
  /** the program's ELF file (symbols for tools) */
  elf: ElfFile | null = null;
  /** host path of the program file (after symlinks) */
  programPath = "";
  /** what was added to the program's ELF addresses when it was loaded (non-zero for PIE) */
  loadBias = 0n;
  /** The ELF images mapped: the program, its dynamic loader, the shared libraries. */
  readonly modules: ModuleList = new ModuleList();
  /** The auxiliary vector given to the program, as the bytes on its stack (gdb reads it). */
  auxv: Uint8Array = new Uint8Array();
  /** argv as /proc/self/cmdline shows it: each string NUL-terminated */
  cmdline: Uint8Array = new Uint8Array();
  #pending: Extract<ProcessEvent, { kind: "syscall" }> | null = null;
  #pendingSkip: bigint | null = null;
  /**
   * Report faults before acting on them: `step` returns the `fault` event and
   * the signal is raised on the next `step` unless {@linkcode resolveFault}
   * was called (a script mapped the memory and wants the access retried).
   */
  deferFaults = false;
  /**
   * Report a signal before delivering it (a debugger decides its fate):
   * `step` returns `signal_stop`, and the next `step` delivers it unless
   * {@linkcode resolveFault} dropped it.
   */
  reportSignals = false;
  #deferredFault: Trap | null = null;
  #started = false;
  readonly #events: ProcessEvent[] = [];

  private constructor(
    target: TargetArch,
    readonly options: Readonly<LinuxProcessOptions>,
    cwd: string,
    /** the process that forked this one (null: the program started) */
    public parent: LinuxProcess | null = null,
  ) {
    const opts = options;
    this.abi = target.linux!;
    for (const [name, generic] of Object.entries(this.abi.syscallAliases ?? {})) {
      if (SYSCALLS[generic]) this.syscalls[name] = SYSCALLS[generic];
    }
    this.world = parent?.world ??
      new ProcessWorld(this, opts.pid ?? DEFAULT_PID, opts.net, opts.unameRelease);
    this.pid = parent ? this.world.allocId() : opts.pid ?? DEFAULT_PID;
    this.pgid = parent ? parent.pgid : this.pid - 1;
    this.sid = parent ? parent.sid : this.pid - 1;
    this.threads = new ThreadGroup(this, this.pid, opts.sched ?? DEFAULT_SCHED, opts.seed ?? 0n);
    this.mem = new GuestMemory();
    this.cpu = new CpuCore(target, this.mem);
    useAccel(this.cpu, opts.accel ?? "interp");
    if (opts.oneInsnPerTb) this.cpu.tbs.maxInsns = 1;
    this.hooks = new Hooks(this.cpu, parent?.hooks);
    this.realtime = opts.realtime ?? false;
    this.clock = parent ? parent.clock : new VirtualClock(() => this.world.instructions());
    this.inputLog = parent ? parent.inputLog : opts.inputLog;
    if (!parent) this.inputLog?.attach(this.clock);
    // CNTVCT_EL0 counts on CLOCK_REALTIME, as qemu-aarch64's does on the host's
    this.cpu.timerNs = () => clockNs(this, 0) + BigInt(this.cpu.inFlight) * this.clock.nsPerInsn;
    this.random = new SeededRandom(parent ? parent.random.next64() : opts.seed ?? 0n);
    this.fds = parent ? parent.fds.fork() : new FdTable();
    // each line goes with the thread that wrote it (-d tid: a log per thread)
    const { strace, log } = opts;
    this.strace = strace && ((line) => strace(line, this.tid));
    this.log = log && { ...log, write: (line) => log.write(line, this.tid) };
    const limit = reservedSpace(target, opts.reservedVa) ??
      (target.xlen === 64 ? 1n << 47n : 0xfffff000n);
    const maxMemory = opts.maxMemory ?? DEFAULT_MEMORY_LIMIT;
    if (maxMemory < PAGE || maxMemory > MAX_MEMORY_LIMIT) {
      throw new EmuError(`memory ceiling ${maxMemory} bytes is out of range`, "give 4K to 3G");
    }
    const base = mmapBaseFor(target.xlen === 64 ? 2 : 1, target.linux?.mmapBase);
    this.as = new AddressSpace(this.mem, base, limit, maxMemory);
    this.as.topDown = !!opts.reservedVa;
    this.as.stackSize = parent ? parent.as.stackSize : stackSize(opts.stackSize, maxMemory);
    this.paths = new PathResolver({ root: opts.root, sysroot: opts.sysroot, cwd });
    this.stderr = opts.stderr ?? hostOutput(2);
    this.signals.takenObservers.push((s) => this.timers.posix.taken(this, s));
  }

  /**
   * Loads `opts.program` and prepares the process to run from its entry
   * point. Throws {@linkcode EmuError} for unusable programs.
   */
  static async create(opts: LinuxProcessOptions): Promise<LinuxProcess> {
    const name = opts.program;
    const bytes = readProgram(name);
    const elf = parseElf(bytes, name);
    let target = opts.target;
    if (!target && opts.cpu) target = await targetForCpu(opts.cpu);
    if (!target) target = (await targetForElf(elf.machine, elf.elfClass)) ?? undefined;
    if (!target) {
      throw new EmuError(
        `${name}: ELF machine ${elf.machine} (ELF${elf.elfClass === 2 ? 64 : 32}) is not supported`,
        "run a Linux program for a CPU that `-cpu help` lists",
      );
    }
    if (target.elfMachine !== elf.machine || target.elfClass !== elf.elfClass) {
      throw new EmuError(
        `${name}: not a program for CPU ${target.name} (wrong ELF machine or class)`,
      );
    }
    if (!target.linux) throw new EmuError(`target ${target.name} has no Linux user-mode support`);
    const flagErr = target.linux.checkElfFlags?.(elf.flags);
    if (flagErr) throw new EmuError(`${name}: ${flagErr}`);
    const root = opts.root ? Deno.realPathSync(opts.root) : null;
    let sysroot = opts.sysroot;
    const defaultSysroot = target.linux.defaultSysroot;
    if (sysroot === undefined) sysroot = hostStat(defaultSysroot) ? defaultSysroot : null;
    const hostCwd = opts.cwd ?? inputDirectory();
    const p = new LinuxProcess(target, { ...opts, root, sysroot }, startDirectory(root, hostCwd));
    const hostProg = name.startsWith("/") ? name : `${hostCwd}/${name}`;
    const realProg = (() => {
      try {
        return realInputPath(hostProg);
      } catch {
        return hostProg;
      }
    })();
    p.exePath = p.paths.toGuest(realProg);
    p.programPath = realProg;
    p.elf = elf;
    p.modules.observers.push({
      onLoad: (module) => p.hooks.events.emit("module_load", { module }),
    });
    loadProgram(p, elf, realProg, opts);
    installStdStreams(p, opts);
    if (p.log) {
      const dump = (cpu: CpuCore, fpu: boolean) => p.abi.cpuDump?.(cpu, fpu) ?? registerRows(cpu);
      p.cpu.backend = withExecLog(p.cpu.backend, p.log, dump, p.modules);
    }
    return p;
  }

  /**
   * Saves the whole process (CPU, memory, files, signals, clock, random
   * state); {@linkcode restore} puts it back, copying only the pages written
   * since. Translated code is kept.
   */
  snapshot(): ProcessSnapshot {
    this.threads.checkSingle("snapshot");
    refuseLiveHostSockets(this.fds.list());
    return captureProcess(this, {
      pending: this.#pending,
      pendingSkip: this.#pendingSkip,
      deferredFault: this.#deferredFault,
      started: this.#started,
      events: [...this.#events],
    });
  }

  /** The most a snapshot file's blob may inflate to: the memory ceiling. */
  get snapshotBlobLimit(): number {
    return Number(this.as.memoryLimit);
  }

  /**
   * Puts the process back as {@linkcode snapshot} saved it (also after it
   * exited), or as a snapshot file of the same program holds it.
   */
  restore(s: ProcessSnapshot | PortableSnapshot): void {
    this.#setRunState(restoreProcess(this, s));
  }

  #setRunState(r: ProcessRunState): void {
    this.#pending = r.pending;
    this.#pendingSkip = r.pendingSkip;
    this.#deferredFault = r.deferredFault;
    this.#started = r.started;
    this.#events.splice(0, this.#events.length, ...r.events);
  }

  /** Whether the process has exited. */
  get exited(): boolean {
    return this.exitStatus !== null;
  }

  /** The id of the running thread (gettid). */
  get tid(): number {
    return this.threads.current.tid;
  }

  /** The running thread's clear_child_tid address (set_tid_address). */
  get clearChildTid(): bigint {
    return this.threads.current.clearChildTid;
  }

  set clearChildTid(v: bigint) {
    this.threads.current.clearChildTid = v;
  }

  /** Ends the process with `status` (exit_group); a child's CPU leaves the hooks (`exit`: the root's). */
  exit(status: number, signal: number | null = null): void {
    if (this.exited) return;
    this.exitStatus = status;
    this.exitSignal = signal;
    this.threads.releaseRobustLists(); // before the shared pages go: the words may be there
    this.as.releaseShared();
    this.fds.closeAll();
    this.world.ptys.leaderExited(this);
    if (this.parent) childExited(this.parent, this);
    // The run ends with the program started: the files its children hold close with it.
    else {
      for (const q of this.world.processes) {
        q.as.releaseShared();
        q.fds.closeAll();
      }
    }
    this.#events.push({ kind: "exit", status, signal });
    this.hooks.events.emit("vcpu_exit", { index: this.hooks.index });
    if (this.world.root === this) this.hooks.events.emit("exit", { status });
    else this.hooks.leave();
  }

  /**
   * Runs until the next event. A `syscall` event is reported before the
   * syscall runs; it runs at the start of the next call. Guest threads take
   * turns inside one call; where they switch does not depend on `budget`.
   */
  step(budget = 10_000_000): ProcessEvent {
    if (!this.#started) {
      this.#started = true;
      this.hooks.events.emit("vcpu_init", { index: this.hooks.index });
    }
    if (this.#events.length) return this.#events.shift()!;
    if (this.exited) return { kind: "exit", status: this.exitStatus!, signal: this.exitSignal };
    if (this.reportSignals && this.signals.hasReported()) {
      this.#deliverSignals();
      if (this.#events.length) return this.#events.shift()!;
    }
    if (this.#deferredFault) {
      const trap = this.#deferredFault;
      this.#deferredFault = null;
      this.#fault(trap, false);
      this.#deliverSignals();
      if (this.#events.length) return this.#events.shift()!;
    }
    if (this.#pending) {
      const s = this.#pending;
      this.#pending = null;
      this.#runSyscall(s.name, s.nr, s.args, s.pc, this.#pendingSkip);
      this.#pendingSkip = null;
      if (!this.threads.mustSwitch) this.#deliverSignals();
      if (this.#events.length) return this.#events.shift()!;
    }
    const stopAt = this.cpu.icount + budget;
    for (;;) {
      if (this.job.stopped !== null) return { kind: "budget" }; // until SIGCONT
      if (this.timers.fire(this) && !this.threads.mustSwitch) {
        this.#deliverSignals();
        if (this.#events.length) return this.#events.shift()!;
      }
      if (this.threads.mustSwitch) {
        if (!this.#reschedule()) return { kind: "budget" };
        if (this.#events.length) return this.#events.shift()!;
      }
      const left = Math.min(stopAt - this.cpu.icount, this.#insnsToTimer());
      if (left <= 0) return { kind: "budget" };
      // Alone in the run, a thread has no one to take turns with: quanta would only cut blocks.
      const alone = this.world.processes.length === 1 && this.threads.all.length === 1;
      const before = this.cpu.icount;
      this.threads.ran = this.threads.current.tid;
      const r = this.cpu.run(alone ? left : Math.min(left, this.threads.quantumLeft));
      if (!alone) this.threads.quantumLeft -= this.cpu.icount - before;
      if (r.reason === "budget") continue;
      if (r.reason === "stop") return { kind: "stop" };
      return this.#trapEvent(r.trap);
    }
  }

  /**
   * Hands the CPU to the next thread; finishes the syscall it was blocked
   * in. The root process first lets the other processes take a turn, and
   * while none of its threads can run, runs them, skips time or reports a
   * deadlock; another process returns false when none of its threads can run.
   */
  #reschedule(): boolean {
    const root = this.world.root === this;
    if (root) this.world.runOthers();
    let next = this.threads.schedule();
    while (!next) {
      if (!root) return false;
      if (!this.world.runOthers()) this.world.skipOrDeadlock();
      this.timers.fire(this);
      next = this.threads.schedule();
    }
    const { thread, result } = next;
    const w = thread.wait;
    if (w && result !== null) {
      thread.wait = null;
      // Restarted: the syscall instruction runs again once the handler returns.
      if (result === RESTART) this.cpu.pc = w.pc;
      else this.#finishSyscall(w, BigInt(result));
    }
    this.#deliverSignals();
    return true;
  }

  /**
   * Runs this process (not the root) for about one quantum, its events
   * handled here; returns whether it ran at all.
   */
  runTurn(): boolean {
    const start = this.cpu.icount, quantum = this.threads.scheduler.options.quantum;
    let ran = false;
    if (this.job.stopped !== null) return false;
    for (let left = quantum; left > 0 && !this.exited; left = quantum - (this.cpu.icount - start)) {
      const ev = this.step(left);
      if (ev.kind === "budget" || ev.kind === "stop") break;
      ran = true;
    }
    return ran || this.cpu.icount !== start;
  }

  /** A child process that is a copy of this one (fork), its thread returning 0 from the syscall. */
  fork(regs: NewThreadRegisters): LinuxProcess {
    const child = new LinuxProcess(this.cpu.target, this.options, this.paths.cwd, this);
    copyForFork(this, child, regs);
    this.world.add(child);
    return child;
  }

  /** Instructions until the first interval timer expires (at least 1), or Infinity. */
  #insnsToTimer(): number {
    const at = this.timers.next();
    if (at === undefined) return Infinity;
    const per = this.clock.nsPerInsn, ns = at - this.clock.monotonicNs();
    return ns > 0n ? Number((ns + per - 1n) / per) : 1;
  }

  /** The event of a trap: a syscall to report, or a fault. */
  #trapEvent(trap: Trap): ProcessEvent {
    if (trap.kind === TrapKind.SYSCALL) {
      const nr = Number(this.cpu.getGlobal(this.abi.syscallNumberReg));
      const args = this.abi.argRegs.map((g) => this.cpu.getGlobal(g));
      const name = this.abi.syscallNames[nr] ?? `syscall_${nr}`;
      this.#pending = { kind: "syscall", nr, name, args, pc: trap.pc };
      return this.#pending;
    }
    if (this.deferFaults) {
      this.#deferredFault = trap;
      return { kind: "fault", signal: this.#faultSignal(trap).signal, trap };
    }
    this.#fault(trap, true);
    this.#deliverSignals();
    return this.#events.shift() ?? { kind: "budget" };
  }

  /** Makes the syscall `step` just reported return `ret` without running. */
  skipPendingSyscall(ret: bigint): void {
    if (this.#pending) this.#pendingSkip = BigInt.asIntN(64, ret);
  }

  /**
   * Drops the fault `step` just reported (the instruction runs again on the
   * next `step`), or the signal of a `signal_stop`.
   */
  resolveFault(): void {
    this.#deferredFault = null;
    this.signals.dropHeld();
  }

  /** Runs to the end; returns the exit status. */
  runToExit(): number {
    while (!this.exited) this.step();
    return this.exitStatus!;
  }

  /** Queues a signal for the process (kill/tgkill to self). */
  sendSignal(p: PendingSignal): void {
    signalSent(this, p.signal); // SIGCONT continues a stopped process, SIGKILL ends one
    if (!this.threads.discards(p.signal)) this.signals.raise(p);
  }

  #runSyscall(name: string, nr: number, args: bigint[], pc: bigint, skip: bigint | null): void {
    const h = this.syscalls[name];
    const straceLine = this.strace ? formatSyscall(this, name, nr, args) : "";
    this.cpu.pc = pc + BigInt(this.abi.syscallInsnSize);
    let ret: bigint | typeof NO_RETURN;
    let skipped: bigint | null = skip;
    if (skipped === null && this.hooks.events.has("syscall")) {
      this.hooks.events.emit("syscall", {
        number: nr,
        name,
        args,
        pc,
        skip: (r) => skipped = BigInt.asIntN(64, r),
      });
    }
    if (skipped !== null) ret = skipped;
    else if (!h) {
      if (this.log?.categories.has("unimp")) this.log.write(`Unsupported syscall: ${nr} (${name})`);
      ret = BigInt(-E.ENOSYS);
    } else {
      try {
        const r = h(this, args);
        if (r instanceof Blocking) {
          this.threads.current.wait = { blocking: r, name, nr, args, pc, straceLine };
          return;
        }
        ret = typeof r === "number" ? BigInt(r) : r;
      } catch (e) {
        if (e instanceof SysError) ret = BigInt(-e.errno);
        else if (e instanceof GuestFault) ret = BigInt(-E.EFAULT);
        else if (e instanceof EmuError) throw e;
        else if (isHostError(e)) ret = BigInt(-errnoOf(e));
        else throw e;
      }
    }
    this.#finishSyscall({ name, nr, args, pc, straceLine }, ret);
  }

  /** Sets the result of a syscall (now, or when its thread stops waiting) and reports it. */
  #finishSyscall(s: Omit<ThreadWait, "blocking">, ret: bigint | typeof NO_RETURN): void {
    const { name, nr, args } = s;
    if (ret !== NO_RETURN) {
      this.cpu.setGlobal(this.abi.returnReg, ret);
      this.hooks.events.emit("syscall_return", { number: nr, name, args, ret });
    }
    // A syscall is a call into the host (QEMU's hostcall discontinuity).
    if (!this.exited && this.hooks.events.has("discontinuity")) {
      this.hooks.events.emit("discontinuity", {
        kind: "hostcall",
        from: s.pc,
        to: this.cpu.pc,
        vcpu: this.hooks.index,
      });
    }
    if (this.strace) {
      const line = s.straceLine;
      this.strace(line + formatResult(this, name, ret === NO_RETURN ? null : ret, args));
    }
  }

  /** The signal `trap` raises (SIGBUS for a file page wholly past the file's end, BUS_ADRERR). */
  #faultSignal(trap: Trap): PendingSignal {
    if (trap.kind === TrapKind.MEMORY && this.as.isBeyondEof(trap.data)) {
      return { signal: SIG.SIGBUS, code: 2, addr: trap.data, fault: true };
    }
    const mapped = this.mem.pages.has(pageNumber(trap.data));
    return faultSignal(trap, mapped, this.abi.illegalInstructionCode);
  }

  #fault(trap: Trap, report: boolean): void {
    // -d int logs nothing here: qemu-riscv64 and qemu-aarch64 turn a fault into its signal silently
    const p = this.#faultSignal(trap);
    this.signals.force(p);
    if (report) this.#events.push({ kind: "fault", signal: p.signal, trap });
  }

  #deliverSignals(): void {
    deliverSignals(this, (ev) => this.#events.push(ev));
  }
}
