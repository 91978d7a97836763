// Pseudo-terminals: a pty pair from /dev/ptmx, a child on the slave as its
// controlling terminal (setsid, TIOCSCTTY), and the line discipline seen from
// the master: echo, canonical editing (ERASE, KILL, EOF), ICRNL/ONLCR, the
// signal characters to the foreground group, window size and SIGWINCH, raw mode (VMIN, VTIME),
// poll, job control's SIGTTIN and SIGTTOU (SA_RESTART), EIO on the master once the slave is
// gone, the slave's hang-up when the master goes, and SIGHUP to the foreground group when the
// session leader exits. Prints a transcript that depends on no pty number, pid or time.
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

static const char *yes(int c) { return c ? "yes" : "no"; }
static volatile sig_atomic_t got[65];
static void on_signal(int s) { got[s]++; }
// An SA_RESTART handler: the call runs again after it, until the third ignores the signal.
static void third_ignores(int s) {
  if (++got[s] == 3) signal(s, SIG_IGN);
}

// Prints `what` and the bytes `s` with control characters escaped.
static void show(const char *what, const char *s, int n) {
  printf("%s: \"", what);
  for (int i = 0; i < n; i++) {
    unsigned char c = s[i];
    if (c == '\r') printf("\\r");
    else if (c == '\n') printf("\\n");
    else if (c < 32 || c == 127) printf("\\x%02x", c);
    else putchar(c);
  }
  printf("\"\n");
  fflush(stdout);
}

// Reads the master until what it read ends with `mark`, and prints it.
static void expect(int m, const char *what, const char *mark) {
  char buf[512];
  int n = 0, k = strlen(mark);
  while (n < k || memcmp(buf + n - k, mark, k) != 0) {
    int r = read(m, buf + n, sizeof buf - 1 - n);
    if (r <= 0) {
      printf("%s: read gave %d (%s)\n", what, r, r ? strerror(errno) : "eof");
      return;
    }
    n += r;
  }
  show(what, buf, n);
}

static void say2(int fd, const char *s) { write(fd, s, strlen(s)); }
static void say(const char *s) { say2(1, s); }

// Waits (with every signal blocked but in sigsuspend) until signal `s` came.
static void await(int s) {
  sigset_t none;
  sigemptyset(&none);
  while (!got[s]) sigsuspend(&none);
}

static void child_reads(void) {
  char line[128], out[256];
  int n = read(0, line, sizeof line);
  snprintf(out, sizeof out, "canon read %d [%.*s]\n", n, n > 0 ? n : 0, line);
  say(out);
}

// A process of a background group reads the terminal: EIO while it ignores SIGTTIN, else the
// signal comes (and, without SA_RESTART, the read ends with EINTR; with it, the call runs again).
static void background(void) {
  pid_t g = fork();
  if (g == 0) {
    setpgid(0, 0);
    char c, out[128];
    signal(SIGTTIN, SIG_IGN);
    errno = 0;
    int r1 = read(0, &c, 1), e1 = errno;
    struct sigaction sa = {0};
    sa.sa_handler = on_signal;
    sigaction(SIGTTIN, &sa, NULL);
    errno = 0;
    int r2 = read(0, &c, 1), e2 = errno;
    snprintf(out, sizeof out, "background read: %d %s; with a handler %d %s, SIGTTIN %d\n", r1,
             strerror(e1), r2, strerror(e2), got[SIGTTIN]);
    say(out);
    struct termios t;
    tcgetattr(0, &t);
    signal(SIGTTOU, SIG_IGN);
    errno = 0;
    int s1 = tcsetattr(0, TCSANOW, &t), f1 = errno;
    sigaction(SIGTTOU, &sa, NULL);
    errno = 0;
    int s2 = tcsetattr(0, TCSANOW, &t), f2 = errno;
    snprintf(out, sizeof out, "background tcsetattr: %d %s; with a handler %d %s, SIGTTOU %d\n",
             s1, strerror(f1), s2, strerror(f2), got[SIGTTOU]);
    say(out);
    sa.sa_handler = third_ignores;
    sa.sa_flags = SA_RESTART;
    sigaction(SIGTTIN, &sa, NULL);
    sigaction(SIGTTOU, &sa, NULL);
    got[SIGTTIN] = got[SIGTTOU] = 0;
    errno = 0;
    int r3 = read(0, &c, 1), e3 = errno;
    errno = 0;
    int s3 = tcsetattr(0, TCSANOW, &t), f3 = errno;
    snprintf(out, sizeof out, "SA_RESTART: read %d %s after %d SIGTTIN, tcsetattr %d %s after %d.\n",
             r3, strerror(e3), got[SIGTTIN], s3, strerror(f3), got[SIGTTOU]);
    say(out);
    _exit(0);
  }
  waitpid(g, NULL, 0);
}

// The child: session leader with the slave as controlling terminal on 0, 1, 2.
static void child(const char *slave) {
  setsid();
  int s = open(slave, O_RDWR | O_NOCTTY);
  int sctty = ioctl(s, TIOCSCTTY, 0);
  dup2(s, 0), dup2(s, 1), dup2(s, 2);
  if (s > 2) close(s);
  char out[256];
  snprintf(out, sizeof out, "child: tty %s, ctty %s, foreground %s\n", yes(isatty(0)),
           yes(sctty == 0), yes(tcgetpgrp(0) == getpgrp()));
  say(out);
  background();
  child_reads();  // ERASE
  child_reads();  // KILL
  child_reads();  // EOF after bytes
  child_reads();  // EOF alone
  int sigs[] = {SIGINT, SIGTSTP, SIGQUIT, SIGWINCH};
  for (int i = 0; i < 4; i++) {
    await(sigs[i]);
    snprintf(out, sizeof out, "signal %d\n", sigs[i]);
    say(out);
  }
  struct winsize ws;
  ioctl(0, TIOCGWINSZ, &ws);
  snprintf(out, sizeof out, "winsize %dx%d\n", ws.ws_row, ws.ws_col);
  say(out);
  struct termios t;
  tcgetattr(0, &t);
  t.c_lflag &= ~(ICANON | ECHO);
  t.c_cc[VMIN] = 0, t.c_cc[VTIME] = 0;
  tcsetattr(0, TCSANOW, &t);
  int r0 = read(0, out, sizeof out);
  struct pollfd pf = {0, POLLIN, 0};
  int p0 = poll(&pf, 1, 0);
  t.c_cc[VTIME] = 2;  // VTIME alone: a read waits 0.2 s for a byte
  tcsetattr(0, TCSANOW, &t);
  int r1 = read(0, out, sizeof out);
  t.c_cc[VMIN] = 3, t.c_cc[VTIME] = 0;
  tcsetattr(0, TCSANOW, &t);
  snprintf(out, sizeof out, "raw: empty read %d, poll %d, VTIME read %d\n", r0, p0, r1);
  say(out);
  poll(&pf, 1, -1);
  int avail = -1;
  ioctl(0, FIONREAD, &avail);
  char raw[16];
  int n = 0;
  while (n < 3) n += read(0, raw + n, 3 - n);
  snprintf(out, sizeof out, "raw read [%.3s] %s\n", raw, yes(avail > 0));
  say(out);
  t.c_cc[VMIN] = 8, t.c_cc[VTIME] = 10;  // 8 bytes, but no more than 1 s after the last
  tcsetattr(0, TCSANOW, &t);
  say("VMIN 8, VTIME 10\n");
  n = read(0, raw, sizeof raw);
  snprintf(out, sizeof out, "timed read %d [%.*s]\n", n, n > 0 ? n : 0, raw);
  say(out);
  t.c_lflag |= ICANON | ECHONL;  // no echo but of newlines
  tcsetattr(0, TCSANOW, &t);
  int tty = open("/dev/tty", O_RDWR);
  snprintf(out, sizeof out, "/dev/tty: tty %s, foreground %s.\n", yes(isatty(tty)),
           yes(tcgetpgrp(tty) == getpgrp()));
  say(out);
  n = read(tty, raw, sizeof raw);
  snprintf(out, sizeof out, "quiet read [%.*s]\n", n > 0 ? n : 0, raw);
  say(out);
  _exit(0);
}

// Returns the slave, open: the master reads EIO while no slave is.
static int attrs(int m, const char *slave) {
  int s = open(slave, O_RDWR | O_NOCTTY);
  struct termios t;
  tcgetattr(s, &t);
  printf("slave termios: iflag %o oflag %o cflag %o lflag %o\n", t.c_iflag, t.c_oflag,
         t.c_cflag, t.c_lflag);
  printf("cc: intr %d quit %d erase %d kill %d eof %d min %d susp %d\n", t.c_cc[VINTR],
         t.c_cc[VQUIT], t.c_cc[VERASE], t.c_cc[VKILL], t.c_cc[VEOF], t.c_cc[VMIN], t.c_cc[VSUSP]);
  struct termios tm;
  tcgetattr(m, &tm);
  printf("master's termios are the slave's: %s\n", yes(tm.c_lflag == t.c_lflag));
  struct winsize ws = {24, 80, 0, 0};
  ioctl(m, TIOCSWINSZ, &ws);
  memset(&ws, 0, sizeof ws);
  ioctl(s, TIOCGWINSZ, &ws);
  printf("winsize set on master, read on slave: %dx%d\n", ws.ws_row, ws.ws_col);
  struct stat st;
  fstat(s, &st);
  printf("slave is a character device: %s, isatty %s %s\n", yes(S_ISCHR(st.st_mode)),
         yes(isatty(m)), yes(isatty(s)));
  errno = 0;
  pid_t pg = -1;
  int r = ioctl(s, TIOCGPGRP, &pg);
  printf("TIOCGPGRP of a tty that is no ctty: %d %s\n", r, strerror(errno));
  return s;
}

static void listed(const char *slave) {
  DIR *d = opendir("/dev/pts");
  int found = 0;
  struct dirent *e;
  while (d && (e = readdir(d))) found |= strcmp(e->d_name, slave + 9) == 0;
  if (d) closedir(d);
  printf("listed in /dev/pts: %s\n", yes(found));
}

static void session(int m, int s, const char *slave) {
  fflush(stdout);
  pid_t pid = fork();
  if (pid == 0) child(slave);
  expect(m, "hello, then a background read", ".\r\n");
  close(s);
  // what the master types, and the end of what comes back (the child then waits for more)
  static const struct { const char *keys, *what, *mark; } steps[] = {
      {"abc\177d\r", "erase", "]\r\n"},   {"xyz\025ok\n", "kill", "]\r\n"},
      {"partial\004", "eof", "]\r\n"},     {"\004", "eof alone", "]\r\n"},
      {"\003", "^C", "signal 2\r\n"},      {"\032", "^Z", "signal 20\r\n"},
      {"\034", "^\\", "signal 3\r\n"},
  };
  for (unsigned i = 0; i < sizeof steps / sizeof steps[0]; i++) {
    write(m, steps[i].keys, strlen(steps[i].keys));
    expect(m, steps[i].what, steps[i].mark);
  }
  struct winsize ws = {50, 132, 0, 0};
  ioctl(m, TIOCSWINSZ, &ws);
  expect(m, "winch, then raw mode", "read 0\r\n");
  write(m, "q\rs", 3);
  expect(m, "raw read", "VTIME 10\r\n");
  for (const char *c = "abcd"; *c; c++) {  // 0.4 s apart: VTIME's timer starts again at each
    if (*c != 'a') usleep(400000);
    write(m, c, 1);
  }
  expect(m, "VMIN and VTIME, then /dev/tty", ".\r\n");
  write(m, "secret\r", 7);
  expect(m, "ECHONL", "]\r\n");
  int st;
  waitpid(pid, &st, 0);
  printf("child exited %d\n", WEXITSTATUS(st));
  char c;
  errno = 0;
  int r = read(m, &c, 1);
  printf("master read after the slave closed: %d %s\n", r, strerror(errno));
  struct pollfd pf = {m, POLLIN | POLLOUT, 0};
  poll(&pf, 1, 0);
  printf("master poll: in %s hup %s\n", yes(pf.revents & POLLIN), yes(pf.revents & POLLHUP));
  fflush(stdout);
  int opened[2];
  pipe(opened);
  if ((pid = fork()) == 0) {  // the first session's leader is gone: a new one takes the terminal
    setsid();
    int s2 = open(slave, O_RDWR);
    write(opened[1], "o", 1);
    char out[64];
    snprintf(out, sizeof out, "a new session takes it: %s\n", yes(tcgetpgrp(s2) == getpgrp()));
    say2(s2, out);
    read(s2, out, sizeof out);  // until the master has read it
    _exit(0);
  }
  read(opened[0], &c, 1);
  expect(m, "second session", "\r\n");
  write(m, "\n", 1);
  waitpid(pid, NULL, 0);
}

// The master closes while a session leader has the slave as its terminal.
static void hangup(void) {
  int m = posix_openpt(O_RDWR | O_NOCTTY), ready[2];
  grantpt(m), unlockpt(m);
  char slave[64];
  strcpy(slave, ptsname(m));
  pipe(ready);
  fflush(stdout);
  pid_t pid = fork();
  if (pid == 0) {
    close(m);  // the parent's close is the master's last
    signal(SIGHUP, on_signal);
    setsid();
    int s = open(slave, O_RDWR);  // a session leader's first tty becomes its terminal
    write(ready[1], "r", 1);
    await(SIGHUP);
    char c, out[128];
    int r = read(s, &c, 1);
    errno = 0;
    int w = write(s, "x", 1);
    snprintf(out, sizeof out, "hung up: SIGHUP %s, read %d, write %d %s\n", yes(got[SIGHUP]), r,
             w, strerror(errno));
    write(ready[1], out, strlen(out));
    _exit(0);
  }
  char c, out[128];
  read(ready[0], &c, 1);
  close(m);
  int n = read(ready[0], out, sizeof out);
  printf("%.*s", n, out);
  waitpid(pid, NULL, 0);
}

// A session leader exits while another group of its session is the terminal's foreground: that
// group gets SIGHUP and the session has no terminal any more (disassociate_ctty).
static void leader_exits(void) {
  int m = posix_openpt(O_RDWR | O_NOCTTY), ready[2], report[2];
  grantpt(m), unlockpt(m);
  char slave[64];
  strcpy(slave, ptsname(m));
  pipe(ready), pipe(report);
  fflush(stdout);
  pid_t leader = fork();
  if (leader == 0) {
    setsid();
    int s = open(slave, O_RDWR);  // its terminal
    pid_t member = fork();
    if (member == 0) {
      setpgid(0, 0);
      got[SIGHUP] = got[SIGCONT] = 0;
      signal(SIGHUP, on_signal);  // blocked but in sigsuspend (main's mask)
      signal(SIGCONT, on_signal);
      write(ready[1], "r", 1);
      await(SIGHUP);
      pid_t pg = 0;
      errno = 0;
      int r = ioctl(s, TIOCGPGRP, &pg), e = errno;
      char out[160];
      snprintf(out, sizeof out, "leader gone: SIGHUP %d, SIGCONT %d; TIOCGPGRP %d %s\n", got[SIGHUP],
               got[SIGCONT], r, strerror(e));
      write(report[1], out, strlen(out));
      _exit(0);
    }
    setpgid(member, member);
    char c;
    read(ready[0], &c, 1);
    tcsetpgrp(s, member);
    _exit(0);
  }
  waitpid(leader, NULL, 0);
  char out[160];
  int n = read(report[0], out, sizeof out);
  printf("%.*s", n > 0 ? n : 0, out);
  close(m);
}

int main(void) {
  struct sigaction sa = {0};
  sa.sa_handler = on_signal;  // no SA_RESTART
  int sigs[] = {SIGINT, SIGTSTP, SIGQUIT, SIGWINCH};
  sigset_t block;
  sigemptyset(&block);
  for (int i = 0; i < 4; i++) sigaction(sigs[i], &sa, NULL), sigaddset(&block, sigs[i]);
  sigaddset(&block, SIGHUP);
  sigprocmask(SIG_BLOCK, &block, NULL);  // the child waits for them in sigsuspend
  int m = posix_openpt(O_RDWR | O_NOCTTY);
  printf("posix_openpt: %s\n", yes(m >= 0));
  if (m < 0) return 1;
  grantpt(m);
  char slave[64];
  strcpy(slave, ptsname(m));
  errno = 0;
  int locked = open(slave, O_RDWR | O_NOCTTY);
  printf("open while locked: %d %s\n", locked, strerror(errno));
  unlockpt(m);
  int n = -1;
  ioctl(m, TIOCGPTN, &n);
  printf("ptsname is /dev/pts/<TIOCGPTN>: %s\n", yes(strcmp(slave + 9, "") && atoi(slave + 9) == n));
  listed(slave);
  session(m, attrs(m, slave), slave);
  close(m);
  hangup();
  leader_exits();
  return 0;
}
