// Checks the Unicorn peer harness used by the benchmark (scripts/peers/unicorn_run.py): it must
// run the compute benchmark guest and print exactly the stdout recorded from qemu-riscv64.
// Skipped (reported as ignored, with a warning) when /usr/bin/python3 cannot import unicorn.
// SPDX-License-Identifier: GPL-3.0-or-later
import assert from "node:assert/strict";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const PYTHON = "/usr/bin/python3";
const HARNESS = join(ROOT, "scripts/peers/unicorn_run.py");
const GUESTS = join(ROOT, "tests/guests");
const CASE = "compute.quick.static.O2";

async function unicornMissing(): Promise<string> {
  try {
    const r = await new Deno.Command(PYTHON, {
      args: ["-c", "import unicorn"],
      stdout: "null",
      stderr: "null",
    }).output();
    return r.success ? "" : "python3-unicorn not installed";
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return `${PYTHON} not found`;
    throw e;
  }
}

const reason = await unicornMissing();
if (reason) {
  console.warn(`peers_unicorn_test: SKIPPING the Unicorn peer harness test: ${reason}`);
}

interface Case {
  name: string;
  binary: string;
  args: string[];
  stdout: string;
  exitStatus: number;
}

Deno.test({
  name: `unicorn peer: ${CASE} stdout matches the qemu-riscv64 recording${
    reason ? ` (skipped: ${reason})` : ""
  }`,
  ignore: reason !== "",
  async fn() {
    const manifest: { cases: Case[] } = JSON.parse(
      await Deno.readTextFile(join(GUESTS, "manifest.json")),
    );
    const c = manifest.cases.find((x) => x.name === CASE);
    assert.ok(c, `manifest has no case ${CASE}`);
    assert.deepEqual(c.args, ["3"]);
    const r = await new Deno.Command(PYTHON, {
      args: [HARNESS, "--hook", "none", join(GUESTS, c.binary), ...c.args],
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).output();
    const dec = new TextDecoder();
    const stderr = dec.decode(r.stderr);
    const want = dec.decode(await Deno.readFile(join(GUESTS, c.stdout)));
    assert.equal(dec.decode(r.stdout), want, `stdout (harness stderr: ${stderr})`);
    assert.equal(r.code, c.exitStatus, `exit status (harness stderr: ${stderr})`);
    const lines = stderr.trimEnd().split("\n");
    const report = JSON.parse(lines[lines.length - 1]);
    assert.equal(report.exit_status, c.exitStatus);
    assert.equal(typeof report.seconds, "number");
    assert.equal(report.blocks, null);
  },
});
