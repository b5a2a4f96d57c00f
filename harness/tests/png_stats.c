/* sbx-png-stats FILE.png: "WIDTHxHEIGHT distinct=N nonwhite=P" for an 8-bit
 * RGB or RGBA PNG (what headless Chromium's screenshots are), so that a test
 * can tell a rendered page from a blank one. Exit 1 on anything it cannot read. */
#include <arpa/inet.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

static int paeth(int a, int b, int c)
{
  int p = a + b - c, pa = abs(p - a), pb = abs(p - b), pc = abs(p - c);
  return pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
}

static int fail(const char *why)
{
  fprintf(stderr, "sbx-png-stats: %s\n", why);
  return 1;
}

int main(int argc, char **argv)
{
  static const unsigned char sig[8] = { 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n' };
  unsigned char head[8], *idat = NULL, *raw, *prev;
  size_t idat_len = 0;
  uint32_t w = 0, h = 0;
  int channels = 0;
  FILE *f;

  if (argc != 2)
    return fail("usage: sbx-png-stats FILE.png");
  if ((f = fopen(argv[1], "rb")) == NULL || fread(head, 1, 8, f) != 8 || memcmp(head, sig, 8) != 0)
    return fail("not a PNG file");
  for (;;)
    {
      uint32_t len, be;
      char type[5] = "";
      unsigned char *data;
      if (fread(&be, 4, 1, f) != 1 || fread(type, 1, 4, f) != 4)
        return fail("truncated");
      len = ntohl(be);
      if (len > (1u << 28) || (data = malloc(len + 4)) == NULL || fread(data, 1, len + 4, f) != len + 4)
        return fail("truncated chunk");
      if (strcmp(type, "IHDR") == 0)
        {
          memcpy(&be, data, 4);
          w = ntohl(be);
          memcpy(&be, data + 4, 4);
          h = ntohl(be);
          if (data[8] != 8 || (data[9] != 2 && data[9] != 6) || data[12] != 0)
            return fail("only 8-bit RGB or RGBA, not interlaced");
          channels = data[9] == 6 ? 4 : 3;
        }
      else if (strcmp(type, "IDAT") == 0)
        {
          if ((idat = realloc(idat, idat_len + len)) == NULL)
            return fail("out of memory");
          memcpy(idat + idat_len, data, len);
          idat_len += len;
        }
      free(data);
      if (strcmp(type, "IEND") == 0)
        break;
    }
  fclose(f);
  if (w == 0 || h == 0 || w > 20000 || h > 20000)
    return fail("no or odd IHDR");
  {
    size_t stride = (size_t)w * (size_t)channels, size = (stride + 1) * h;
    uLongf got = (uLongf)size;
    unsigned char *all = malloc(size);
    /* Colours quantised to 4 bits per channel: enough to tell text from a flat fill. */
    static unsigned char seen[1 << 12];
    unsigned long distinct = 0, nonwhite = 0;

    if (all == NULL || uncompress(all, &got, idat, (uLong)idat_len) != Z_OK || got != size)
      return fail("bad image data");
    prev = calloc(stride, 1);
    for (uint32_t y = 0; y < h; y++)
      {
        unsigned char filter = all[y * (stride + 1)];
        raw = all + y * (stride + 1) + 1;
        for (size_t x = 0; x < stride; x++)
          {
            int a = x >= (size_t)channels ? raw[x - (size_t)channels] : 0, b = prev[x],
                c = x >= (size_t)channels ? prev[x - (size_t)channels] : 0;
            switch (filter)
              {
              case 0: break;
              case 1: raw[x] = (unsigned char)(raw[x] + a); break;
              case 2: raw[x] = (unsigned char)(raw[x] + b); break;
              case 3: raw[x] = (unsigned char)(raw[x] + (a + b) / 2); break;
              case 4: raw[x] = (unsigned char)(raw[x] + paeth(a, b, c)); break;
              default: return fail("bad filter");
              }
          }
        for (size_t x = 0; x < stride; x += (size_t)channels)
          {
            unsigned key = (unsigned)(raw[x] >> 4) << 8 | (unsigned)(raw[x + 1] >> 4) << 4 | (unsigned)(raw[x + 2] >> 4);
            if (!seen[key])
              {
                seen[key] = 1;
                distinct++;
              }
            nonwhite += raw[x] < 0xf0 || raw[x + 1] < 0xf0 || raw[x + 2] < 0xf0;
          }
        memcpy(prev, raw, stride);
      }
    printf("%ux%u distinct=%lu nonwhite=%.4f\n", w, h, distinct, (double)nonwhite / ((double)w * (double)h));
    free(all);
    free(prev);
  }
  free(idat);
  return 0;
}
