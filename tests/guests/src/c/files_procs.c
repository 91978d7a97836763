// Files, /proc and processes where user-mode emulators used to differ from Linux: the
// /proc/self and /proc/thread-self symlinks; file times to the nanosecond; pidfds; setting the clock
// (run unprivileged on qemu-riscv64, which hands it to the host); FIFOs between processes; file names
// that are not UTF-8 (where Denemu differs: EILSEQ). Prints only what does not depend on pids or the
// host, so qemu-riscv64 prints the same. `files_procs SECTION` runs one section.
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <time.h>
#include <sys/wait.h>
#include <unistd.h>

static const char *yes(int ok) {
  return ok ? "yes" : "no";
}

/** The target of symlink `path` (at `dirfd`), or "" with errno's name. */
static const char *link_at(int dirfd, const char *path) {
  static char buf[256];
  ssize_t n = readlinkat(dirfd, path, buf, sizeof buf - 1);
  if (n < 0) return strerrorname_np(errno);
  buf[n] = 0;
  return buf;
}

static void proc_links(void) {
  char want[64];
  snprintf(want, sizeof want, "%d", getpid());
  printf("readlink /proc/self is the pid: %s\n", yes(!strcmp(link_at(AT_FDCWD, "/proc/self"), want)));
  int proc = open("/proc", O_RDONLY | O_DIRECTORY);
  printf("readlinkat /proc self is the pid: %s\n", yes(!strcmp(link_at(proc, "self"), want)));
  close(proc);
  snprintf(want, sizeof want, "%d/task/%d", getpid(), gettid());
  printf("readlink /proc/thread-self is pid/task/tid: %s\n",
         yes(!strcmp(link_at(AT_FDCWD, "/proc/thread-self"), want)));
  struct stat st;
  int r = lstat("/proc/self", &st);
  printf("lstat /proc/self: %d S_IFLNK %s\n", r, yes(S_ISLNK(st.st_mode)));
  r = lstat("/proc/thread-self", &st);
  printf("lstat /proc/thread-self: %d S_IFLNK %s\n", r, yes(S_ISLNK(st.st_mode)));
  r = stat("/proc/self", &st);
  printf("stat /proc/self: %d S_IFDIR %s\n", r, yes(S_ISDIR(st.st_mode)));
  r = stat("/proc/thread-self", &st);
  printf("stat /proc/thread-self: %d S_IFDIR %s\n", r, yes(S_ISDIR(st.st_mode)));
  int fd = open("/proc/thread-self/status", O_RDONLY);
  printf("open /proc/thread-self/status: %s\n", yes(fd >= 0));
  close(fd);
  fd = open("/proc/self", O_RDONLY | O_NOFOLLOW);
  printf("open /proc/self O_NOFOLLOW: %s\n", fd < 0 ? strerrorname_np(errno) : "opened");
  printf("readlink /proc/self/fd/999: %s\n", link_at(AT_FDCWD, "/proc/self/fd/999"));
}

/** Whether a time has digits below the millisecond (a fresh file's, from the kernel's clock). */
static const char *sub_ms(struct timespec t) {
  return yes(t.tv_nsec % 1000000 != 0);
}

static void file_times(void) {
  char dir[] = "/tmp/files_procs.XXXXXX", path[64];
  mkdtemp(dir);
  snprintf(path, sizeof path, "%s/f", dir);
  int fd = open(path, O_CREAT | O_WRONLY, 0644);
  struct stat st;
  fstat(fd, &st);
  // a fresh file's times come from the kernel's clock (virtual in Denemu): below the
  // millisecond only where they are kept to the nanosecond
  printf("fresh file, mtime/ctime below the ms: %s %s\n", sub_ms(st.st_mtim), sub_ms(st.st_ctim));
  struct timespec ts[2] = {{1500000000, 123456789}, {1600000000, 987654321}};
  int r = futimens(fd, ts);
  fstat(fd, &st);
  printf("futimens %d: atime %ld.%09ld mtime %ld.%09ld\n", r, (long)st.st_atim.tv_sec,
         st.st_atim.tv_nsec, (long)st.st_mtim.tv_sec, st.st_mtim.tv_nsec);
  close(fd);
  ts[0] = (struct timespec){1400000000, 1};
  ts[1] = (struct timespec){0, UTIME_OMIT};
  r = utimensat(AT_FDCWD, path, ts, 0);
  stat(path, &st);
  printf("utimensat %d: atime %ld.%09ld mtime %ld.%09ld\n", r, (long)st.st_atim.tv_sec,
         st.st_atim.tv_nsec, (long)st.st_mtim.tv_sec, st.st_mtim.tv_nsec);
  char link[80];
  snprintf(link, sizeof link, "%s/l", dir);
  symlink("f", link);
  ts[0] = (struct timespec){1300000000, 5};
  ts[1] = (struct timespec){1300000001, 6};
  r = utimensat(AT_FDCWD, link, ts, AT_SYMLINK_NOFOLLOW);
  lstat(link, &st);
  printf("utimensat of a symlink %d: mtime %ld.%09ld\n", r, (long)st.st_mtim.tv_sec,
         st.st_mtim.tv_nsec);
  stat(link, &st);
  printf("its target's mtime %ld.%09ld\n", (long)st.st_mtim.tv_sec, st.st_mtim.tv_nsec);
  struct statx sx;
  statx(AT_FDCWD, path, 0, STATX_BASIC_STATS, &sx);
  printf("statx mtime %lld.%09u\n", (long long)sx.stx_mtime.tv_sec, sx.stx_mtime.tv_nsec);
  unlink(link);
  unlink(path);
  rmdir(dir);
}

#ifndef P_PIDFD
#define P_PIDFD 3
#endif

static const char *result(long r) {
  return r < 0 ? strerrorname_np(errno) : "ok";
}

static int pidfd_open(pid_t pid, unsigned flags) {
  return syscall(SYS_pidfd_open, pid, flags);
}

static int pidfd_send_signal(int fd, int sig) {
  return syscall(SYS_pidfd_send_signal, fd, sig, NULL, 0);
}

/** A child that exits with `code` once the parent writes to the pipe `*go` (made here). */
static pid_t child_waiting(int *go, int code) {
  int fds[2];
  pipe(fds);
  pid_t c = fork();
  if (c == 0) {
    close(fds[1]);
    char b;
    read(fds[0], &b, 1);
    _exit(code);
  }
  close(fds[0]);
  *go = fds[1];
  return c;
}

static short revents(int fd, int timeout) {
  struct pollfd pf = {fd, POLLIN, 0};
  poll(&pf, 1, timeout);
  return pf.revents;
}

static void pidfds(void) {
  int go;
  pid_t c = child_waiting(&go, 7);
  int fd = pidfd_open(c, 0);
  printf("pidfd_open: %s, FD_CLOEXEC %s\n", result(fd), yes(fcntl(fd, F_GETFD) & FD_CLOEXEC));
  printf("before the exit: revents %#x\n", revents(fd, 0));
  siginfo_t si = {0};
  int nb = pidfd_open(c, O_NONBLOCK);
  printf("waitid of a nonblocking pidfd: %s\n", result(waitid(P_PIDFD, nb, &si, WEXITED)));
  close(nb);
  write(go, "x", 1);
  close(go);
  printf("after the exit: revents %#x\n", revents(fd, -1));
  int r = waitid(P_PIDFD, fd, &si, WEXITED);
  printf("waitid P_PIDFD: %s, pid matches %s, code %d status %d\n", result(r), yes(si.si_pid == c),
         si.si_code, si.si_status);
  printf("reaped: revents %#x\n", revents(fd, 0));
  printf("pidfd_send_signal after the reap: %s\n", result(pidfd_send_signal(fd, SIGTERM)));
  close(fd);

  c = child_waiting(&go, 0);
  fd = pidfd_open(c, 0);
  printf("pidfd_send_signal 0: %s\n", result(pidfd_send_signal(fd, 0)));
  printf("pidfd_send_signal SIGTERM: %s\n", result(pidfd_send_signal(fd, SIGTERM)));
  r = waitid(P_PIDFD, fd, &si, WEXITED);
  printf("waitid: %s, code %d status %d\n", result(r), si.si_code, si.si_status);
  close(fd);
  close(go);

  printf("pidfd_open of itself: %s\n", result(fd = pidfd_open(getpid(), 0)));
  printf("waitid of its own pidfd: %s\n", result(waitid(P_PIDFD, fd, &si, WEXITED | WNOHANG)));
  close(fd);
  printf("pidfd_open -1: %s\n", result(pidfd_open(-1, 0)));
  printf("pidfd_open bad flags: %s\n", result(pidfd_open(getpid(), 1)));
  printf("pidfd_open of no process: %s\n", result(pidfd_open(4194000, 0)));
  printf("pidfd_send_signal to stdin: %s\n", result(pidfd_send_signal(0, SIGTERM)));
  printf("waitid P_PIDFD of stdin: %s\n", result(waitid(P_PIDFD, 0, &si, WEXITED)));
}

static void set_clock(void) {
  struct timespec now;
  clock_gettime(CLOCK_REALTIME, &now);
  printf("clock_settime REALTIME: %s\n", result(clock_settime(CLOCK_REALTIME, &now)));
  printf("clock_settime MONOTONIC: %s\n", result(clock_settime(CLOCK_MONOTONIC, &now)));
  printf("clock_settime clock 99: %s\n", result(clock_settime(99, &now)));
  struct timespec bad = {1, 1000000000};
  printf("clock_settime nsec 1e9: %s\n", result(clock_settime(CLOCK_REALTIME, &bad)));
  bad = (struct timespec){-1, 0};
  printf("clock_settime sec -1: %s\n", result(clock_settime(CLOCK_REALTIME, &bad)));
  printf("clock_settime NULL: %s\n", result(syscall(SYS_clock_settime, CLOCK_REALTIME, NULL)));
  struct timeval tv = {now.tv_sec, 0};
  printf("settimeofday: %s\n", result(syscall(SYS_settimeofday, &tv, NULL)));
  tv.tv_usec = 1000001;
  printf("settimeofday usec 1000001: %s\n", result(syscall(SYS_settimeofday, &tv, NULL)));
  tv.tv_usec = 1000000;
  printf("settimeofday usec 1000000: %s\n", result(syscall(SYS_settimeofday, &tv, NULL)));
  // without a timeval qemu-riscv64 7.2 hands the host's glibc a NULL it reads: it crashes
}

/** Reads what `fd` gives until EOF (or an error): the text, or the error's name. */
static const char *drain(int fd) {
  static char buf[128];
  size_t have = 0;
  for (;;) {
    ssize_t n = read(fd, buf + have, sizeof buf - 1 - have);
    if (n < 0) return strerrorname_np(errno);
    if (n == 0) break;
    have += n;
  }
  buf[have] = 0;
  return buf;
}

static char fifo_path[64];

static void on_alarm(int sig) {
  (void)sig;
}

static void *thread_writer(void *arg) {
  (void)arg;
  usleep(1000);
  int w = open(fifo_path, O_WRONLY);
  write(w, "a thread's", 10);
  close(w);
  return NULL;
}

/** A blocked open ended by a signal without SA_RESTART; a thread of the process as the other end. */
static void fifo_waits(void) {
  struct sigaction sa = {0};
  sa.sa_handler = on_alarm;
  sigaction(SIGALRM, &sa, NULL);
  alarm(1);
  int r = open(fifo_path, O_RDONLY);
  printf("a signal ends the wait: %s\n", result(r));
  pthread_t t;
  pthread_create(&t, NULL, thread_writer, NULL);
  r = open(fifo_path, O_RDONLY);
  printf("a thread's open meets it: %s\n", drain(r));
  pthread_join(t, NULL);
  close(r);
}

static void fifos(void) {
  char dir[] = "/tmp/files_procs.XXXXXX", path[64];
  mkdtemp(dir);
  snprintf(path, sizeof path, "%s/fifo", dir);
  signal(SIGPIPE, SIG_IGN);
  printf("mkfifo: %s\n", result(mkfifo(path, 0600)));
  printf("nonblocking write-only open, no reader: %s\n", result(open(path, O_WRONLY | O_NONBLOCK)));
  int r = open(path, O_RDONLY | O_NONBLOCK);
  printf("nonblocking read-only open: %s; revents %#x, read %s\n", result(r), revents(r, 0),
         drain(r));
  int w = open(path, O_WRONLY | O_NONBLOCK);
  struct stat st;
  fstat(w, &st);
  printf("write-only open with a reader: %s, S_ISFIFO %s\n", result(w), yes(S_ISFIFO(st.st_mode)));
  char fdlink[32];
  snprintf(fdlink, sizeof fdlink, "/proc/self/fd/%d", w);
  printf("/proc/self/fd names the FIFO: %s\n", yes(!strcmp(link_at(AT_FDCWD, fdlink), path)));
  printf("write: %zd; ", write(w, "hello", 5));
  int n = 0;
  ioctl(r, FIONREAD, &n);
  printf("FIONREAD %d, revents %#x\n", n, revents(r, 0));
  char buf[16] = {0};
  printf("read: %zd %s\n", read(r, buf, sizeof buf - 1), buf);
  printf("empty, writer open: read %s\n", result(read(r, buf, 1)));
  close(w);
  printf("writer closed: revents %#x, read %s\n", revents(r, 0), drain(r));
  close(r);

  int rw = open(path, O_RDWR);
  w = open(path, O_WRONLY | O_NONBLOCK);
  printf("O_RDWR open: %s, then a writer %s\n", result(rw), result(w));
  write(rw, "both", 4);
  memset(buf, 0, sizeof buf);
  printf("O_RDWR reads its own write: %zd %s, revents %#x\n", read(rw, buf, 4), buf,
         revents(rw, 0));
  close(rw);
  printf("no reader left: write %s, revents %#x\n", result(write(w, "x", 1)), revents(w, 0));
  close(w);

  pid_t c = fork();
  if (c == 0) {
    int cw = open(path, O_WRONLY); // waits for the parent's reader
    write(cw, "from the child", 14);
    _exit(0);
  }
  r = open(path, O_RDONLY); // waits for the child's writer
  printf("blocking opens meet: %s, child wrote: %s\n", result(r), drain(r));
  waitpid(c, NULL, 0);
  close(r);

  fflush(stdout);
  c = fork();
  if (c == 0) {
    int cr = open(path, O_RDONLY), total = 0;
    for (ssize_t k; (k = read(cr, buf, sizeof buf)) > 0;) total += k;
    printf("the child read %d bytes to EOF\n", total);
    fflush(stdout);
    _exit(0);
  }
  w = open(path, O_WRONLY);
  printf("writer met the child: %s\n", result(w));
  fflush(stdout);
  for (int i = 0; i < 10000; i++) write(w, "0123456789", 10); // more than the pipe holds
  close(w);
  waitpid(c, NULL, 0);
  strcpy(fifo_path, path);
  fifo_waits();
  unlink(path);
  rmdir(dir);
}

/** Creates `name` in `dir`, says how it went, lists `dir` (names in hex) and removes it. */
static void try_name(const char *dir, const char *name) {
  char path[128];
  snprintf(path, sizeof path, "%s/%s", dir, name);
  int fd = open(path, O_CREAT | O_WRONLY, 0644);
  printf("create:%s listed:", result(fd));
  close(fd);
  DIR *d = opendir(dir);
  for (struct dirent *e; (e = readdir(d));) {
    if (e->d_name[0] == '.') continue;
    printf(" ");
    for (const unsigned char *c = (const unsigned char *)e->d_name; *c; c++) printf("%02x", *c);
  }
  closedir(d);
  printf(" unlink:%s\n", result(unlink(path)));
}

static void names(void) {
  char dir[] = "/tmp/files_procs.XXXXXX";
  mkdtemp(dir);
  try_name(dir, "caf\xc3\xa9"); // UTF-8
  try_name(dir, "f\xff");       // not: Linux takes any byte but '/' and NUL
  try_name(dir, "\xc3(");
  rmdir(dir);
}

int main(int argc, char **argv) {
  const char *only = argc > 1 ? argv[1] : "";
  if (!*only || !strcmp(only, "proclinks")) proc_links();
  if (!*only || !strcmp(only, "filetimes")) file_times();
  if (!*only || !strcmp(only, "pidfds")) pidfds();
  if (!*only || !strcmp(only, "fifos")) fifos();
  if (!strcmp(only, "names")) names(); // by name only: Denemu differs
  if (!strcmp(only, "setclock")) set_clock(); // only by name: it would set a root host's clock
  return 0;
}
