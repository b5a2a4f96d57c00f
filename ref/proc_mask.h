/* Masking of a fresh /proc for user code (proc_mask.c). */
#pragma once

#include "error.h"

/* proc: where the fresh /proc is mounted. 0, or -1 with err set. */
int sbx_proc_mask(const char *proc, struct sbx_error *err);
