// Whether a peer tool is installed, for tests that compare with it.

/** Whether `cmd --version` runs and succeeds. */
export function installed(cmd: string): boolean {
  try {
    return new Deno.Command(cmd, { args: ["--version"], stdout: "null", stderr: "null" })
      .outputSync().success;
  } catch {
    return false;
  }
}
