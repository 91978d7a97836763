// What a newcomer types first: `emu CMD -h` of every command prints its usage
// and exits 0 (afl-tmin and afl-cmin's spelling included), and a mistyped
// command names the one it is a typo of.
import assert from "node:assert/strict";

const MOD = new URL("../mod.ts", import.meta.url).pathname;
const COMMANDS = ["user", "system", "fuzz", "tmin", "cmin", "showmap", "cov", "img", "bundle"];

async function emu(args: string[]) {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", MOD, ...args],
    stdin: "null",
  }).output();
  const dec = new TextDecoder();
  return { code: out.code, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr) };
}

Deno.test("emu -h lists every command, and each command's -h and --help print its usage", async () => {
  const list = (await emu(["-h"])).stdout;
  for (const command of COMMANDS) {
    assert.match(list, new RegExp(`^  ${command} `, "m"));
    for (const flag of ["-h", "--help"]) {
      const r = await emu([command, flag]);
      assert.equal(r.code, 0, `${command} ${flag}: ${r.stderr}`);
      assert.match(r.stdout, new RegExp(`^usage: emu ${command} `), `${command} ${flag}`);
    }
  }
});

Deno.test("a mistyped command names the command it is a typo of", async () => {
  const typo = await emu(["usr", "tests/guests/bin/hello.static.O2"]);
  assert.equal(typo.code, 1);
  assert.equal(
    typo.stderr,
    'emu: unknown command "usr" (did you mean emu user? run emu -h for the list)\n',
  );
  const unknown = await emu(["foo"]);
  assert.equal(unknown.stderr, 'emu: unknown command "foo" (run emu -h for the list)\n');
});
