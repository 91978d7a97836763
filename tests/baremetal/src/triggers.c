/* Sdtrig: tselect, tdata1-3, tinfo; type-2 (mcontrol) triggers on execute, load and store. */
#include "rt.h"

#define TYPE2 (2UL << 60)
#define LOAD 1
#define STORE 2
#define EXEC 4
#define U_ (1 << 3)
#define S_ (1 << 4)
#define M_ (1 << 6)

static volatile ulong data[4];
static void report(const char *what) {
  puts_(what); puts_(": count="); puthex(last.count); puts_(" cause="); puthex(last.cause);
  puts_(" tval="); puthex(last.tval); puts_(" epc-fn="); puthex(last.epc); putc_('\n');
}
/* A hit disables the trigger and retries the instruction. */
static long disarm(ulong *frame, ulong cause) {
  (void)frame;
  if (cause != 3) return 0;
  csr_write(tdata1, TYPE2);
  return 1;
}
__attribute__((noinline)) static long target(long x) { return x * 3 + 1; }
static void u_code(void) {
  data[1] = 7;
  back();
}

static void arm(ulong ctrl, ulong addr) {
  csr_write(tdata1, TYPE2);
  csr_write(tdata2, addr);
  csr_write(tdata1, ctrl);
}

int main(void) {
  puts_("triggers\n");
  csr_write(tselect, 0);
  put("tselect", csr_read(tselect));
  put("tinfo", csr_read(tinfo));
  put("tdata1 reset", csr_read(tdata1));
  put("tdata2 reset", csr_read(tdata2));
  put("tdata3 reset", csr_read(tdata3));
  csr_write(tselect, 1);
  put("tselect=1", csr_read(tselect));
  csr_write(tselect, 7);
  put("tselect=7", csr_read(tselect));
  put("tinfo 1", csr_read(tinfo));
  csr_write(tdata1, ~0UL);
  put("tdata1 all ones", csr_read(tdata1));
  csr_write(tdata1, 0);
  put("tdata1 zero", csr_read(tdata1));
  csr_write(tdata1, TYPE2 | ((1UL << 59) - 1));
  put("tdata1 type 2 all ones", csr_read(tdata1));
  csr_write(tdata1, (6UL << 60) | M_ | EXEC);
  put("tdata1 type 6", csr_read(tdata1));
  csr_write(tdata1, TYPE2);
  csr_write(tdata2, ~0UL);
  put("tdata2 all ones", csr_read(tdata2));
  csr_write(tdata2, 0);
  csr_write(tdata3, ~0UL);
  put("tdata3 all ones", csr_read(tdata3));
  csr_write(tdata3, 0);
  csr_write(tselect, 0);

  m_hook = disarm;
  long t0 = last.count;
  arm(TYPE2 | M_ | EXEC, (ulong)target);
  long r = target(5);
  last.epc -= (ulong)target;
  report("exec");
  put("result", r);
  put("exec hits", last.count - t0);

  arm(TYPE2 | M_ | LOAD, (ulong)&data[2]);
  put("load other", data[1] + last.count);
  ulong v = data[2];
  last.epc = 0;
  report("load");
  put("loaded", v);

  arm(TYPE2 | M_ | STORE, (ulong)&data[3]);
  data[3] = 0x55;
  last.epc = 0;
  report("store");
  put("stored", data[3]);

  arm(TYPE2 | U_ | EXEC, (ulong)target);
  long c = last.count;
  target(1);
  put("U-only trigger hits in M", last.count - c);

  arm(TYPE2 | U_ | STORE, (ulong)&data[1]);
  c = last.count;
  csr_write(pmpcfg0, 0);
  run_in_mode(0, u_code);
  last.epc = 0;
  report("store from U");
  put("u store hits", last.count - c);
  put("data1", data[1]);

  arm(TYPE2 | M_ | EXEC, 0);
  csr_write(tdata1, TYPE2);
  puts_("done\n");
  return 0;
}
