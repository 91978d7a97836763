// gdb-multiarch in batch mode against a Denemu gdb stub run in a subprocess.

const GDB = "gdb-multiarch";

/** A free TCP port on 127.0.0.1 (closed again; the stub listens on it next). */
export function freePort(): number {
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = l.addr.port;
  l.close();
  return port;
}

/** What a batch session printed. */
export interface GdbRun {
  /** gdb's stdout and stderr */
  gdb: string;
  /** the stub's stdout */
  emuOut: string;
  /** the stub's stderr */
  emuErr: string;
  /** the stub's exit status */
  emuStatus: number;
}

/**
 * Runs the stub (`emu`: argv where a final "PORT" in an argument is replaced by a free port) and
 * `gdb-multiarch -nx -batch` with `cmds` against it, both within 60 s.
 * gdb retries a refused connection until the stub listens (30 s: a loaded
 * machine starts Deno slowly); the stub gets 10 s more after gdb is done.
 * `stdin`: what the stub reads on its stdin (else nothing).
 */
export async function gdbBatch(
  emu: string[],
  program: string,
  cmds: string[],
  stdin?: string,
): Promise<GdbRun> {
  const port = freePort();
  const signal = AbortSignal.timeout(60_000);
  const stub = new Deno.Command(emu[0], {
    args: emu.slice(1).map((a) => a.replace(/PORT$/, `${port}`)),
    stdout: "piped",
    stderr: "piped",
    stdin: stdin === undefined ? "null" : "piped",
    signal,
  }).spawn();
  if (stdin !== undefined) {
    const w = stub.stdin.getWriter();
    await w.write(new TextEncoder().encode(stdin));
    await w.close();
  }
  const gdb = await new Deno.Command(GDB, {
    args: [
      "-nx",
      "-batch",
      "-ex",
      "set architecture riscv:rv64",
      "-ex",
      "set tcp connect-timeout 30",
      "-ex",
      `target remote 127.0.0.1:${port}`,
      ...cmds.flatMap((c) => ["-ex", c]),
      program,
    ],
    stdout: "piped",
    stderr: "piped",
    stdin: "null",
    signal,
  }).output();
  // a stub gdb never reached (qemu-riscv64 -g ignores SIGTERM while it waits) must not hang the test
  const reaper = setTimeout(() => {
    try {
      stub.kill("SIGKILL");
    } catch {
      // already gone
    }
  }, 10_000);
  const out = await stub.output();
  clearTimeout(reaper);
  const dec = (b: Uint8Array) => new TextDecoder().decode(b);
  return {
    gdb: dec(gdb.stdout) + dec(gdb.stderr),
    emuOut: dec(out.stdout),
    emuErr: dec(out.stderr),
    emuStatus: out.code,
  };
}
