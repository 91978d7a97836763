/**
 * A new process's descriptors 0, 1 and 2: the host's streams, or buffers
 * and sinks given by the caller, recorded into or replayed from the input
 * log when there is one.
 *
 * @module
 */

import { InputStream, type OutputSink, OutputStream } from "./fds.ts";
import { hostOutputStream, hostStdin } from "./host_stdin.ts";
import { hostStat } from "./host_io.ts";
import { recordedStdin, recordedStdStreams, type StdStreamInfo } from "./recorded_inputs.ts";
import type { LinuxProcess, LinuxProcessOptions } from "./process.ts";

/**
 * Installs stdin, stdout and stderr as descriptors 0-2 of `p`. Output is
 * dropped while `p.outputMuted` is set.
 *
 * @example
 * ```ts ignore
 * installStdStreams(p, { program: "hello", stdin: "inherit" });
 * ```
 */
export function installStdStreams(p: LinuxProcess, opts: LinuxProcessOptions): void {
  const host = [opts.stdin === "inherit", !opts.stdout, !opts.stderr];
  const paths = ["/dev/stdin", "/dev/stdout", "/dev/stderr"];
  const std = [Deno.stdin, Deno.stdout, Deno.stderr];
  const live = host.map((h, fd) => ({
    isTty: h && std[fd].isTerminal(),
    info: h ? hostStat(paths[fd]) : undefined,
  }));
  const log = p.inputLog;
  const [i, o, e] = log ? recordedStdStreams(log, live) : live;
  let stdin = host[0]
    ? hostStdin(i, !!log)
    : new InputStream(opts.stdin instanceof Uint8Array ? opts.stdin : new Uint8Array());
  if (log) stdin = recordedStdin(log, stdin, i.isTty, () => p.clock.instructions());
  p.fds.install(stdin, false);
  const unlessMuted = (sink: OutputSink): OutputSink => (b) => p.outputMuted || sink(b);
  const out = (sink: OutputSink | undefined, fd: 1 | 2, s: StdStreamInfo) =>
    sink
      ? new OutputStream(unlessMuted(sink), s.isTty, s.info)
      : hostOutputStream(fd, s, !!log, unlessMuted);
  p.fds.install(out(opts.stdout, 1, o), false);
  p.fds.install(out(opts.stderr, 2, e), false);
}
