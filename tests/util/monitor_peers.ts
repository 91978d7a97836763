// qemu-system-riscv64 and `emu system` run side by side with input typed on stdin:
// what the monitor tests compare.

/** One run's exit status and output (carriage returns taken out). */
export interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** The two system emulators compared. */
export type Peer = "qemu" | "emu";

const MOD = new URL("../../mod.ts", import.meta.url).pathname;

/** Runs `cmd args` with `input` written on stdin after `pause` ms (as a user types it). */
export async function runTyped(cmd: string, args: string[], input = "", pause = 0): Promise<Run> {
  const child = new Deno.Command(cmd, { args, stdin: "piped", stdout: "piped", stderr: "piped" })
    .spawn();
  const timer = setTimeout(() => child.kill(), 60000);
  const w = child.stdin.getWriter();
  if (input) await new Promise((r) => setTimeout(r, pause));
  try {
    await w.write(new TextEncoder().encode(input));
    await w.close();
  } catch (e) {
    // a run that ends before reading its input (a refused -loadvm) closes the pipe first
    if (!(e instanceof Deno.errors.BrokenPipe)) throw e;
  }
  const r = await child.output();
  clearTimeout(timer);
  const text = (b: Uint8Array) => new TextDecoder().decode(b).replaceAll("\r", "");
  return { code: r.code, stdout: text(r.stdout), stderr: text(r.stderr) };
}

/** Runs QEMU or Denemu's system mode (QEMU reads the monitor's input only once the machine is up). */
export function systemPeer(peer: Peer, args: string[], input = ""): Promise<Run> {
  return peer === "qemu"
    ? runTyped("qemu-system-riscv64", args, input, 300)
    : runTyped(Deno.execPath(), ["run", "-A", MOD, "system", ...args], input);
}
