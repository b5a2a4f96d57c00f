/* UTF-8 for JSON strings, which must be valid UTF-8 without NUL. */
#include <stdlib.h>
#include <string.h>

#include "utf8.h"

/* Output may hold any bytes; JSON strings need valid UTF-8 without NUL. */
bool sbx_utf8_valid(const char *s, size_t len)
{
  for (size_t i = 0; i < len;)
    {
      unsigned char c = (unsigned char)s[i];
      size_t n = c < 0x80 ? 1 : (c >> 5) == 0x6 ? 2 : (c >> 4) == 0xe ? 3 : (c >> 3) == 0x1e ? 4 : 0;
      if (n == 0 || c == 0 || i + n > len || (n == 2 && c < 0xc2))
        return false;
      for (size_t k = 1; k < n; k++)
        if (((unsigned char)s[i + k] >> 6) != 0x2)
          return false;
      i += n;
    }
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
      unsigned char c = (unsigned char)s[i];
      size_t n = c < 0x80 ? 1 : (c >> 5) == 0x6 ? 2 : (c >> 4) == 0xe ? 3 : (c >> 3) == 0x1e ? 4 : 0;
      bool ok = n > 0 && i + n <= len && c != 0;
      for (size_t k = 1; ok && k < n; k++)
        ok = ((unsigned char)s[i + k] >> 6) == 0x2;
      if (ok && n == 2 && c < 0xc2)
        ok = false; /* overlong */
      if (ok)
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
