/* splitbox backends check: a spec file against the schema, then the loader's
 * checks, with the field and the fix for each error, and what every
 * placeholder it uses expands to. */
#pragma once

#include <stdio.h>

/* Writes the findings to out; returns the number of problems (0: ok). */
int sbx_spec_check(const char *path, FILE *out);
