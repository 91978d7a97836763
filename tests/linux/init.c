/* PID 1 of Denemu's test kernel: mounts the pseudo file systems, lists the
 * PCI functions, uses the virtio disk (/dev/vda, ext2), the RTC and
 * /dev/hwrng, then powers off.
 * With "shell" on the kernel command line it runs a tiny shell on the console
 * instead of powering off: echo, cat, ls, poweroff.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include <dirent.h>
#include <fcntl.h>
#include <linux/rtc.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/reboot.h>
#include <unistd.h>

static void cat(const char *path) {
  char buf[512];
  int fd = open(path, O_RDONLY);
  if (fd < 0) { printf("cat: %s: cannot open\n", path); return; }
  ssize_t n;
  while ((n = read(fd, buf, sizeof buf)) > 0) fwrite(buf, 1, n, stdout);
  close(fd);
}

static void ls(const char *path) {
  DIR *d = opendir(path);
  if (!d) { printf("ls: %s: cannot open\n", path); return; }
  struct dirent *e;
  while ((e = readdir(d))) if (e->d_name[0] != '.') printf("%s\n", e->d_name);
  closedir(d);
}

static void disk(void) {
  if (mount("/dev/vda", "/mnt", "ext2", 0, 0) != 0) { printf("init: no ext2 disk on /dev/vda\n"); return; }
  printf("init: /mnt/hello.txt says: ");
  cat("/mnt/hello.txt");
  int fd = open("/mnt/written.txt", O_WRONLY | O_CREAT | O_TRUNC, 0644);
  const char *text = "written by the guest\n";
  if (fd < 0 || write(fd, text, strlen(text)) != (ssize_t)strlen(text)) printf("init: write failed\n");
  else printf("init: wrote /mnt/written.txt\n");
  if (fd >= 0) { fsync(fd); close(fd); }
  sync();
  umount("/mnt");
}

static void rtc(void) {
  struct rtc_time t;
  int fd = open("/dev/rtc0", O_RDONLY);
  if (fd < 0 || ioctl(fd, RTC_RD_TIME, &t) != 0) { printf("init: no rtc\n"); return; }
  printf("init: rtc year >= 2000: %s\n", t.tm_year + 1900 >= 2000 ? "yes" : "no");
  close(fd);
}

static void hwrng(void) {
  unsigned char b[16];
  int fd = open("/dev/hwrng", O_RDONLY);
  ssize_t n = fd < 0 ? -1 : read(fd, b, sizeof b);
  printf("init: hwrng gave %d bytes\n", (int)n);
  if (fd >= 0) close(fd);
}

/* The first line of `dir`/`name`, without its newline, into `out`. */
static void line_of(const char *dir, const char *name, char *out, size_t size) {
  char path[256];
  snprintf(path, sizeof path, "%s/%s", dir, name);
  int fd = open(path, O_RDONLY);
  ssize_t n = fd < 0 ? 0 : read(fd, out, size - 1);
  out[n > 0 ? n : 0] = 0;
  out[strcspn(out, "\n")] = 0;
  if (fd >= 0) close(fd);
}

/* An lspci -n: slot, vendor:device, class and the driver bound to each PCI function. */
static void pci(void) {
  DIR *d = opendir("/sys/bus/pci/devices");
  if (!d) { printf("init: no PCI\n"); return; }
  struct dirent *e;
  while ((e = readdir(d))) {
    if (e->d_name[0] == '.') continue;
    char dir[300], vendor[16], device[16], class[16], driver[64] = "none";
    snprintf(dir, sizeof dir, "/sys/bus/pci/devices/%s", e->d_name);
    line_of(dir, "vendor", vendor, sizeof vendor);
    line_of(dir, "device", device, sizeof device);
    line_of(dir, "class", class, sizeof class);
    char path[320], link[256];
    snprintf(path, sizeof path, "%s/driver", dir);
    ssize_t n = readlink(path, link, sizeof link - 1);
    if (n > 0) { link[n] = 0; snprintf(driver, sizeof driver, "%s", strrchr(link, '/') + 1); }
    printf("init: pci %s %s:%s class %s driver %s\n", e->d_name, vendor + 2, device + 2, class, driver);
  }
  closedir(d);
}

static void shell(void) {
  char line[256];
  for (;;) {
    printf("# ");
    fflush(stdout);
    if (!fgets(line, sizeof line, stdin)) return;
    line[strcspn(line, "\r\n")] = 0;
    char *arg = strchr(line, ' ');
    if (arg) *arg++ = 0; else arg = "";
    if (!strcmp(line, "echo")) printf("%s\n", arg);
    else if (!strcmp(line, "cat")) cat(arg);
    else if (!strcmp(line, "ls")) ls(*arg ? arg : ".");
    else if (!strcmp(line, "poweroff")) return;
    else if (*line) printf("%s: not found\n", line);
  }
}

int main(void) {
  mount("proc", "/proc", "proc", 0, 0);
  mount("sysfs", "/sys", "sysfs", 0, 0);
  mount("devtmpfs", "/dev", "devtmpfs", 0, 0);
  printf("init: hello from pid %d\n", getpid());
  pci();
  disk();
  rtc();
  hwrng();
  char cmdline[512] = {0};
  int fd = open("/proc/cmdline", O_RDONLY);
  if (fd >= 0) { read(fd, cmdline, sizeof cmdline - 1); close(fd); }
  if (strstr(cmdline, "shell")) shell();
  printf("init: powering off\n");
  fflush(stdout);
  sync();
  reboot(RB_POWER_OFF);
  return 0;
}
