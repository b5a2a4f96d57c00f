/* Base64 (RFC 4648), for file contents that are not text. */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "base64.h"

static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

char *sbx_base64_encode(const void *data, size_t len)
{
  const unsigned char *in = data;
  char *out = malloc((len + 2) / 3 * 4 + 1), *o = out;

  if (out == NULL)
    return NULL;
  for (size_t i = 0; i < len; i += 3)
    {
      unsigned v = (unsigned)in[i] << 16 | (i + 1 < len ? (unsigned)in[i + 1] << 8 : 0) | (i + 2 < len ? in[i + 2] : 0);
      *o++ = alphabet[v >> 18 & 63];
      *o++ = alphabet[v >> 12 & 63];
      *o++ = i + 1 < len ? alphabet[v >> 6 & 63] : '=';
      *o++ = i + 2 < len ? alphabet[v & 63] : '=';
    }
  *o = '\0';
  return out;
}

/* A table, not a search of the alphabet per character: 1 MiB bodies are decoded here. */
static signed char values[256];
static pthread_once_t values_once = PTHREAD_ONCE_INIT;

static void fill_values(void)
{
  memset(values, -1, sizeof values);
  for (int i = 0; i < 64; i++)
    values[(unsigned char)alphabet[i]] = (signed char)i;
}

static int value_of(char c)
{
  return values[(unsigned char)c];
}

int sbx_base64_decode(const char *text, char **out, size_t *out_len)
{
  size_t len = strlen(text), o = 0;
  char *buf;

  pthread_once(&values_once, fill_values);
  if (len % 4 != 0)
    return -1;
  buf = malloc(len / 4 * 3 + 1);
  if (buf == NULL)
    return -1;
  for (size_t i = 0; i < len; i += 4)
    {
      int a = value_of(text[i]), b = value_of(text[i + 1]);
      int c = text[i + 2] == '=' && i + 4 == len ? 0 : value_of(text[i + 2]);
      int d = text[i + 3] == '=' && i + 4 == len ? 0 : value_of(text[i + 3]);
      if (a < 0 || b < 0 || c < 0 || d < 0 || (text[i + 2] == '=' && text[i + 3] != '='))
        {
          free(buf);
          return -1;
        }
      buf[o++] = (char)(a << 2 | b >> 4);
      if (text[i + 2] != '=')
        buf[o++] = (char)((b & 15) << 4 | c >> 2);
      if (text[i + 3] != '=')
        buf[o++] = (char)((c & 3) << 6 | d);
    }
  buf[o] = '\0';
  *out = buf;
  *out_len = o;
  return 0;
}
