/* Tiny runtime of the bare-metal tests: UART output, poweroff, CSR access, trap records. */
#ifndef RT_H
#define RT_H
typedef unsigned long ulong;
#define csr_read(c) ({ ulong v_; __asm__ volatile("csrr %0, " #c : "=r"(v_)); v_; })
#define csr_write(c, v) __asm__ volatile("csrw " #c ", %0" ::"r"((ulong)(v)))
#define csr_set(c, v) __asm__ volatile("csrs " #c ", %0" ::"r"((ulong)(v)))
#define csr_clear(c, v) __asm__ volatile("csrc " #c ", %0" ::"r"((ulong)(v)))
#define INTERRUPT (1UL << (sizeof(ulong) * 8 - 1))

void putc_(char c);
void puts_(const char *s);
void puthex(ulong v);
void put(const char *label, ulong v); /* "label=0x...\n" */
void poweroff(int code);
long run_in_mode(long mpp, void (*fn)(void));
void back(void); /* from S/U: ecall a7=99 back to run_in_mode's caller */

/* What the last trap was (both handlers fill it). */
struct trap_record { ulong cause, tval, epc, mode; int count; };
extern volatile struct trap_record last;
/* Handlers may be replaced per test; default: record, skip the instruction. */
extern long (*m_hook)(ulong *frame, ulong cause);
extern long (*s_hook)(ulong *frame, ulong cause);
void s_trap_entry(void);
extern char _pages[];
#endif
