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

/** What the stub reads on its stdin: `text`, once its stdout matches `after` (if given). */
export interface StubInput {
  text: string;
  after?: RegExp;
}

/**
 * Runs the stub (`emu`: argv where a final "PORT" in an argument is replaced by a free port) and
 * `gdb-multiarch -nx -batch` with `cmds` against it, both within `limitMs` (120 s: on a loaded machine Deno, gdb and the guest share 2 cores).
 * gdb retries a refused connection until the stub listens (30 s: a loaded
 * machine starts Deno slowly); the stub gets 10 s more after gdb is done.
 * `program`: the file gdb reads symbols from ("" for none); `input`: what
 * the stub reads on its stdin (else nothing); `arch`: gdb's architecture.
 */
export async function gdbBatch(
  emu: string[],
  program: string,
  cmds: string[],
  input?: StubInput,
  limitMs = 120_000,
  arch = "riscv:rv64",
): Promise<GdbRun> {
  const port = freePort();
  const signal = AbortSignal.timeout(limitMs);
  const stub = new Deno.Command(emu[0], {
    args: emu.slice(1).map((a) => a.replace(/PORT$/, `${port}`)),
    stdout: "piped",
    stderr: "piped",
    stdin: input === undefined ? "null" : "piped",
    signal,
  }).spawn();
  const stdin = input && stub.stdin.getWriter();
  let typed = false;
  const type = (out: string) => {
    if (!stdin || typed || (input!.after && !input!.after.test(out))) return;
    typed = true;
    stdin.write(new TextEncoder().encode(input!.text)).then(() => stdin.close()).catch(() => {});
  };
  type("");
  const emuOut = collect(stub.stdout, type), emuErr = collect(stub.stderr);
  const gdb = await new Deno.Command(GDB, {
    args: [
      "-nx",
      "-batch",
      "-ex",
      `set architecture ${arch}`,
      "-ex",
      "set tcp connect-timeout 30",
      "-ex",
      `target remote 127.0.0.1:${port}`,
      ...cmds.flatMap((c) => ["-ex", c]),
      ...(program ? [program] : []),
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
  const status = await stub.status;
  clearTimeout(reaper);
  if (stdin && !typed) await stdin.close().catch(() => {});
  const dec = (b: Uint8Array) => new TextDecoder().decode(b);
  return {
    gdb: dec(gdb.stdout) + dec(gdb.stderr),
    emuOut: await emuOut,
    emuErr: await emuErr,
    emuStatus: status.code,
  };
}

/** All of `stream` as text; `seen` gets the text so far after each chunk. */
async function collect(
  stream: ReadableStream<Uint8Array>,
  seen?: (text: string) => void,
): Promise<string> {
  const dec = new TextDecoder();
  let text = "";
  for await (const chunk of stream) {
    text += dec.decode(chunk, { stream: true });
    seen?.(text);
  }
  return text;
}
