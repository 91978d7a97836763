// The command line that runs a bare-metal program under `emu system` in a subprocess.

const MOD = new URL("../../mod.ts", import.meta.url).pathname;

/** `deno run -A mod.ts system -M virt -m 128M -bios none -kernel <kernel> -nographic ...extra` */
export function emuSystemArgs(kernel: string, extra: string[]): string[] {
  return [
    "run",
    "-A",
    MOD,
    "system",
    "-M",
    "virt",
    "-m",
    "128M",
    "-bios",
    "none",
    "-kernel",
    kernel,
    "-nographic",
    ...extra,
  ]; // deno-fmt-ignore
}
