/* Zicbom and Zicboz below M-mode: menvcfg's CBCFE (bit 6) enables cbo.clean and cbo.flush,
 * CBIE (bits 5:4, 01 or 11) cbo.inval, CBZE (bit 7) cbo.zero in S- and U-mode; in U-mode
 * senvcfg's bits must allow them too. M-mode may always. Otherwise: an illegal-instruction
 * trap. Run with -cpu rv64,zicbom=on,zicboz=on. QEMU 7.2 predates Zicbom and Zicboz: the
 * expected output follows the CMO specification (1.0.1, "Cache-Block Operations"). */
#include "rt.h"

#define CBIE_FLUSH (1UL << 4)
#define CBIE_INVAL (3UL << 4)
#define CBCFE (1UL << 6)
#define CBZE (1UL << 7)
#define ALL (CBIE_INVAL | CBCFE | CBZE)

static volatile ulong block[8] __attribute__((aligned(64)));
static volatile ulong trapped; /* bit 0 clean, 1 flush, 2 inval, 3 zero */

/* cbo.* rs1 as .insn: MISC-MEM, funct3 2, rd x0, imm the operation */
#define CBO_OP(imm, p) __asm__ volatile(".insn i 0x0f, 2, x0, %0, " #imm ::"r"(p) : "memory")

static void try_ops(void) {
  int c = last.count;
  ulong t = 0;
  CBO_OP(1, block);
  if (last.count != c) t |= 1, c = last.count;
  CBO_OP(2, block);
  if (last.count != c) t |= 2, c = last.count;
  CBO_OP(0, block);
  if (last.count != c) t |= 4, c = last.count;
  block[3] = 7;
  CBO_OP(4, block);
  if (last.count != c) t |= 8;
  trapped = t;
}
static void in_mode(void) {
  try_ops();
  back();
}

static void run(const char *what, long mode, ulong menvcfg, ulong senvcfg) {
  csr_write(0x30a, menvcfg); /* menvcfg */
  csr_write(0x10a, senvcfg); /* senvcfg */
  last.count = 0;
  if (mode == 3) try_ops();
  else run_in_mode(mode, in_mode);
  puts_(what);
  puts_(": trapped=");
  puthex(trapped);
  puts_(" block[3]=");
  puthex(block[3]);
  putc_('\n');
}

int main(void) {
  puts_("cmo\n");
  run("M, envcfg 0", 3, 0, 0);
  run("S, menvcfg 0", 1, 0, ALL);
  run("S, CBCFE", 1, CBCFE, 0);
  run("S, CBIE=01 (inval flushes), CBZE", 1, CBIE_FLUSH | CBZE, 0);
  run("S, all", 1, ALL, 0);
  run("U, menvcfg all, senvcfg 0", 0, ALL, 0);
  run("U, menvcfg 0, senvcfg all", 0, 0, ALL);
  run("U, CBZE in both", 0, CBZE, CBZE);
  run("U, all in both", 0, ALL, ALL);
  put("illegal cause", last.cause);
  puts_("done\n");
  return 0;
}
