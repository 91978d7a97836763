// One process on both ends of a pty, for the snapshot test in tests/pty_test.ts (saved at the
// getppid call, run on, put back and run again): what waits in each direction, a line in edit,
// the window size, the lock and the termios a snapshot keeps. Prints no pty number.
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <unistd.h>

// Reads `fd` once and prints what came, control characters escaped.
static void got(const char *what, int fd) {
  char buf[64];
  errno = 0;
  int n = read(fd, buf, sizeof buf);
  printf("%s: %d \"", what, n);
  for (int i = 0; i < n; i++) {
    unsigned char c = buf[i];
    if (c < 32) printf("\\x%02x", c);
    else putchar(c);
  }
  printf("\" %s\n", n < 0 ? strerror(errno) : "");
}

int main(void) {
  int m = posix_openpt(O_RDWR | O_NOCTTY | O_NONBLOCK);
  grantpt(m), unlockpt(m);
  char slave[64];
  strcpy(slave, ptsname(m));
  int s = open(slave, O_RDWR | O_NOCTTY | O_NONBLOCK);
  struct winsize ws = {30, 100, 0, 0};
  ioctl(m, TIOCSWINSZ, &ws);
  write(m, "typed\n", 6);
  write(m, "half", 4);  // a line in edit
  write(s, "out\n", 4);
  int lock = 1;
  ioctl(m, TIOCSPTLCK, &lock);
  getppid();  // the snapshot is taken here
  got("slave", s);
  got("master", m);
  got("slave again", s);
  errno = 0;
  printf("open while locked: %d %s\n", open(slave, O_RDWR | O_NOCTTY), strerror(errno));
  struct termios t;
  tcgetattr(s, &t);
  t.c_lflag &= ~ECHO;
  tcsetattr(s, TCSANOW, &t);
  write(m, "quiet\n", 6);
  got("slave without echo", s);
  got("master without echo", m);
  memset(&ws, 0, sizeof ws);
  ioctl(s, TIOCGWINSZ, &ws);
  printf("winsize %dx%d\n", ws.ws_row, ws.ws_col);
  close(s);
  close(m);
  return 0;
}
