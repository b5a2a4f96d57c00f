#include <string.h>

#include "canary.h"

static bool is_hex(char c)
{
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
}

bool sbx_canary_valid(const char *s)
{
  if (strlen(s) != SBX_CANARY_LEN || strncmp(s, SBX_CANARY_PREFIX, sizeof SBX_CANARY_PREFIX - 1) != 0)
    return false;
  for (size_t i = sizeof SBX_CANARY_PREFIX - 1; i < SBX_CANARY_LEN; i++)
    if (!is_hex(s[i]))
      return false;
  return true;
}

void sbx_canary_scan(const void *buf, size_t len, void (*found)(const char *token, void *arg), void *arg)
{
  const char *p = buf, *end = p + len;
  const size_t plen = sizeof SBX_CANARY_PREFIX - 1;

  while (p < end && (p = memmem(p, (size_t)(end - p), SBX_CANARY_PREFIX, plen)) != NULL)
    {
      char token[SBX_CANARY_LEN + 1];
      size_t i;

      if ((size_t)(end - p) < SBX_CANARY_LEN)
        return;
      for (i = plen; i < SBX_CANARY_LEN && is_hex(p[i]); i++)
        ;
      if (i == SBX_CANARY_LEN)
        {
          memcpy(token, p, SBX_CANARY_LEN);
          token[SBX_CANARY_LEN] = '\0';
          found(token, arg);
        }
      p += plen;
    }
}
