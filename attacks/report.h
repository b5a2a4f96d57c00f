#pragma once

#include <stdbool.h>
#include <stdio.h>

#include "probe.h"

size_t report_found_count(void);
bool report_all_unsupported(char *why, size_t len);
void report_print(FILE *f, const char *name, const struct probe *p, const char *status, const char *error);

/* For probes that work in children: the child's records, to be loaded by the parent. */
void report_reset(void);
void report_dump_records(FILE *f);
void report_load_records(struct probe *p, FILE *f, const char *prefix);
