// The --root sandbox suite, run as a guest. The host test makes, in the guest's root (its cwd):
//   hostlink -> OUTSIDE/secret (absolute), hostdir -> OUTSIDE, hostmissing -> OUTSIDE/none,
//   uplink -> ../../../../../../../..OUTSIDE/secret, hardlink (a hard link to hostlink),
//   inside (a regular file "inside"), and OUTSIDE is argv[1].
// Each line is "<tag> <what>: <result>". Tag P: Linux semantics that qemu-riscv64 (no sandbox)
// shares, printed in both modes. Tag R: --root semantics (symlinks re-rooted), printed only
// when argv[2] is "root", since without a sandbox these calls touch OUTSIDE.
// SPDX-License-Identifier: GPL-3.0-or-later
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

static const char *outside;
static char path[8192];

static void res(char tag, const char *what, long r) {
  if (r < 0) printf("%c %s: -1 %s\n", tag, what, strerrorname_np(errno));
  else printf("%c %s: ok\n", tag, what);
}

static const char *out(const char *name) {
  snprintf(path, sizeof path, "%s/%s", outside, name);
  return path;
}

// Opens and reads up to 15 bytes: "ok <text>", or the errno of the open or the read.
static void open_read(char tag, const char *what, const char *p, int flags) {
  int fd = open(p, flags);
  if (fd < 0) { res(tag, what, -1); return; }
  char buf[16] = {0};
  long n = read(fd, buf, 15);
  if (n < 0) res(tag, what, -1);
  else printf("%c %s: ok %s\n", tag, what, buf);
  close(fd);
}

static void nofollow(void) {
  open_read('P', "open hostlink RDONLY|NOFOLLOW", "hostlink", O_RDONLY | O_NOFOLLOW);
  res('P', "open hostlink WRONLY|NOFOLLOW", open("hostlink", O_WRONLY | O_NOFOLLOW));
  res('P', "open hostlink WRONLY|TRUNC|NOFOLLOW", open("hostlink", O_WRONLY | O_TRUNC | O_NOFOLLOW));
  res('P', "open hostlink RDWR|CREAT|NOFOLLOW", open("hostlink", O_RDWR | O_CREAT | O_NOFOLLOW, 0666));
  res('P', "open hostdir DIRECTORY|NOFOLLOW", open("hostdir", O_RDONLY | O_DIRECTORY | O_NOFOLLOW));
  open_read('P', "open hardlink RDONLY|NOFOLLOW", "hardlink", O_RDONLY | O_NOFOLLOW);
  open_read('P', "open inside RDONLY|NOFOLLOW", "inside", O_RDONLY | O_NOFOLLOW);
  res('P', "symlink guestlink", symlink(out("secret"), "guestlink"));
  open_read('P', "open guestlink RDONLY|NOFOLLOW", "guestlink", O_RDONLY | O_NOFOLLOW);
  res('P', "open guestlink WRONLY|NOFOLLOW", open("guestlink", O_WRONLY | O_NOFOLLOW));
}

static void opath(void) {
  int fd = open("hostlink", O_PATH | O_NOFOLLOW);
  res('P', "open hostlink PATH|NOFOLLOW", fd);
  char c;
  res('P', "read O_PATH fd", read(fd, &c, 1));
  res('P', "write O_PATH fd", write(fd, "x", 1));
  close(fd);
  fd = open("inside", O_PATH);
  res('P', "read O_PATH regular file", read(fd, &c, 1));
  close(fd);
}

static void access_nofollow(void) {
  // The link exists whatever its target: no answer about OUTSIDE.
  res('P', "faccessat2 hostmissing NOFOLLOW", syscall(SYS_faccessat2, AT_FDCWD, "hostmissing", F_OK, AT_SYMLINK_NOFOLLOW));
  res('P', "faccessat2 hostlink NOFOLLOW", syscall(SYS_faccessat2, AT_FDCWD, "hostlink", F_OK, AT_SYMLINK_NOFOLLOW));
  struct stat st;
  res('P', "lstat hostlink", lstat("hostlink", &st));
  printf("P lstat hostlink is link: %d\n", S_ISLNK(st.st_mode));
}

static void too_long(void) {
  static char longp[5000];
  memset(longp, 'a', sizeof longp - 1);
  res('P', "open 4999-byte path", open(longp, O_RDONLY));
  res('P', "stat 4999-byte path", stat(longp, &(struct stat){0}));
}

// Across the boundary: every call must stay in the root (OUTSIDE paths are re-rooted, so missing).
static void rooted(void) {
  open_read('R', "open hostlink", "hostlink", O_RDONLY);
  open_read('R', "open uplink", "uplink", O_RDONLY);
  open_read('R', "open hardlink", "hardlink", O_RDONLY);
  open_read('R', "open dot-dot chain", "../../../../../../../../../../etc/../hostlink", O_RDONLY);
  open_read('R', "open outside path", out("secret"), O_RDONLY);
  res('R', "open hostdir DIRECTORY", open("hostdir", O_RDONLY | O_DIRECTORY));
  res('R', "open hostlink WRONLY|TRUNC", open("hostlink", O_WRONLY | O_TRUNC));
  res('R', "faccessat hostlink", access("hostlink", F_OK));
  res('R', "truncate hostlink", truncate("hostlink", 0));
  res('R', "chmod hostlink", chmod("hostlink", 0777));
  res('R', "fchmodat uplink", fchmodat(AT_FDCWD, "uplink", 0777, 0));
  res('R', "utimensat hostlink", utimensat(AT_FDCWD, "hostlink", NULL, 0));
  res('R', "utimensat hostlink NOFOLLOW", utimensat(AT_FDCWD, "hostlink", NULL, AT_SYMLINK_NOFOLLOW));
  res('R', "mkdir hostdir/new", mkdir("hostdir/new", 0777));
  res('R', "mkdirat via uplink/..", mkdirat(AT_FDCWD, "uplink/../new", 0777));
  res('R', "rename hostdir/x", rename("hostdir/secret", "stolen"));
  res('R', "rename into hostdir", rename("inside", "hostdir/planted"));
  res('R', "link hostdir/secret", link("hostdir/secret", "stolen"));
  res('R', "linkat hostlink FOLLOW", linkat(AT_FDCWD, "hostlink", AT_FDCWD, "stolen", AT_SYMLINK_FOLLOW));
  res('R', "linkat hostlink (the link)", linkat(AT_FDCWD, "hostlink", AT_FDCWD, "hl2", 0));
  open_read('R', "open hl2", "hl2", O_RDONLY);
  res('R', "unlink hostdir/secret", unlink("hostdir/secret"));
  res('R', "rmdir hostdir", rmdir("hostdir"));
  res('R', "rename hostlink (the link)", rename("hostlink", "moved"));
  res('R', "unlink moved (the link)", unlink("moved"));
  res('R', "unlink guestlink (the link)", unlink("guestlink"));
  // getdents of "/": ".." is the root itself, as on Linux (not the host directory above it).
  DIR *d = opendir("/");
  long dot = -1, dotdot = -2;
  for (struct dirent *e; d && (e = readdir(d));) {
    if (!strcmp(e->d_name, ".")) dot = (long)e->d_ino;
    if (!strcmp(e->d_name, "..")) dotdot = (long)e->d_ino;
  }
  if (d) closedir(d);
  printf("R getdents / '..' is '.': %d\n", dot == dotdot);
  char buf[256] = {0};
  long n = readlink("/proc/self/exe", buf, sizeof buf - 1);
  printf("R readlink /proc/self/exe: %s\n", n < 0 ? strerrorname_np(errno) : buf);
}

int main(int argc, char **argv) {
  if (argc < 3) { fprintf(stderr, "usage: sandbox OUTSIDE root|portable\n"); return 2; }
  outside = argv[1];
  setvbuf(stdout, NULL, _IONBF, 0);
  nofollow();
  opath();
  access_nofollow();
  too_long();
  if (!strcmp(argv[2], "root")) rooted();
  return 0;
}
