/* Finding what to look at: /proc entries, marker processes, their mappings, files. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "probe.h"

char *probe_read_file(const char *path, size_t cap, size_t *len)
{
  int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
  char *buf;
  size_t got = 0;

  if (fd < 0)
    return NULL;
  buf = malloc(cap + 1);
  if (buf == NULL)
    {
      close(fd);
      errno = ENOMEM;
      return NULL;
    }
  while (got < cap)
    {
      ssize_t n = read(fd, buf + got, cap - got);
      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0)
        {
          int e = errno;
          close(fd);
          free(buf);
          errno = e;
          return NULL;
        }
      if (n == 0)
        break;
      got += (size_t)n;
    }
  close(fd);
  buf[got] = '\0';
  *len = got;
  return buf;
}

bool probe_scan_file(struct probe *p, const char *technique, const char *path)
{
  size_t len = 0;
  char *buf = probe_read_file(path, 1 << 20, &len);

  if (buf == NULL)
    {
      probe_attempt(p, technique, path, false, errno, NULL);
      return false;
    }
  probe_scan(p, buf, len);
  probe_attempt(p, technique, path, true, 0, "%zu bytes", len);
  free(buf);
  return true;
}

int probe_list_pids(pid_t **pids)
{
  DIR *d = opendir("/proc");
  struct dirent *de;
  int n = 0, cap = 256;

  *pids = malloc(sizeof(pid_t) * (size_t)cap);
  if (d == NULL || *pids == NULL)
    {
      if (d != NULL)
        closedir(d);
      return 0;
    }
  while ((de = readdir(d)) != NULL)
    {
      char *end;
      long pid = strtol(de->d_name, &end, 10);
      if (*end != '\0' || pid <= 0)
        continue;
      if (n == cap)
        {
          pid_t *grown = realloc(*pids, sizeof(pid_t) * (size_t)(cap *= 2));
          if (grown == NULL)
            break;
          *pids = grown;
        }
      (*pids)[n++] = (pid_t)pid;
    }
  closedir(d);
  return n;
}

void probe_find_targets(struct probe *p)
{
  pid_t *pids = NULL;
  int n = probe_list_pids(&pids);

  p->n_targets = 0;
  for (int i = 0; p->marker != NULL && i < n && p->n_targets < PROBE_MAX_TARGETS; i++)
    {
      char path[64], comm[32];
      size_t len = 0;
      char *buf;
      snprintf(path, sizeof path, "/proc/%d/comm", (int)pids[i]);
      buf = probe_read_file(path, sizeof comm - 1, &len);
      if (buf == NULL)
        continue;
      if (len > 0 && buf[len - 1] == '\n')
        buf[--len] = '\0';
      /* comm, not cmdline: our own argv and our shell's carry the marker too. */
      if (strcmp(buf, p->marker) == 0 && pids[i] != getpid())
        p->targets[p->n_targets++] = pids[i];
      free(buf);
    }
  free(pids);
}

void probe_find_target_attempt(struct probe *p)
{
  probe_attempt(p, PROBE_FIND_TARGET, p->marker, p->n_targets > 0, ESRCH, "%d process(es) carry the marker",
                p->n_targets);
}

bool probe_is_target(const struct probe *p, pid_t pid)
{
  for (int i = 0; i < p->n_targets; i++)
    if (p->targets[i] == pid)
      return true;
  return false;
}

int probe_mappings(pid_t pid, struct mapping *out, int max)
{
  char path[64], line[512];
  FILE *f;
  int n = 0;

  snprintf(path, sizeof path, "/proc/%d/maps", (int)pid);
  f = fopen(path, "re");
  if (f == NULL)
    return -1;
  while (n < max && fgets(line, sizeof line, f) != NULL)
    {
      char perms[8] = "", name[256] = "";
      unsigned long start, end;
      if (sscanf(line, "%lx-%lx %7s %*s %*s %*s %255[^\n]", &start, &end, perms, name) < 3)
        continue;
      /* Readable, writable memory: heap, stack, data; where secrets live. */
      if (perms[0] != 'r' || perms[1] != 'w' || strcmp(name, "[vvar]") == 0)
        continue;
      out[n].start = start;
      out[n].end = end;
      snprintf(out[n].name, sizeof out[n].name, "%s", name[0] ? name : "[anon]");
      n++;
    }
  fclose(f);
  return n;
}
