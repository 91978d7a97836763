// NS16550A UART through its MMIO registers: THR to the console, LSR, DLAB, FIFO, interrupts.
// SPDX-License-Identifier: GPL-3.0-or-later
import assert from "node:assert/strict";
import { testEnv, withDevices } from "./system_env.ts";

const UART = 0x10000000n, PLIC = 0xc000000n;
const THR = 0n, IER = 1n, IIR = 2n, FCR = 2n, LCR = 3n, MCR = 4n, LSR = 5n, MSR = 6n, SCR = 7n;

async function setup() {
  const env = testEnv();
  const { console } = await withDevices(env, [
    ["plic", { addr: PLIC }],
    ["ns16550a", { addr: UART, irq: 10 }],
  ]);
  const rd = (r: bigint) => Number(env.bus.load(UART + r, 1));
  const wr = (r: bigint, v: number) => env.bus.store(UART + r, 1, BigInt(v));
  // The PLIC's pending word shows the UART's line (source 10).
  const line = () => ((Number(env.bus.load(PLIC + 0x1000n, 4)) >> 10) & 1) === 1;
  return { env, console, rd, wr, line };
}

Deno.test("uart: THR bytes reach the console; LSR says THRE|TEMT, DR with input", async () => {
  const { console, rd, wr } = await setup();
  for (const c of "Hi\n") wr(THR, c.charCodeAt(0));
  assert.equal(console.output, "Hi\n");
  assert.equal(rd(LSR), 0x60);
  console.write("ok");
  assert.equal(rd(LSR), 0x61);
  assert.equal(rd(THR), 0x6f);
  assert.equal(rd(THR), 0x6b);
  assert.equal(rd(LSR), 0x60);
  assert.equal(rd(THR), 0, "empty RBR reads 0");
  wr(SCR, 0x5a);
  assert.equal(rd(SCR), 0x5a);
  assert.equal(rd(MSR) & 0xb0, 0xb0, "DCD, DSR, CTS: a terminal is connected");
});

Deno.test("uart: DLAB switches offsets 0/1 to the divisor latch", async () => {
  const { console, rd, wr } = await setup();
  wr(IER, 0x01);
  wr(LCR, 0x83);
  wr(THR, 0x0c); // DLL
  wr(IER, 0x00); // DLM
  assert.equal(rd(THR), 0x0c);
  assert.equal(rd(IER), 0x00);
  assert.equal(console.output, "", "DLL writes are not transmitted");
  wr(LCR, 0x03);
  assert.equal(rd(IER), 0x01, "IER kept its value");
  assert.equal(rd(LCR), 0x03);
});

Deno.test("uart: receive and THR-empty interrupts raise and lower the line", async () => {
  const { console, rd, wr, line } = await setup();
  assert.equal(rd(IIR) & 0x0f, 0x01, "no interrupt");
  wr(IER, 0x01); // received data available
  assert.equal(line(), false);
  console.write("z");
  assert.equal(line(), true);
  assert.equal(rd(IIR) & 0x0f, 0x04);
  rd(THR);
  assert.equal(line(), false);
  wr(IER, 0x03); // + THR empty: pending at once
  assert.equal(line(), true);
  assert.equal(rd(IIR) & 0x0f, 0x02);
  assert.equal(line(), false, "reading IIR clears the THRE interrupt");
  wr(THR, 0x41); // sent at once: THR empty again
  assert.equal(line(), true);
  wr(IER, 0x00);
  assert.equal(line(), false);
});

Deno.test("uart: FIFO trigger level and character timeout in virtual time", async () => {
  const { env, console, rd, wr, line } = await setup();
  wr(FCR, 0x87); // FIFO on, clear, trigger 8
  wr(IER, 0x01);
  assert.equal(rd(IIR) & 0xc0, 0xc0, "FIFO enabled bits");
  console.write("abc");
  assert.equal(line(), false, "3 bytes < trigger 8");
  // 38400 baud at divisor 6: a character is 10 bits = 260416 ns; timeout after 4 of them.
  wr(LCR, 0x80);
  wr(THR, 6);
  wr(LCR, 0x03);
  console.write("d");
  env.advanceTo(4n * 260416n - 1n);
  assert.equal(line(), false);
  env.advanceTo(4n * 260416n);
  assert.equal(line(), true);
  assert.equal(rd(IIR) & 0x0f, 0x0c, "character timeout");
  assert.equal(String.fromCharCode(rd(THR), rd(THR), rd(THR), rd(THR)), "abcd");
  assert.equal(line(), false);
  console.write("0123456789abcdefXY"); // 18 bytes: the FIFO takes 16, the rest waits
  assert.equal(line(), true);
  assert.equal(rd(IIR) & 0x0f, 0x04);
  let got = "";
  while (rd(LSR) & 1) got += String.fromCharCode(rd(THR));
  assert.equal(got, "0123456789abcdefXY");
});

Deno.test("uart: loopback sends THR to RBR and MCR to MSR", async () => {
  const { console, rd, wr } = await setup();
  wr(MCR, 0x10 | 0x03);
  wr(THR, 0x55);
  assert.equal(console.output, "");
  assert.equal(rd(LSR) & 1, 1);
  assert.equal(rd(THR), 0x55);
  assert.equal(rd(MSR) & 0xf0, 0x30, "RTS->CTS, DTR->DSR");
  wr(MCR, 0);
  wr(THR, 0x56);
  assert.equal(console.output, "V");
});
