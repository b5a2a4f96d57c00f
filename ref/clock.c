/* Clocks: monotonic for deadlines, wall time (and ISO 8601) for results. */
#include <stdio.h>
#include <time.h>

#include "clock.h"

double sbx_now_ms(void)
{
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

double sbx_wall_seconds(void)
{
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return ts.tv_sec + ts.tv_nsec / 1e9;
}

void sbx_iso8601(double wall_seconds, char *buf, size_t len)
{
  time_t secs = (time_t)wall_seconds;
  int ms = (int)((wall_seconds - (double)secs) * 1000.0);
  struct tm tm;
  char base[32];

  gmtime_r(&secs, &tm);
  strftime(base, sizeof base, "%Y-%m-%dT%H:%M:%S", &tm);
  snprintf(buf, len, "%s.%03dZ", base, ms);
}
