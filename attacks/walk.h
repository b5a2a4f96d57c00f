#pragma once

#include "probe.h"

/* Scans up to max_files regular files (of at most 1 MiB) under root, depth levels deep, breadth first, never following links. */
void probe_walk(struct probe *p, const char *technique, const char *root, int depth, int max_files);
/* The same, on root's filesystem only (a mount below it is not entered), and
 * only files of at most 64 KiB (the others are counted: probe_walk_skipped_large). */
void probe_walk_fs(struct probe *p, const char *technique, const char *root, int depth, int max_files);
/* A budget for the walks that follow (time from now and bytes read; 0: none):
 * a walk that runs out stops, and records that it was cut short. */
void probe_walk_budget(double seconds, size_t bytes);
bool probe_walk_spent(void);
size_t probe_walk_skipped_large(void);
