/* UTF-8 for JSON strings, which must be valid UTF-8 without NUL. */
#include <stdlib.h>
#include <string.h>

#include "utf8.h"

/* The length of the well-formed character at s[0], or 0. RFC 3629 (and
 * Unicode's table 3-7): the second byte's range depends on the first, which
 * refuses overlong forms (C0, C1, E0 80..9F, F0 80..8F), the surrogates
 * U+D800..DFFF (ED A0..BF) and everything past U+10FFFF (F4 90.., F5..FF).
 * Strict JSON parsers refuse each of these, so they must not pass as text. */
static size_t char_len(const unsigned char *s, size_t left)
{
  unsigned char c = s[0], lo = 0x80, hi = 0xbf;
  size_t n;

  if (c == 0)
    return 0;
  if (c < 0x80)
    return 1;
  if (c >= 0xc2 && c <= 0xdf)
    n = 2;
  else if (c >= 0xe0 && c <= 0xef)
    n = 3;
  else if (c >= 0xf0 && c <= 0xf4)
    n = 4;
  else
    return 0;
  if (c == 0xe0)
    lo = 0xa0;
  else if (c == 0xed)
    hi = 0x9f;
  else if (c == 0xf0)
    lo = 0x90;
  else if (c == 0xf4)
    hi = 0x8f;
  if (n > left || s[1] < lo || s[1] > hi)
    return 0;
  for (size_t k = 2; k < n; k++)
    if ((s[k] & 0xc0) != 0x80)
      return 0;
  return n;
}

bool sbx_utf8_valid(const char *s, size_t len)
{
  for (size_t i = 0, n; i < len; i += n)
    if ((n = char_len((const unsigned char *)s + i, len - i)) == 0)
      return false;
  return true;
}

/* For streams of events, where a chunk may end inside a character: bytes that
 * are not valid UTF-8 become U+FFFD, one per byte. */
char *sbx_utf8_sanitize(const char *s, size_t len)
{
  char *out = malloc(len * 3 + 1), *o = out;

  if (out == NULL)
    return NULL;
  for (size_t i = 0, n; i < len; i += n)
    {
      n = char_len((const unsigned char *)s + i, len - i);
      if (n > 0)
        {
          memcpy(o, s + i, n);
          o += n;
        }
      else
        {
          memcpy(o, "\xef\xbf\xbd", 3);
          o += 3;
          n = 1;
        }
    }
  *o = '\0';
  return out;
}
