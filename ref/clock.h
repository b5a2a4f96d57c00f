/* Clocks: monotonic milliseconds for deadlines, wall time for results. */
#pragma once

#include <stddef.h>

double sbx_now_ms(void);       /* CLOCK_MONOTONIC */
double sbx_wall_seconds(void); /* CLOCK_REALTIME */
void sbx_iso8601(double wall_seconds, char *buf, size_t len);
