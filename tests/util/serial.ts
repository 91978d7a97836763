// Talking to a system-mode guest over its serial port, as a user at the console would.
// SPDX-License-Identifier: GPL-3.0-or-later
import type { Machine } from "../../mod.ts";

const SECOND = 1_000_000_000n;

/**
 * Runs `m` until `pattern` shows on the console after typing `input` (5 s of
 * virtual time at most); returns the output since, with "\n" line ends.
 */
export async function converse(m: Machine, input: string, pattern: RegExp): Promise<string> {
  const from = m.stdout.length;
  const running = m.runToExit();
  try {
    if (input) m.serial.write(input);
    await m.serial.expect(pattern, { timeoutNs: 5n * SECOND });
  } finally {
    m.stop();
    await running;
  }
  return m.stdout.slice(from).replaceAll("\r\n", "\n");
}

/**
 * Stops U-Boot's autoboot on `m`'s console, then types each of `commands` at its prompt and
 * waits for the next one; the machine is stopped after. Returns the whole console output.
 */
export async function ubootCommands(m: Machine, commands: string[]): Promise<string> {
  const con = m.serial;
  const running = m.runToExit();
  try {
    await con.expect(/Hit any key to stop autoboot/, { timeoutNs: 5n * SECOND });
    con.write("x");
    await con.expect(/=> /, { timeoutNs: 5n * SECOND });
    for (const c of commands) {
      con.write(`${c}\r`);
      await con.expect(/=> /, { timeoutNs: 5n * SECOND });
    }
  } finally {
    m.stop();
    await running;
  }
  return con.output;
}
