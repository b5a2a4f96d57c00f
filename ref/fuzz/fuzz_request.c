/* libFuzzer target for the daemon's request parser: the input is
 * "METHOD\nPATH\nBODY", as the HTTP server hands them over. Every parse must
 * end in a typed request or a typed error, without a crash, a leak, or
 * undefined behaviour (the build adds ASan and UBSan). */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/request.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  char *copy = malloc(size + 1), *method, *path, *body, *nl;
  struct sbx_request req;
  struct sbx_error err = { 0 };
  int r;

  if (copy == NULL)
    return 0;
  memcpy(copy, data, size);
  copy[size] = '\0';
  method = copy;
  path = "";
  body = "";
  if ((nl = memchr(method, '\n', size)) != NULL)
    {
      *nl = '\0';
      path = nl + 1;
      if ((nl = memchr(path, '\n', size - (size_t)(path - copy))) != NULL)
        {
          *nl = '\0';
          body = nl + 1;
        }
    }
  /* The body keeps its length: it may hold NUL bytes, as an HTTP body may. */
  r = sbx_request_parse(method, path, body, body[0] != '\0' ? size - (size_t)(body - copy) : 0, &req, &err);
  if (r < 0 && err.code[0] == '\0')
    abort(); /* an error must always carry its code */
  sbx_request_clear(&req);
  free(copy);
  return 0;
}
