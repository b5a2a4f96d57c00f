/* Recording and printing a probe's findings as one JSON document. Written by
 * hand, with no JSON library, so that the probe links statically. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "canary.h"
#include "probe.h"
#include "report.h"

#define MAX_ATTEMPTS 4096
/* Past MAX_ATTEMPTS, the first attempt of a technique not yet recorded is kept
 * still (up to this many techniques): the harness checks that every technique
 * of the probe's table entry made an attempt, and a dropped one must not read
 * as one never tried. */
#define MAX_TECHNIQUES 64
#define MAX_FOUND 4096
#define MAX_OBSERVED 64

struct attempt
{
  char *technique, *target, *detail;
  bool ok;
  int errno_;
};

static struct attempt attempts[MAX_ATTEMPTS + MAX_TECHNIQUES];
static size_t n_attempts, dropped_attempts;
static char *techniques_seen[MAX_TECHNIQUES];
static size_t n_techniques_seen;
static char found[MAX_FOUND][SBX_CANARY_LEN + 1];
static size_t n_found, dropped_found;
static char *observed_keys[MAX_OBSERVED], *observed_values[MAX_OBSERVED];
static size_t n_observed;
/* probe_part: a probe made of others records their techniques as "part/technique". */
static const char *part;

void probe_part(const char *name)
{
  part = name;
}

/* name, or "part/name" inside a part; NULL without memory. */
static char *part_name(const char *name)
{
  char *s = NULL;

  if (part == NULL)
    return strdup(name);
  return asprintf(&s, "%s/%s", part, name) < 0 ? NULL : s;
}

const char *probe_observed(const char *key)
{
  for (size_t i = 0; i < n_observed; i++)
    if (observed_keys[i] != NULL && strcmp(observed_keys[i], key) == 0)
      return observed_values[i];
  return NULL;
}

static char *vformat(const char *fmt, va_list ap)
{
  char *s = NULL;
  if (fmt == NULL)
    return strdup("");
  if (vasprintf(&s, fmt, ap) < 0)
    return NULL;
  return s;
}

/* Whether technique is new to this report; remembered if so (and if there is room). */
static bool first_of_technique(const char *technique)
{
  for (size_t i = 0; i < n_techniques_seen; i++)
    if (strcmp(techniques_seen[i], technique) == 0)
      return false;
  if (n_techniques_seen == MAX_TECHNIQUES)
    return false;
  techniques_seen[n_techniques_seen] = strdup(technique);
  if (techniques_seen[n_techniques_seen] == NULL)
    return false;
  n_techniques_seen++;
  return true;
}

void probe_attempt(struct probe *p, const char *technique, const char *target, bool ok, int errno_,
                   const char *detail_fmt, ...)
{
  va_list ap;
  struct attempt *a;
  bool first;
  char *name = part_name(technique);

  (void)p;
  if (name == NULL)
    {
      dropped_attempts++;
      return;
    }
  technique = name;
  first = first_of_technique(technique);
  if (n_attempts >= MAX_ATTEMPTS && (!first || n_attempts == MAX_ATTEMPTS + MAX_TECHNIQUES))
    {
      dropped_attempts++;
      free(name);
      return;
    }
  a = &attempts[n_attempts++];
  a->technique = name;
  a->target = strdup(target != NULL ? target : "");
  a->ok = ok;
  a->errno_ = ok ? 0 : errno_;
  va_start(ap, detail_fmt);
  a->detail = vformat(detail_fmt, ap);
  va_end(ap);
}

static void add_token(const char *token, void *arg)
{
  (void)arg;
  for (size_t i = 0; i < n_found; i++)
    if (strcmp(found[i], token) == 0)
      return;
  if (n_found < MAX_FOUND)
    strcpy(found[n_found++], token);
  else
    dropped_found++; /* counted: a full list must not pass for an empty one */
}

void probe_scan(struct probe *p, const void *buf, size_t len)
{
  (void)p;
  sbx_canary_scan(buf, len, add_token, NULL);
}

void probe_observe(struct probe *p, const char *key, const char *fmt, ...)
{
  va_list ap;

  (void)p;
  if (n_observed == MAX_OBSERVED)
    return;
  va_start(ap, fmt);
  observed_values[n_observed] = vformat(fmt, ap);
  va_end(ap);
  observed_keys[n_observed++] = part_name(key);
}

void probe_unsupported(struct probe *p, const char *fmt, ...)
{
  va_list ap;

  p->unsupported = true;
  va_start(ap, fmt);
  vsnprintf(p->unsupported_why, sizeof p->unsupported_why, fmt, ap);
  va_end(ap);
}

size_t report_found_count(void)
{
  return n_found;
}

static void json_string(FILE *f, const char *s)
{
  fputc('"', f);
  for (const unsigned char *c = (const unsigned char *)(s != NULL ? s : ""); *c != '\0'; c++)
    {
      if (*c == '"' || *c == '\\')
        fprintf(f, "\\%c", *c);
      else if (*c == '\n')
        fputs("\\n", f);
      else if (*c < 0x20 || *c >= 0x7f)
        fprintf(f, "\\u%04x", *c); /* bytes, not characters: details stay ASCII */
      else
        fputc(*c, f);
    }
  fputc('"', f);
}

/* True when every attempt failed for want of kernel support: the probe could
 * not test anything here, which must not read as "blocked". */
bool report_all_unsupported(char *why, size_t len)
{
  size_t tried = 0, first = 0;

  for (size_t i = 0; i < n_attempts; i++)
    {
      /* Looking for the victim is not a technique: found or not, it says nothing of kernel support. */
      const char *slash = attempts[i].technique != NULL ? strrchr(attempts[i].technique, '/') : NULL;
      const char *t = slash != NULL ? slash + 1 : attempts[i].technique;
      if (t != NULL && strcmp(t, PROBE_FIND_TARGET) == 0)
        continue;
      if (tried++ == 0)
        first = i;
      if (attempts[i].ok || (attempts[i].errno_ != ENOSYS && attempts[i].errno_ != EAFNOSUPPORT
                             && attempts[i].errno_ != EOPNOTSUPP && attempts[i].errno_ != EPROTONOSUPPORT))
        return false;
    }
  if (tried == 0)
    return false;
  snprintf(why, len, "%s: %s", attempts[first].technique, strerror(attempts[first].errno_));
  return true;
}

void report_print(FILE *f, const char *name, const struct probe *p, const char *status, const char *error)
{
  fputs("{\"probe\":", f);
  json_string(f, name);
  fputs(",\"status\":", f);
  json_string(f, status);
  if (p->nonce != NULL)
    {
      fputs(",\"nonce\":", f);
      json_string(f, p->nonce);
    }
  if (p->unsupported)
    {
      fputs(",\"reason\":", f);
      json_string(f, p->unsupported_why);
    }
  if (error != NULL)
    {
      fputs(",\"error\":", f);
      json_string(f, error);
    }
  fputs(",\"attempts\":[", f);
  for (size_t i = 0; i < n_attempts; i++)
    {
      fputs(i ? ",{\"technique\":" : "{\"technique\":", f);
      json_string(f, attempts[i].technique);
      fputs(",\"target\":", f);
      json_string(f, attempts[i].target);
      fprintf(f, ",\"ok\":%s,\"errno\":%d,\"detail\":", attempts[i].ok ? "true" : "false", attempts[i].errno_);
      json_string(f, attempts[i].detail);
      fputc('}', f);
    }
  fputs("],\"found\":[", f);
  for (size_t i = 0; i < n_found; i++)
    {
      if (i)
        fputc(',', f);
      json_string(f, found[i]);
    }
  fprintf(f, "],\"found_dropped\":%zu,\"observed\":{\"targets\":%d,\"attempts_dropped\":%zu", dropped_found,
          p->n_targets, dropped_attempts);
  for (size_t i = 0; i < n_observed; i++)
    {
      fputc(',', f);
      json_string(f, observed_keys[i]);
      fputc(':', f);
      json_string(f, observed_values[i]);
    }
  fputs("}}\n", f);
}

void report_reset(void)
{
  n_attempts = dropped_attempts = 0;
  while (n_techniques_seen > 0)
    free(techniques_seen[--n_techniques_seen]);
}

/* One line per attempt ("A" ok errno technique TAB target TAB detail) and per token ("T" token). */
void report_dump_records(FILE *f)
{
  for (size_t i = 0; i < n_attempts; i++)
    fprintf(f, "A %d %d %s\t%s\t%s\n", attempts[i].ok, attempts[i].errno_, attempts[i].technique,
            attempts[i].target, attempts[i].detail);
  for (size_t i = 0; i < n_found; i++)
    fprintf(f, "T %s\n", found[i]);
}

void report_load_records(struct probe *p, FILE *f, const char *prefix)
{
  char line[8192];

  while (fgets(line, sizeof line, f) != NULL)
    {
      int ok, errno_, used = 0;
      line[strcspn(line, "\n")] = '\0';
      if (line[0] == 'T')
        probe_scan(p, line, strlen(line));
      else if (sscanf(line, "A %d %d %n", &ok, &errno_, &used) == 2 && used > 0)
        {
          char *technique = line + used, *target = strchr(technique, '\t'), *detail = NULL;
          if (target != NULL)
            {
              *target++ = '\0';
              detail = strchr(target, '\t');
              if (detail != NULL)
                *detail++ = '\0';
            }
          probe_attempt(p, technique, target, ok, errno_, "%s: %s", prefix, detail != NULL ? detail : "");
        }
    }
}
