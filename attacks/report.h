#pragma once

#include <stdio.h>

#include "probe.h"

size_t report_found_count(void);
void report_print(FILE *f, const char *name, const struct probe *p, const char *status, const char *error);
