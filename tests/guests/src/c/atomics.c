// Atomics: __atomic builtins and C11 stdatomic on 8/16/32/64-bit objects (LR/SC loops for sub-word
// and nand/CAS, AMO* for word/doubleword), printing values before/after.
// SPDX-License-Identifier: GPL-3.0-or-later
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>

#define TEST(T, FMT, init, v)                                                                    \
  do {                                                                                          \
    static volatile T x;                                                                        \
    T o;                                                                                        \
    x = (T)(init);                                                                              \
    o = __atomic_fetch_add(&x, (T)(v), __ATOMIC_SEQ_CST); printf(#T " add  " FMT " " FMT "\n", o, x); \
    o = __atomic_fetch_sub(&x, (T)(v), __ATOMIC_ACQUIRE); printf(#T " sub  " FMT " " FMT "\n", o, x); \
    o = __atomic_fetch_and(&x, (T)(v), __ATOMIC_RELEASE); printf(#T " and  " FMT " " FMT "\n", o, x); \
    o = __atomic_fetch_or(&x, (T)(v), __ATOMIC_ACQ_REL);  printf(#T " or   " FMT " " FMT "\n", o, x); \
    o = __atomic_fetch_xor(&x, (T)(init), __ATOMIC_RELAXED); printf(#T " xor  " FMT " " FMT "\n", o, x); \
    o = __atomic_fetch_nand(&x, (T)(v), __ATOMIC_SEQ_CST); printf(#T " nand " FMT " " FMT "\n", o, x); \
    o = __atomic_add_fetch(&x, (T)1, __ATOMIC_SEQ_CST); printf(#T " add_fetch " FMT "\n", o);    \
    o = __atomic_exchange_n(&x, (T)(v), __ATOMIC_SEQ_CST); printf(#T " xchg " FMT " " FMT "\n", o, x); \
    T exp = (T)(v) + 1;                                                                         \
    int ok = __atomic_compare_exchange_n(&x, &exp, (T)(init), 0, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST); \
    printf(#T " cas-fail %d expected " FMT " x " FMT "\n", ok, exp, x);                          \
    ok = __atomic_compare_exchange_n(&x, &exp, (T)(init), 0, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST); \
    printf(#T " cas-ok %d expected " FMT " x " FMT "\n", ok, exp, x);                            \
    int tries = 0;                                                                              \
    do { exp = x; tries++; } while (!__atomic_compare_exchange_n(&x, &exp, exp * 3 + 1, 1,       \
                                                                   __ATOMIC_ACQ_REL, __ATOMIC_RELAXED)); \
    printf(#T " weak-cas x " FMT "\n", x);                                                       \
    __atomic_store_n(&x, (T)(init), __ATOMIC_SEQ_CST);                                          \
    printf(#T " load " FMT "\n", __atomic_load_n(&x, __ATOMIC_SEQ_CST));                        \
  } while (0)

struct packed { uint8_t a; uint8_t b; uint16_t c; uint32_t d; };

int main(void) {
  TEST(uint8_t, "%02x", 0xa5, 0x7f);
  TEST(int8_t, "%d", -100, 99);
  TEST(uint16_t, "%04x", 0xfff0, 0x1234);
  TEST(uint32_t, "%08x", 0xdeadbeef, 0x80000001);
  TEST(int32_t, "%d", INT32_MAX, 1);
  TEST(uint64_t, "%016llx", 0xfedcba9876543210ull, 0x8000000000000001ull);
  TEST(int64_t, "%lld", INT64_MIN, -1);

  // Sub-word atomics must not disturb neighbouring bytes.
  static struct packed p = {1, 2, 3, 4};
  __atomic_fetch_add(&p.b, 0xff, __ATOMIC_SEQ_CST);
  __atomic_fetch_or(&p.c, 0x8000, __ATOMIC_SEQ_CST);
  __atomic_exchange_n(&p.a, 0x99, __ATOMIC_SEQ_CST);
  printf("packed %02x %02x %04x %08x\n", p.a, p.b, p.c, p.d);

  _Atomic long counter = 0;
  _Atomic int flagword = 0;
  atomic_flag fl = ATOMIC_FLAG_INIT;
  for (int i = 0; i < 1000; i++) {
    atomic_fetch_add(&counter, i);
    atomic_fetch_sub_explicit(&counter, 1, memory_order_relaxed);
    atomic_fetch_or(&flagword, 1 << (i % 31));
  }
  printf("stdatomic counter %ld flags %08x\n", atomic_load(&counter), (unsigned)atomic_load(&flagword));
  printf("atomic_flag %d %d ", atomic_flag_test_and_set(&fl), atomic_flag_test_and_set(&fl));
  atomic_flag_clear(&fl);
  printf("%d\n", atomic_flag_test_and_set(&fl));
  long expected = 499500 - 1000;
  printf("strong cas %d\n", atomic_compare_exchange_strong(&counter, &expected, 7));
  printf("lock free: 1:%d 2:%d 4:%d 8:%d\n", __atomic_always_lock_free(1, 0), __atomic_always_lock_free(2, 0),
         __atomic_always_lock_free(4, 0), __atomic_always_lock_free(8, 0));
  atomic_thread_fence(memory_order_seq_cst);
  atomic_signal_fence(memory_order_seq_cst);
  printf("final %ld\n", atomic_load(&counter));
  return 0;
}
