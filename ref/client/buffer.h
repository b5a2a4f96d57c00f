/* A growing, NUL-terminated byte buffer for data that arrives in chunks: the
 * client's HTTP answers (curl's write callback) and the harness's captured
 * output (harness/run.c). Internal, not installed; header-only, so that the
 * harness needs no more of the client library than it already links. */
#pragma once

#include <errno.h>
#include <stdlib.h>
#include <string.h>

struct sbx_buffer
{
  char *data; /* NULL until the first byte */
  size_t len, cap;
};

/* Appends n bytes, unless that would hold more than max bytes (EFBIG) or
 * memory runs out (ENOMEM): -1 then, and the buffer is as it was. */
static inline int sbx_buffer_append(struct sbx_buffer *b, const void *data, size_t n, size_t max)
{
  if (n > max || b->len > max - n)
    {
      errno = EFBIG;
      return -1;
    }
  /* Doubling: a large answer arrives in many chunks, and each regrowth is a
   * copy (a measured cost; docs/PERFORMANCE.md). */
  if (b->len + n + 1 > b->cap)
    {
      size_t cap = b->cap > 0 ? b->cap : 16384;
      char *grown;
      while (cap < b->len + n + 1)
        cap *= 2;
      if ((grown = realloc(b->data, cap)) == NULL)
        {
          errno = ENOMEM;
          return -1;
        }
      b->data = grown;
      b->cap = cap;
    }
  memcpy(b->data + b->len, data, n);
  b->len += n;
  b->data[b->len] = '\0';
  return 0;
}
