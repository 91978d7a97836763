// The system calls glibc programs commonly make, one after another, for comparing
// `emu user -strace` with `qemu-riscv64 -strace` line by line (tests/strace_qemu_test.ts).
// Its output does not depend on the host's clock, pids or files. Argument `thread` also
// starts and joins a thread (its lines interleave, so the test compares them unordered).
// SPDX-License-Identifier: GPL-3.0-or-later
#define _GNU_SOURCE
#include <dirent.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <linux/futex.h>
#include <sys/random.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/uio.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/eventfd.h>
#include <sys/epoll.h>
#include <sys/statfs.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <sys/fsuid.h>
#include <netinet/in.h>
#include <time.h>
#include <unistd.h>

static volatile int got;
static void on_usr1(int sig) { got = sig; }

static void *worker(void *arg) {
  write(1, "thread\n", 7);
  return arg;
}

static void files(void) {
  char buf[256];
  struct stat st;
  struct utsname u;
  uname(&u);
  getcwd(buf, sizeof buf);
  mkdir("strace_dir", 0755);
  int fd = open("strace_dir/f", O_CREAT | O_WRONLY | O_TRUNC, 0644);
  write(fd, "abc", 3);
  fstat(fd, &st);
  lseek(fd, 0, SEEK_CUR);
  close(fd);
  fd = open("strace_dir/f", O_RDONLY);
  read(fd, buf, sizeof buf);
  pread(fd, buf, 2, 1);
  pwrite(fd, buf, 0, 0);
  close(fd);
  stat("strace_dir/f", &st);
  access("strace_dir/f", R_OK);
  open("strace_dir/missing", O_RDONLY);
  DIR *d = opendir("strace_dir");
  while (readdir(d)) {}
  closedir(d);
  unlink("strace_dir/f");
  rmdir("strace_dir");
}

static void memory(void) {
  char *p = mmap(0, 8192, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  p[0] = 1;
  mprotect(p, 4096, PROT_READ);
  munmap(p, 8192);
}

static void fds(void) {
  int pfd[2];
  char c;
  pipe2(pfd, 0);
  write(pfd[1], "x", 1);
  read(pfd[0], &c, 1);
  int d = dup(pfd[0]);
  dup3(pfd[1], 10, O_CLOEXEC);
  fcntl(d, F_GETFL);
  fcntl(d, F_SETFD, FD_CLOEXEC);
  fcntl(d, F_GETFD);
  close(d);
  close(10);
  lseek(pfd[0], 0, SEEK_CUR);
  fcntl(pfd[0], F_SETFL, O_NONBLOCK);
  d = fcntl(pfd[0], F_DUPFD_CLOEXEC, 20);
  close(d);
  struct iovec iov[2] = {{"a", 1}, {"b", 1}};
  writev(pfd[1], iov, 2);
  readv(pfd[0], iov, 1);
  close(pfd[0]);
  close(pfd[1]);
  struct winsize ws;
  ioctl(1, TIOCGWINSZ, &ws);
  umask(022);
  getppid();
  gettid();
  getuid();
  sched_yield();
}

static void signals_and_time(void) {
  struct sigaction sa = {0};
  sigset_t set;
  struct timespec ts = {0, 1000};
  sa.sa_handler = on_usr1;
  sigaction(SIGUSR1, &sa, 0);
  sigaction(SIGABRT, &sa, 0);
  sigaction(SIGIO, &sa, 0);
  sigemptyset(&set);
  sigaddset(&set, SIGUSR2);
  sigprocmask(SIG_BLOCK, &set, 0);
  sigprocmask(SIG_UNBLOCK, &set, 0);
  kill(getpid(), SIGUSR1);
  clock_gettime(CLOCK_MONOTONIC, &ts);
  clock_gettime(CLOCK_REALTIME, &ts);
  ts.tv_sec = 0;
  ts.tv_nsec = 1000;
  nanosleep(&ts, 0);
  clock_nanosleep(CLOCK_REALTIME, 0, &ts, 0);
  char r[8];
  getrandom(r, sizeof r, GRND_NONBLOCK);
  clock_getres(CLOCK_MONOTONIC, &ts);
  struct itimerval it = {0}, old;
  setitimer(ITIMER_PROF, &it, &old);
  getitimer(ITIMER_VIRTUAL, &old);
  static int word;
  syscall(SYS_futex, &word, FUTEX_WAKE_PRIVATE, 1, 0, 0, 0);
  stack_t ss = {0};
  sigaltstack(0, &ss);
}

// Calls whose -strace format is checked here too: statx's flag and mask names, faccessat2,
// renameat2 (QEMU 7.2 prints it raw), the ioctls of every file, tgkill and tkill, and clone3
// (unknown to QEMU 7.2). The invalid statx calls are EINVAL on Linux.
static void more_calls(void) {
  struct stat st;
  struct statx stx;
  int n = 1, pfd[2];
  mkdir("more_dir", 0755);
  close(open("more_dir/f", O_CREAT | O_WRONLY, 0644));
  syscall(SYS_fstat, 1, &st);
  statx(AT_FDCWD, "more_dir/f", AT_SYMLINK_NOFOLLOW, STATX_BASIC_STATS, &stx);
  statx(AT_FDCWD, "more_dir/f", 0, 0, &stx);
  statx(AT_FDCWD, "more_dir", AT_NO_AUTOMOUNT | AT_STATX_FORCE_SYNC, STATX_TYPE | STATX_SIZE, &stx);
  statx(AT_FDCWD, "more_dir", AT_STATX_FORCE_SYNC | AT_STATX_DONT_SYNC, STATX_ALL, &stx);
  statx(AT_FDCWD, "more_dir", 0x1, STATX_BASIC_STATS | STATX_BTIME, &stx);
  statx(AT_FDCWD, "more_dir", 0, 0x80000000u, &stx);
  syscall(SYS_faccessat2, AT_FDCWD, "more_dir/f", R_OK | W_OK, AT_EACCESS);
  renameat2(AT_FDCWD, "more_dir/f", AT_FDCWD, "more_dir/g", 0);
  renameat2(AT_FDCWD, "more_dir/g", AT_FDCWD, "more_dir/f", RENAME_NOREPLACE);
  symlinkat("f", AT_FDCWD, "more_dir/l");
  chdir("more_dir");
  chdir("..");
  pipe2(pfd, 0);
  ioctl(pfd[0], FIONBIO, &n);
  fcntl(pfd[0], F_GETFL);
  n = 0;
  ioctl(pfd[0], FIONBIO, &n);
  ioctl(pfd[0], FIONBIO, (int *)8);
  ioctl(pfd[0], FIOCLEX);
  fcntl(pfd[0], F_GETFD);
  ioctl(pfd[0], FIONCLEX);
  ioctl(pfd[0], FIONREAD, &n);
  close(pfd[0]);
  close(pfd[1]);
  syscall(SYS_tgkill, getpid(), gettid(), SIGUSR1);
  syscall(SYS_tkill, gettid(), SIGUSR1);
  syscall(SYS_tgkill, getpid(), gettid(), 0);
  syscall(SYS_clone3, 0, 0);
  unlink("more_dir/l");
  unlink("more_dir/f");
  rmdir("more_dir");
}

// Calls with QEMU 7.2's own formats: fds, ids, process groups, sockets (unix only: inet ones
// need --net here), sockaddrs, queued signals with their siginfo, mknodat, utimensat, clone's
// flags and the timespec clock_nanosleep leaves, each with results that do not depend on the
// host. The failing ones fail the same way on Linux and under both emulators.
static void format_calls(void) {
  char buf[512];
  struct statfs sfs;
  struct timespec ts = {0, 1000}, rem = {7, 8};
  struct itimerval it = {0};
  mkdir("fmt_dir", 0755);
  int fd = open("fmt_dir/f", O_CREAT | O_RDWR, 0644);
  ftruncate(fd, 1234);
  fchmod(fd, 0640);
  fchown(fd, -1, -1);
  fstatfs(fd, &sfs);
  fsync(fd);
  fdatasync(fd);
  syncfs(fd);
  int dir = open("fmt_dir", O_RDONLY | O_DIRECTORY);
  syscall(SYS_getdents64, dir, buf, sizeof buf);
  fchdir(dir);
  chdir("..");
  truncate("fmt_dir/f", 10);
  linkat(AT_FDCWD, "fmt_dir/f", AT_FDCWD, "fmt_dir/h", 0);
  fchmodat(AT_FDCWD, "fmt_dir/h", 0600, 0);
  fchownat(AT_FDCWD, "fmt_dir/h", -1, -1, AT_SYMLINK_NOFOLLOW);
  struct stat st;
  fstatat(AT_FDCWD, "fmt_dir/h", &st, AT_SYMLINK_NOFOLLOW);
  utimensat(AT_FDCWD, "fmt_dir/h", NULL, 0);
  struct timespec times[2] = {{1, 2}, {3, UTIME_OMIT}};
  utimensat(fd, NULL, times, 0);
  utimensat(AT_FDCWD, "fmt_dir/h", times, 0x4000);
  mknodat(AT_FDCWD, "fmt_dir/fifo", S_IFIFO | 0600, 0);
  mknodat(AT_FDCWD, "fmt_dir/plain", 0, 0);
  sync();
  sync_file_range(fd, 0, 0, SYNC_FILE_RANGE_WRITE);
  sync_file_range(fd, 0, 0, 8);
  readahead(fd, 0, 100);
  readahead(fd, 0, -1); // a length negative as a loff_t: EINVAL, as for fadvise64
  syscall(SYS_fadvise64, fd, 0, -1L, POSIX_FADV_WILLNEED);
  syscall(SYS_fadvise64, fd, 0, 10, 99);
  int wo = open("fmt_dir/f", O_WRONLY), ends[2];
  readahead(wo, 0, 10); // not open for reading: EBADF
  close(wo);
  pipe(ends);
  syscall(SYS_fadvise64, ends[0], 0, 10, POSIX_FADV_WILLNEED); // ESPIPE
  close(ends[0]);
  close(ends[1]);
  int e = eventfd(3, EFD_CLOEXEC);
  int ep = epoll_create1(EPOLL_CLOEXEC);
  close(ep);
  close(e);
  getpriority(PRIO_PROCESS, 0);
  geteuid();
  getgid();
  getegid();
  setgid(getgid());
  setreuid(-1, -1);
  setresuid(-1, -1, -1);
  setresgid(-1, -1, -1);
  setfsuid(-1);
  setfsgid(-1);
  getpgid(0);
  getsid(0);
  setpgid(0, getpgid(0));
  int s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  socket(AF_UNIX, SOCK_SEQPACKET | SOCK_NONBLOCK, 0);
  socket(AF_UNIX, SOCK_DGRAM, 0);
  struct sockaddr_un sun = {AF_UNIX, "fmt_dir/sock"};
  bind(s, (struct sockaddr *)&sun, sizeof sun);
  bind(s, (struct sockaddr *)&sun, 2 + 12);
  struct sockaddr_in sin = {AF_INET, htons(8080), {htonl(0x7f000001)}};
  bind(s, (struct sockaddr *)&sin, sizeof sin);
  accept4(s, NULL, NULL, SOCK_NONBLOCK); // not listening: EINVAL
  listen(s, 4);
  socklen_t len = sizeof sun;
  int c = socket(AF_UNIX, SOCK_STREAM, 0);
  connect(c, (struct sockaddr *)&sun, sizeof sun);
  int a = accept(s, (struct sockaddr *)&sun, &len);
  struct iovec iov = {buf, sizeof buf};
  struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1};
  recvmsg(c, &mh, MSG_DONTWAIT); // nothing sent: EAGAIN (QEMU gives 0 with no iovec at all)
  close(a);
  close(c);
  close(s);
  syscall(SYS_getitimer, 3, &it);
  setitimer(ITIMER_REAL, &it, NULL);
  clock_nanosleep(CLOCK_MONOTONIC, 0, &ts, &rem);
  syscall(SYS_clone, CLONE_THREAD | SIGCHLD, 0, 0, 0, 0);
  int pidfd = syscall(SYS_pidfd_open, getpid(), 0);
  syscall(SYS_pidfd_send_signal, pidfd, 0, NULL, 0);
  close(pidfd);
  syscall(SYS_close_range, 100, 200, 0);
  signal(SIGUSR2, SIG_IGN);
  siginfo_t si = {0};
  si.si_signo = SIGUSR2;
  si.si_code = SI_QUEUE;
  si.si_pid = getpid();
  si.si_value.sival_int = 43;
  syscall(SYS_rt_sigqueueinfo, getpid(), SIGUSR2, &si);
  syscall(SYS_rt_tgsigqueueinfo, getpid(), gettid(), SIGUSR2, &si);
  char *p = mmap(0, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  mlock(p, 4096);
  munlock(p, 4096);
  munmap(p, 4096);
  waitid(P_ALL, 0, &si, WEXITED | WNOHANG);
  unlink("fmt_dir/sock");
  unlink("fmt_dir/plain");
  unlink("fmt_dir/fifo");
  unlink("fmt_dir/h");
  unlink("fmt_dir/f");
  close(dir);
  close(fd);
  rmdir("fmt_dir");
}

// Argument `hostile`: calls with wild pointers, lengths and flags, for comparing how -strace
// prints what it cannot read (the results differ where QEMU copies arguments before the call:
// the test compares the calls only).
static void hostile_calls(void) {
  int s = socket(AF_UNIX, SOCK_STREAM, 0);
  syscall(SYS_bind, s, (void *)8, 0xffffffffffffL);
  syscall(SYS_bind, s, (void *)0x7fffffff000L, 110);
  syscall(SYS_bind, s, "\x0a\x00" "abcdefghijklmnopqrstuvwx", 26);
  syscall(SYS_ioctl, 0, TCSETS, (void *)16);
  syscall(SYS_ioctl, 0, TIOCSWINSZ, (void *)-1L);
  syscall(SYS_rt_sigqueueinfo, getpid(), 0, NULL);
  syscall(SYS_rt_sigqueueinfo, getpid(), 0, (void *)24);
  syscall(SYS_pidfd_send_signal, -1, 99, (void *)1, 7);
  syscall(SYS_mknodat, AT_FDCWD, (void *)0, S_IFCHR | 0620, 0x12345678);
  syscall(SYS_clone, -1L, -1L, -1L, -1L, -1L);
  syscall(SYS_socket, 12345, 0x7fffffff, -5);
  syscall(SYS_accept, s, (void *)1, (void *)2);
  syscall(SYS_bind, s, "\x01", 2);
  syscall(SYS_statfs, "/", (void *)0);
  syscall(SYS_chroot, "/nonexistent-dir");
  syscall(SYS_clock_settime, CLOCK_REALTIME, NULL);
  close(s);
}

int main(int argc, char **argv) {
  if (argc > 1 && !strcmp(argv[1], "hostile")) {
    hostile_calls();
    return 0;
  }
  printf("start\n");
  fflush(stdout);
  files();
  memory();
  fds();
  signals_and_time();
  more_calls();
  format_calls();
  if (argc > 1 && !strcmp(argv[1], "thread")) {
    pthread_t t;
    pthread_create(&t, 0, worker, 0);
    pthread_join(t, 0);
  }
  printf("signal %d\n", got);
  return 0;
}
