/* Removing a directory tree that hostile code may still be changing. */
#pragma once

/* By fd, never following links. */
void sbx_remove_tree(const char *path);
