#pragma once

#include "probe.h"

/* Scans up to max_files regular files (of at most 1 MiB) under root, depth levels deep, breadth first, never following links. */
void probe_walk(struct probe *p, const char *technique, const char *root, int depth, int max_files);
