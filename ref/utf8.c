/* UTF-8 for JSON strings, which must be valid UTF-8 without NUL. */
#include <stdlib.h>
#include <string.h>

#include "utf8.h"

/* The length of the valid UTF-8 character at s (RFC 3629), or 0: no NUL,
 * no overlong form, no surrogate (U+D800..U+DFFF), nothing past U+10FFFF.
 * Strict UTF-8 is what JSON parsers downstream accept; a loose check lets a
 * surrogate through into a "utf-8" answer. */
static size_t char_len(const unsigned char *s, size_t len)
{
  unsigned char c = s[0];
  unsigned char lo = 0x80, hi = 0xbf; /* the second byte's range */
  size_t n;

  if (c == 0)
    return 0;
  if (c < 0x80)
    return 1;
  if (c >= 0xc2 && c <= 0xdf)
    n = 2;
  else if (c >= 0xe0 && c <= 0xef)
    {
      n = 3;
      if (c == 0xe0)
        lo = 0xa0; /* overlong */
      else if (c == 0xed)
        hi = 0x9f; /* surrogates */
    }
  else if (c >= 0xf0 && c <= 0xf4)
    {
      n = 4;
      if (c == 0xf0)
        lo = 0x90; /* overlong */
      else if (c == 0xf4)
        hi = 0x8f; /* past U+10FFFF */
    }
  else
    return 0;
  if (n > len || s[1] < lo || s[1] > hi)
    return 0;
  for (size_t k = 2; k < n; k++)
    if ((s[k] & 0xc0) != 0x80)
      return 0;
  return n;
}

/* Output may hold any bytes; JSON strings need valid UTF-8 without NUL. */
bool sbx_utf8_valid(const char *s, size_t len)
{
  for (size_t i = 0, n; i < len; i += n)
    if ((n = char_len((const unsigned char *)s + i, len - i)) == 0)
      return false;
  return true;
}

/* For streams of events, where a chunk may end inside a character: bytes that
 * are not valid UTF-8 become U+FFFD. */
char *sbx_utf8_sanitize(const char *s, size_t len)
{
  char *out = malloc(len * 3 + 1), *o = out;
  size_t i = 0;

  if (out == NULL)
    return NULL;
  while (i < len)
    {
      size_t n = char_len((const unsigned char *)s + i, len - i);
      if (n > 0)
        {
          memcpy(o, s + i, n);
          o += n;
          i += n;
        }
      else
        {
          memcpy(o, "\xef\xbf\xbd", 3);
          o += 3;
          i++;
        }
    }
  *o = '\0';
  return out;
}
