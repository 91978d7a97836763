// Files, /proc and processes where user-mode emulators used to differ from Linux: the
// /proc/self and /proc/thread-self symlinks. Prints only what does not depend on pids or the
// host, so qemu-riscv64 prints the same. `files_procs SECTION` runs one section.
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
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

int main(int argc, char **argv) {
  const char *only = argc > 1 ? argv[1] : "";
  if (!*only || !strcmp(only, "proclinks")) proc_links();
  return 0;
}
