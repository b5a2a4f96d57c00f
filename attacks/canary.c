#include <errno.h>
#include <string.h>
#include <sys/random.h>
#include <sys/types.h>

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

int sbx_random_token(char *out, size_t size, const char *prefix, size_t hex_digits)
{
  static const char digits[] = "0123456789abcdef";
  size_t plen = strlen(prefix);
  unsigned char raw[64];

  if (plen + hex_digits >= size || hex_digits > 2 * sizeof raw)
    {
      errno = ERANGE;
      return -1;
    }
  for (size_t got = 0, want = (hex_digits + 1) / 2; got < want;)
    {
      ssize_t n = getrandom(raw + got, want - got, 0);
      if (n < 0 && errno != EINTR)
        return -1;
      got += n > 0 ? (size_t)n : 0;
    }
  memcpy(out, prefix, plen);
  for (size_t i = 0; i < hex_digits; i++)
    out[plen + i] = digits[i % 2 == 0 ? raw[i / 2] >> 4 : raw[i / 2] & 0xf];
  out[plen + hex_digits] = '\0';
  return 0;
}

int sbx_canary_new(char out[static SBX_CANARY_LEN + 1])
{
  return sbx_random_token(out, SBX_CANARY_LEN + 1, SBX_CANARY_PREFIX, SBX_CANARY_HEX);
}

int sbx_marker_new(char out[static SBX_MARKER_LEN + 1])
{
  return sbx_random_token(out, SBX_MARKER_LEN + 1, SBX_MARKER_PREFIX, SBX_MARKER_HEX);
}
