/* The virt board's second cfi-flash bank (0x22000000, Intel command set): identifier and CFI
 * query, status, block erase, word/halfword/byte program, buffered write, lock bits, unknown
 * commands, 8-byte accesses. Run with or without -drive if=pflash,unit=1 (and readonly=on). */
#include "rt.h"
#define BANK 0x22000000UL
#define SIZE 0x2000000UL

static void w32(ulong off, unsigned v) { *(volatile unsigned *)(BANK + off) = v; }
static void w16(ulong off, unsigned short v) { *(volatile unsigned short *)(BANK + off) = v; }
static void w8(ulong off, unsigned char v) { *(volatile unsigned char *)(BANK + off) = v; }
static void w64(ulong off, ulong v) { *(volatile ulong *)(BANK + off) = v; }
static ulong r32(ulong off) { return *(volatile unsigned *)(BANK + off); }
static ulong r16(ulong off) { return *(volatile unsigned short *)(BANK + off); }
static ulong r8(ulong off) { return *(volatile unsigned char *)(BANK + off); }
static ulong r64(ulong off) { return *(volatile ulong *)(BANK + off); }

static void show(const char *what, ulong off) {
  puts_(what);
  putc_(' ');
  puthex(off);
  putc_(' ');
  puthex(r32(off));
  putc_(' ');
  puthex(r64(off));
  putc_('\n');
}

static void identify(void) {
  w32(0, 0x90);
  put("id manufacturer", r32(0));
  put("id device", r32(4));
  put("id index 2", r32(8));
  put("id byte 0", r8(0));
  put("id byte 1", r8(1));
  put("id half 2", r16(2));
  put("id at 0x400", r32(0x400));
  put("id 64-bit", r64(0));
  w32(0, 0x98); /* from 0x90 (cycle 0) straight to query */
  puts_("cfi");
  for (ulong i = 0; i < 0x54; i++) {
    if (i % 16 == 0) putc_('\n');
    puthex(r32(i * 4) & 0xffffffff);
    putc_(' ');
  }
  putc_('\n');
  put("cfi half", r16(0x10 * 4 + 2));
  w32(0, 0x90); /* query mode ignores it */
  put("query after 0x90", r32(0x11 * 4));
  w32(0, 0xff);
}

static void status(const char *what) {
  w32(0, 0x70);
  puts_(what);
  putc_(' ');
  puthex(r32(0));
  putc_(' ');
  puthex(r16(0));
  putc_(' ');
  puthex(r8(1));
  putc_('\n');
}

static void program(void) {
  show("before", 0x40000);
  w32(0x40000, 0x20); /* erases now */
  put("erase status", r32(0x40000));
  w32(0x40000, 0xd0);
  put("erase confirmed", r32(0x40000));
  w32(0, 0xff);
  show("erased", 0x40000);
  show("erased end", 0x7fff8);
  show("next block kept", 0x80000);
  w32(0x40004, 0x40);
  w32(0x40004, 0x12345678);
  put("program status", r32(0x40004));
  w32(0, 0xff);
  w32(0x40010, 0x10);
  w16(0x40012, 0xbeef);
  w32(0, 0xff);
  w32(0x40020, 0x40);
  w8(0x40021, 0x5a);
  w32(0, 0xff);
  w32(0x40024, 0x40);
  w32(0x40024, 0x0000ffff); /* programming sets bits back too, as in QEMU */
  w32(0, 0xff);
  show("programmed", 0x40000);
  show("programmed", 0x40010);
  show("programmed", 0x40020);
}

static void buffered(void) {
  w32(0x40100, 0xe8);
  put("buffer status", r32(0x40100));
  w32(0x40100, 3); /* four words */
  for (unsigned i = 0; i < 4; i++) w32(0x40100 + 4 * i, 0xa0a0a0a0 + i);
  w32(0x40100, 0xd0);
  put("buffer done", r32(0x40100));
  w32(0, 0xff);
  show("buffered", 0x40100);
  show("buffered", 0x40108);
  /* the buffer is the write block of the first data word, not of the setup address */
  w32(0x40000, 0xe8);
  w32(0x40000, 1);
  w32(0x41000, 0x22222222);
  w32(0x41004, 0x33333333);
  w32(0x41000, 0xd0);
  put("buffer elsewhere", r32(0));
  w32(0, 0xff);
  show("buffered elsewhere", 0x41000);
  w32(0, 0x50);
  /* a word outside the buffer's block: an error, and nothing is written */
  w32(0x40200, 0xe8);
  w32(0x40200, 1);
  w32(0x40200, 0x44444444);
  w32(0x42000, 0x55555555);
  w32(0x40200, 0xd0);
  put("buffer outside", r32(0));
  w32(0, 0xff);
  show("buffer outside", 0x40200);
  w32(0, 0x50);
  /* one word (count 0) */
  w32(0x40300, 0xe8);
  w32(0x40300, 0);
  w32(0x40300, 0x66666666);
  w32(0x40300, 0xd0);
  put("buffer of one", r32(0));
  w32(0, 0xff);
  show("buffer of one", 0x40300);
  w32(0, 0x50);
  /* not confirmed: the buffer is dropped */
  w32(0x40400, 0xe8);
  w32(0x40400, 1);
  w32(0x40400, 0x77777777);
  w32(0x40404, 0x88888888);
  w32(0x40400, 0x55);
  show("buffer aborted", 0x40400);
}

static void commands(void) {
  w32(0, 0x50);
  status("cleared");
  w32(0, 0x60);
  w32(0, 0x01);
  put("lock status", r32(0));
  w32(0, 0x60);
  w32(0, 0xd0);
  put("unlock status", r32(0));
  w32(0, 0x60);
  w32(0, 0x33); /* unknown lock command: read array */
  show("after bad lock", 0);
  w32(0, 0x20);
  w32(0, 0x77); /* erase not confirmed: block 0 is erased anyway, back to read array */
  show("after unconfirmed erase", 0);
  w32(0, 0x12); /* unknown command */
  show("after unknown", 8);
  w64(0, 0x00000070000000ffUL); /* two commands in one access: read array, then status */
  put("64-bit commands", r32(0));
  w32(0, 0xf0);
  show("after 0xf0", 8);
  w32(SIZE - 4, 0x40);
  w32(SIZE - 4, 0xcafef00d);
  w32(0, 0xff);
  show("last word", SIZE - 8);
  status("status at end");
  w32(0, 0x00);
}

#ifdef RUN_FROM_FLASH
/* Code written into the flash and run from it: after a rewrite and fence.i, the new code runs
 * (QEMU 7.2 keeps running the old code: it drops no translated code on a flash write). */
static void run_from_flash(void) {
  long (*fn)(void) = (long (*)(void))(BANK + 0x80000);
  w32(0, 0x50);
  w32(0x80000, 0x20);
  w32(0x80000, 0xd0);
  w32(0x80000, 0x40);
  w32(0x80000, 0x00100513); /* li a0, 1 */
  w32(0x80004, 0x40);
  w32(0x80004, 0x00008067); /* ret */
  w32(0, 0x70);
  if (r32(0) & 0x30) { /* erase or program failed */
    w32(0, 0xff);
    puts_("read-only: no code to run\n");
    return;
  }
  w32(0, 0xff);
  __asm__ volatile(".insn i 0x0f, 1, x0, x0, 0"); /* fence.i */
  put("flash code returns", fn());
  w32(0x80000, 0x40);
  w32(0x80000, 0x00200513); /* li a0, 2 */
  w32(0, 0xff);
  __asm__ volatile(".insn i 0x0f, 1, x0, x0, 0"); /* fence.i */
  put("rewritten flash code returns", fn());
}
#endif

int main(void) {
  puts_("pflash\n");
  show("array", 0);
  show("array", 0x1000);
  identify();
  show("array again", 0);
  status("status at reset");
  program();
  buffered();
  commands();
#ifdef RUN_FROM_FLASH
  run_from_flash();
#endif
  poweroff(0);
}
