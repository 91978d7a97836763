// releaseFreeHeap (core/host_malloc.ts) gives back free C-heap pages that glibc keeps resident
// because small blocks in use sit above them, and does nothing, without asking, where FFI is not
// granted.
// SPDX-License-Identifier: GPL-3.0-or-later
import assert from "node:assert/strict";
import { releaseFreeHeap } from "../core/host_malloc.ts";

const BLOCK = 64 << 10, BLOCKS = 160;

Deno.test("releaseFreeHeap: freed blocks pinned below small ones leave the RSS", () => {
  const libc = Deno.dlopen("libc.so.6", {
    malloc: { parameters: ["usize"], result: "pointer" },
    free: { parameters: ["pointer"], result: "void" },
    memset: { parameters: ["pointer", "i32", "usize"], result: "pointer" },
  });
  try {
    const { malloc, free, memset } = libc.symbols;
    const big: Deno.PointerValue[] = [], small: Deno.PointerValue[] = [];
    for (let i = 0; i < BLOCKS; i++) {
      const p = malloc(BigInt(BLOCK));
      memset(p, 1, BigInt(BLOCK));
      big.push(p);
      small.push(malloc(4096n)); // above it: glibc cannot shrink the heap from its top
    }
    big.forEach((p) => free(p));
    const before = Deno.memoryUsage().rss;
    assert.equal(releaseFreeHeap(), true);
    const released = before - Deno.memoryUsage().rss;
    small.forEach((p) => free(p));
    assert.ok(
      released >= (BLOCK * BLOCKS) / 2,
      `RSS fell by ${released >> 10} KiB of ${(BLOCK * BLOCKS) >> 10} KiB freed`,
    );
  } finally {
    libc.close();
  }
});

Deno.test("releaseFreeHeap: without FFI granted it returns false and asks nothing", async () => {
  const module = new URL("../core/host_malloc.ts", import.meta.url).href;
  const script = `import { releaseFreeHeap } from "${module}"; console.log(releaseFreeHeap());`;
  const file = await Deno.makeTempFile({ suffix: ".ts" });
  try {
    await Deno.writeTextFile(file, script);
    const r = await new Deno.Command(Deno.execPath(), {
      args: ["run", "--no-prompt", file],
      stdin: "null",
    }).output();
    assert.equal(new TextDecoder().decode(r.stderr), "");
    assert.equal(new TextDecoder().decode(r.stdout), "false\n");
  } finally {
    await Deno.remove(file);
  }
});
