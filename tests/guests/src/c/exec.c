// execve and posix_spawn: with no argument, the program runs itself again
// through fork + execve and through posix_spawn and prints the exit statuses;
// "child ARGS..." prints its arguments and FOO, then exits 7; "run PATH
// ARGS..." execs PATH (a program or a #! script) and reports a failure.
// argv[0] must be the program's own guest path.
#include <errno.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

int main(int argc, char **argv) {
  setvbuf(stdout, NULL, _IOLBF, 0);
  if (argc > 1 && strcmp(argv[1], "child") == 0) {
    printf("child:");
    for (int i = 0; i < argc; i++) printf(" [%s]", argv[i]);
    printf(" FOO=%s\n", getenv("FOO") ? getenv("FOO") : "(unset)");
    return 7;
  }
  if (argc > 2 && strcmp(argv[1], "run") == 0) {
    execv(argv[2], argv + 2);
    printf("execv %s: %s\n", argv[2], strerror(errno));
    return 126;
  }
  pid_t c = fork();
  if (c == 0) {
    char *args[] = {argv[0], "child", "via-execve", NULL};
    char *env[] = {"FOO=bar", NULL};
    execve(argv[0], args, env);
    _exit(127);
  }
  int st;
  waitpid(c, &st, 0);
  printf("execve: exit %d\n", WEXITSTATUS(st));
  pid_t s;
  char *args2[] = {argv[0], "child", "via-posix_spawn", NULL};
  int r = posix_spawn(&s, argv[0], NULL, NULL, args2, environ);
  waitpid(s, &st, 0);
  printf("posix_spawn: %d, exit %d\n", r, WEXITSTATUS(st));
  return 0;
}
