/* Unit tests of the pure parts of libsplitbox: no namespaces, no children. */
#include <cjson/cJSON.h>
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base64.h"
#include "cleanup.h"
#include "daemon/api.h"
#include "daemon/request.h"
#include "env.h"
#include "fdpass.h"
#include "status.h"
#include "supervise.h"
#include "utf8.h"

Test(env, names, .timeout = 30)
{
  const char *good[] = { "A", "_", "AWS_SECRET_ACCESS_KEY", "a1", "x_Y_9" };
  const char *bad[] = { "", "1A", "A-B", "A B", "A=B", "Ä", "A.B" };

  for (size_t i = 0; i < sizeof good / sizeof good[0]; i++)
    cr_expect(sbx_env_name_valid(good[i]), "%s should be valid", good[i]);
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
    cr_expect(!sbx_env_name_valid(bad[i]), "%s should be invalid", bad[i]);
}

Test(env, validate_refuses_platform_path_and_malformed_entries, .timeout = 30)
{
  struct sbx_error err = { 0 };
  const char *path[] = { "PATH=/app:/usr/bin", NULL };
  const char *noeq[] = { "JUSTANAME", NULL };
  const char *ok[] = { "A=", "B=x=y", NULL };

  cr_expect(sbx_env_validate(path, SBX_CTX_PLATFORM, &err) < 0);
  cr_expect_str_eq(err.code, SBX_E_VALIDATION);
  cr_expect(sbx_env_validate(path, SBX_CTX_USER, &err) == 0, "user code may set its own PATH");
  cr_expect(sbx_env_validate(noeq, SBX_CTX_USER, &err) < 0);
  cr_expect(sbx_env_validate(ok, SBX_CTX_PLATFORM, &err) == 0, "%s", err.message);
}

/* Names that make a platform command load or source a file: refused there as
 * PATH is, allowed in user code's own env. */
Test(env, validate_refuses_platform_loader_and_shell_startup_names, .timeout = 30)
{
  static const char *const refused[] = { "LD_PRELOAD", "LD_AUDIT", "LD_LIBRARY_PATH", "LD_DEBUG_OUTPUT",
                                          "GLIBC_TUNABLES", "GCONV_PATH", "BASH_ENV", "ENV", "SHELLOPTS", "PS4" };
  static const char *const allowed[] = { "LD", "OLD_PRELOAD", "ENVIRONMENT", "MY_ENV", "BASH_ENVX", "PYTHONPATH" };
  struct sbx_error err = { 0 };
  char entry[64];

  for (size_t i = 0; i < sizeof allowed / sizeof allowed[0]; i++)
    {
      const char *env[] = { entry, NULL };
      snprintf(entry, sizeof entry, "%s=/app/x", allowed[i]);
      cr_expect(sbx_env_validate(env, SBX_CTX_PLATFORM, &err) == 0, "%s: %s", allowed[i], err.message);
    }
  for (size_t i = 0; i < sizeof refused / sizeof refused[0]; i++)
    {
      const char *env[] = { "SAFE=1", entry, NULL };
      snprintf(entry, sizeof entry, "%s=/app/x", refused[i]);
      cr_expect(sbx_env_validate(env, SBX_CTX_USER, &err) == 0, "user code sets its own %s: %s", refused[i],
                err.message);
      memset(&err, 0, sizeof err);
      cr_expect(sbx_env_validate(env, SBX_CTX_PLATFORM, &err) < 0, "%s is refused in the platform context", refused[i]);
      cr_expect_str_eq(err.code, SBX_E_VALIDATION);
      cr_expect(strstr(err.message, refused[i]) != NULL, "the message names %s: %s", refused[i], err.message);
    }
}

/* One entry is one execve string: past MAX_ARG_STRLEN the exec would fail. */
Test(env, validate_bounds_one_entry_to_an_exec_string, .timeout = 30)
{
  static char entry[SBX_ARG_STRLEN_MAX + 1];
  const char *env[] = { entry, NULL };
  struct sbx_error err = { 0 };

  memset(entry, 'x', sizeof entry - 1);
  memcpy(entry, "A=", 2);
  entry[SBX_ARG_STRLEN_MAX - 1] = '\0'; /* the longest that fits, NUL included */
  cr_expect(sbx_env_validate(env, SBX_CTX_USER, &err) == 0, "%s", err.message);
  entry[SBX_ARG_STRLEN_MAX - 1] = 'x';
  cr_expect(sbx_env_validate(env, SBX_CTX_USER, &err) < 0);
  cr_expect_str_eq(err.code, SBX_E_VALIDATION);
}

/* execve's E2BIG is the caller's input: VALIDATION_FAILED, not an internal error. */
Test(supervise, e2big_is_a_validation_error, .timeout = 30)
{
  static char big[SBX_ARG_STRLEN_MAX - 1];
  char *argv[] = { (char *)"/bin/true", NULL };
  char *small_env[] = { (char *)"A=1", NULL };
  char *big_env[64];
  size_t n = 0;

  memset(big, 'x', sizeof big - 1);
  memcpy(big, "A=", 2);
  /* Past the kernel's ARG_MAX (a quarter of the stack limit, 6 MiB at most). */
  for (; n < sizeof big_env / sizeof big_env[0] - 1; n++)
    big_env[n] = big;
  big_env[n] = NULL;
  for (int round = 0; round < 2; round++)
    {
      struct sbx_supervise_spec spec = { .argv = argv, .envp = round == 0 ? small_env : big_env, .lifeline_fd = -1 };
      struct sbx_status_rec rec = { 0 };
      struct sbx_error err = { 0 };
      int st[2];
      pid_t child = 0;

      cr_assert_eq(pipe2(st, O_CLOEXEC), 0);
      spec.stdin_fd = open("/dev/null", O_RDWR | O_CLOEXEC);
      spec.stdout_fd = dup(spec.stdin_fd);
      spec.stderr_fd = dup(spec.stdin_fd);
      spec.status_fd = st[1];
      if (round == 0)
        {
          /* The control: the same spawn with a small env starts. */
          cr_assert_eq(sbx_supervise_start(&spec, false, &child), 0);
          cr_assert_eq(sbx_status_read(st[0], &rec), 1);
          cr_expect_eq(rec.kind, SBX_ST_STARTED);
          cr_expect_eq(waitpid(child, NULL, 0), child);
        }
      else
        {
          cr_assert_eq(sbx_supervise_start(&spec, false, &child), -1);
          cr_assert_eq(sbx_status_read(st[0], &rec), 1);
          cr_expect_eq(rec.kind, SBX_ST_FAILED);
          sbx_status_record_error(&rec, &err);
          cr_expect_str_eq(err.code, SBX_E_VALIDATION, "%s: %s", err.code, err.message);
          cr_expect_eq(err.errno_, E2BIG);
          close(spec.stdin_fd);
          close(spec.stdout_fd);
          close(spec.stderr_fd);
        }
      close(st[0]);
      close(st[1]);
    }
}

Test(env, validate_bounds_size, .timeout = 30)
{
  static char big[2 * 1024 * 1024];
  const char *env[] = { big, NULL };
  struct sbx_error err = { 0 };

  memset(big, 'x', sizeof big - 1);
  big[0] = 'A';
  big[1] = '=';
  cr_expect(sbx_env_validate(env, SBX_CTX_USER, &err) < 0);
  cr_expect_str_eq(err.code, SBX_E_VALIDATION);
}

Test(env, build_is_base_plus_call_only, .timeout = 30)
{
  struct sbx_error err = { 0 };
  const char *call[] = { "HOME=/elsewhere", "TOKEN=t", NULL };
  const char *legacy[] = { "OLD=1", NULL };
  char **v;
  size_t n = 0;
  bool token = false, home = false, old = false, path = false;

  setenv("SPLITBOX_UNIT_LEAK", "1", 1);
  v = sbx_env_build(SBX_CTX_PLATFORM, "/root", NULL, NULL, NULL, legacy, call, &err);
  cr_assert_not_null(v, "%s", err.message);
  for (char **e = v; *e != NULL; e++, n++)
    {
      cr_expect(strncmp(*e, "SPLITBOX_UNIT_LEAK", 18) != 0, "the executor's env leaked");
      token |= strcmp(*e, "TOKEN=t") == 0;
      home |= strcmp(*e, "HOME=/elsewhere") == 0;
      old |= strcmp(*e, "OLD=1") == 0;
      path |= strncmp(*e, "PATH=", 5) == 0 && strcmp(*e + 5, sbx_platform_path) == 0;
    }
  cr_expect(token && home && old && path);
  cr_expect_eq(n, 6, "PATH HOME LANG TERM OLD TOKEN, each once: %zu", n);
  for (char **e = v; *e != NULL; e++)
    free(*e);
  free(v);
}

Test(json, exec_result_is_json_and_binary_output_is_base64, .timeout = 30)
{
  char out[] = "ok \xff\xfe bad \xc3\xa9 good \0 nul";
  struct sbx_exec_result res = { .success = true, .stdout_buf = out, .stdout_len = sizeof out - 1,
                                 .stderr_buf = (char *)"", .command = (char *)"echo", .context = SBX_CTX_USER,
                                 .isolation = SBX_ISO_USERNS, .stdout_truncated = true };
  char *warnings[] = { (char *)"w1", NULL };
  cJSON *doc, *parsed;
  char *text;

  res.warnings = warnings;
  doc = sbx_exec_result_to_json(&res);
  cr_assert_not_null(doc);
  text = cJSON_PrintUnformatted(doc);
  parsed = cJSON_ParseWithOpts(text, NULL, true);
  cr_assert_not_null(parsed, "not JSON: %s", text);
  /* Output that is not text travels as base64, and says so. */
  {
    char *decoded = NULL;
    size_t len = 0;
    cr_expect_str_eq(cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(parsed, "stdoutEncoding")), "base64");
    cr_assert_eq(sbx_base64_decode(cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(parsed, "stdout")), &decoded,
                                   &len),
                 0);
    cr_expect_eq(len, sizeof out - 1);
    cr_expect_arr_eq(decoded, out, sizeof out - 1, "the bytes come back as they were");
    free(decoded);
    cr_expect_str_eq(cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(parsed, "stderr")), "", "text stays text");
    cr_expect_null(cJSON_GetObjectItemCaseSensitive(parsed, "stderrEncoding"));
  }
  cr_expect_str_eq(cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(parsed, "isolation")), "userns");
  cr_expect(cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(
    cJSON_GetObjectItemCaseSensitive(parsed, "truncated"), "stdout")));
  cr_expect_eq(cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(parsed, "warnings")), 1);
  cJSON_Delete(parsed);
  cJSON_Delete(doc);
  free(text);
}

struct utf8_case
{
  const char *bytes;
  size_t len;
  bool valid;
};
#define U8(s, v) { s, sizeof s - 1, v }

/* Markus Kuhn's UTF-8 decoder stress test, its edge cases: strict JSON parsers
 * refuse every invalid one, so none may be sent as text. */
static const struct utf8_case utf8_cases[] = {
  U8("", true), U8("a", true), U8("\x7f", true), U8("\xc2\x80", true), U8("\xdf\xbf", true),
  U8("\xe0\xa0\x80", true), U8("\xed\x9f\xbf", true), U8("\xee\x80\x80", true), U8("\xef\xbf\xbd", true),
  U8("\xef\xbf\xbf", true), U8("\xf0\x90\x80\x80", true), U8("\xf4\x8f\xbf\xbf", true), U8("\xc3\xa9t\xc3\xa9", true),
  U8("\x00", false),                                     /* NUL: not in a C string */
  U8("\xc0\xaf", false), U8("\xc1\xbf", false),         /* overlong '/' and U+007F */
  U8("\xe0\x80\xaf", false), U8("\xe0\x9f\xbf", false), /* overlong 3-byte */
  U8("\xf0\x80\x80\xaf", false), U8("\xf0\x8f\xbf\xbf", false), /* overlong 4-byte */
  U8("\xed\xa0\x80", false), U8("\xed\xbf\xbf", false), /* surrogates D800, DFFF */
  U8("\xed\xa0\x80\xed\xb0\x80", false),                /* a surrogate pair, CESU-8 */
  U8("\xf4\x90\x80\x80", false), U8("\xf5\x80\x80\x80", false), U8("\xf7\xbf\xbf\xbf", false), /* past U+10FFFF */
  U8("\xf8\x88\x80\x80\x80", false), U8("\xfc\x84\x80\x80\x80\x80", false), /* 5 and 6 bytes */
  U8("\xfe", false), U8("\xff", false),
  U8("\x80", false), U8("\xbf", false), U8("a\x80" "b", false), /* lone continuation */
  U8("\xc3", false), U8("\xe2\x82", false), U8("\xf0\x9f\x98", false), /* truncated at the end */
  U8("\xc3" "a", false), U8("\xe2\x82" "a", false),     /* a character cut short */
};

/* A decoder written the other way round, from the code point: what RFC 3629 allows. */
static bool utf8_reference(const unsigned char *s, size_t len)
{
  size_t i = 0;

  while (i < len)
    {
      unsigned cp, n = s[i] < 0x80 ? 1 : s[i] >= 0xc0 && s[i] < 0xe0 ? 2 : s[i] >= 0xe0 && s[i] < 0xf0 ? 3
                                       : s[i] >= 0xf0 && s[i] < 0xf8 ? 4 : 0;
      static const unsigned min[] = { 0, 0, 0x80, 0x800, 0x10000 };
      if (n == 0 || i + n > len)
        return false;
      cp = n == 1 ? s[i] : s[i] & (0xff >> (n + 1));
      for (size_t k = 1; k < n; k++)
        {
          if ((s[i + k] & 0xc0) != 0x80)
            return false;
          cp = cp << 6 | (s[i + k] & 0x3f);
        }
      if (cp == 0 || cp < min[n] || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
        return false;
      i += n;
    }
  return true;
}

Test(utf8, strict_per_rfc3629, .timeout = 60)
{
  unsigned char b[4];

  for (size_t i = 0; i < sizeof utf8_cases / sizeof utf8_cases[0]; i++)
    {
      const struct utf8_case *t = &utf8_cases[i];
      _cleanup_free_ char *clean = sbx_utf8_sanitize(t->bytes, t->len);
      cr_expect_eq(sbx_utf8_valid(t->bytes, t->len), t->valid, "case %zu (%zu bytes): expected %s", i, t->len,
                   t->valid ? "valid" : "invalid");
      cr_assert_not_null(clean);
      cr_expect(sbx_utf8_valid(clean, strlen(clean)), "case %zu: the sanitized text is valid", i);
      if (t->valid)
        cr_expect(strlen(clean) == t->len && memcmp(clean, t->bytes, t->len) == 0, "case %zu: valid text is kept", i);
    }
  /* Every sequence of up to 3 bytes, and every 4-byte lead with every second byte. */
  for (unsigned x = 0; x < 1u << 24; x++)
    {
      b[0] = x >> 16, b[1] = x >> 8, b[2] = x;
      for (size_t n = 1; n <= 3; n++)
        if ((n == 3 || (x & 0xff) == 0) && (n >= 2 || (x & 0xffff) == 0))
          if (sbx_utf8_valid((char *)b, n) != utf8_reference(b, n))
            cr_assert_fail("%zu bytes %02x %02x %02x: validator and reference differ", n, b[0], b[1], b[2]);
    }
  for (unsigned lead = 0xf0; lead <= 0xff; lead++)
    for (unsigned second = 0; second <= 0xff; second++)
      {
        b[0] = lead, b[1] = second, b[2] = 0x80, b[3] = 0xbf;
        cr_assert_eq(sbx_utf8_valid((char *)b, 4), utf8_reference(b, 4), "%02x %02x 80 bf", lead, second);
      }
}

Test(errors, prefix_and_codes, .timeout = 30)
{
  struct sbx_error err = { 0 };

  cr_expect_eq(sbx_error_errno(&err, ENOENT, SBX_E_FILE_NOT_FOUND, "open %s", "/x"), -1);
  sbx_error_prefix(&err, "read file");
  cr_expect_str_eq(err.message, "read file: open /x: No such file or directory");
  cr_expect_eq(err.errno_, ENOENT);
  cr_expect_str_eq(sbx_error_code_for_errno(EXDEV), SBX_E_PATH_OUTSIDE_ROOT);
  cr_expect_str_eq(sbx_error_code_for_errno(EACCES), SBX_E_PERMISSION);
  cr_expect_str_eq(sbx_error_code_for_errno(12345), SBX_E_INTERNAL);
}

Test(status, records_round_trip_and_short_ones_are_errors, .timeout = 30)
{
  int p[2];
  struct sbx_status_rec rec;
  struct sbx_error err = { 0 }, back = { 0 };

  cr_assert(pipe(p) == 0);
  sbx_status_write(p[1], SBX_ST_STARTED, 42, 0, NULL);
  sbx_error_set(&err, EPERM, SBX_E_PERMISSION, "nope");
  sbx_status_fail(p[1], &err);
  cr_expect(write(p[1], "abc", 3) == 3);
  close(p[1]);
  cr_expect_eq(sbx_status_read(p[0], &rec), 1);
  cr_expect(rec.kind == SBX_ST_STARTED && rec.value == 42);
  cr_expect_eq(sbx_status_read(p[0], &rec), 1);
  sbx_status_record_error(&rec, &back);
  cr_expect_str_eq(back.code, SBX_E_PERMISSION);
  cr_expect_str_eq(back.message, "nope");
  cr_expect_eq(sbx_status_read(p[0], &rec), -1, "a torn record is an error");
  close(p[0]);
}

Test(fdpass, fds_cross_and_extra_ones_are_closed, .timeout = 30)
{
  int sv[2], p[2], got[1] = { -1 };
  size_t n = 0;
  char msg[4] = "hey", back[4] = { 0 };

  cr_assert(socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv) == 0 && pipe(p) == 0);
  cr_assert(sbx_send_fds(sv[0], msg, sizeof msg, p, 2) == 0);
  cr_expect_eq(sbx_recv_fds(sv[1], back, sizeof back, got, 1, &n), (ssize_t)sizeof msg);
  cr_expect_eq(n, 1);
  cr_expect(fcntl(got[0], F_GETFD) & FD_CLOEXEC, "received fds are close-on-exec");
  cr_expect_str_eq(back, "hey");
  close(got[0]);
  close(p[0]);
  close(p[1]);
  close(sv[0]);
  close(sv[1]);
}

Test(options, bad_shared_paths_are_refused, .timeout = 30)
{
  const char *bad[] = { "app", "/", "/etc", "/a/b", "/..", "/proc", "/a b" };

  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
    {
      struct sbx_options opts = { .init_path = "/nonexistent", .shared_path = bad[i] };
      struct sbx_error err = { 0 };
      struct sbx_sandbox *sb = sbx_sandbox_create(&opts, &err);
      cr_expect_null(sb, "%s accepted", bad[i]);
      cr_expect_str_eq(err.code, SBX_E_VALIDATION, "%s: %s", bad[i], err.message);
      sbx_sandbox_destroy(sb);
    }
}

Test(base64, round_trips_every_byte_and_refuses_what_is_not_base64, .timeout = 30)
{
  unsigned char all[256];
  char *text, *back = NULL;
  size_t len = 0;
  static const char *const bad[] = { "QUJD\xc3\xa9", "QU=D", "QUJ", "QUJD-A==", "QU\x80" "D", "====", "QUJD\n" };

  for (int i = 0; i < 256; i++)
    all[i] = (unsigned char)i;
  for (size_t n = 0; n <= 256; n += 85)
    {
      text = sbx_base64_encode(all, n);
      cr_assert_not_null(text);
      cr_assert_eq(sbx_base64_decode(text, &back, &len), 0, "decode of %zu bytes", n);
      cr_expect_eq(len, n);
      cr_expect(memcmp(back, all, n) == 0, "%zu bytes came back changed", n);
      free(text);
      free(back);
    }
  cr_expect_eq(sbx_base64_decode("", &back, &len), 0);
  cr_expect_eq(len, 0);
  free(back);
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
    cr_expect_eq(sbx_base64_decode(bad[i], &back, &len), -1, "accepted \"%s\"", bad[i]);
}

/* Strict UTF-8 (RFC 3629): what fuzz-api's oracle wants of every answer. A
 * loose check passed surrogates and overlong forms into "utf-8" reads. */
Test(utf8, strict_refuses_surrogates_overlongs_and_past_max, .timeout = 30)
{
  static const char *const good[] = { "a", "\xc3\xa9", "\xe2\x82\xac", "\xed\x9f\xbf", "\xee\x80\x80",
                                       "\xf0\x90\x8d\x88", "\xf4\x8f\xbf\xbf" };
  static const char *const bad[] = { "\xed\xa0\x80", "\xed\xbf\xbf", "\xe0\x80\x80", "\xe0\x9f\xbf",
                                     "\xf0\x80\x80\x80", "\xf0\x8f\xbf\xbf", "\xf4\x90\x80\x80", "\xf5\x80\x80\x80",
                                     "\xc0\x80", "\xc1\xbf", "\xe2\x82", "\x80", "\xff" };
  char *clean;

  /* The control first: valid text passes, up to U+10FFFF. */
  for (size_t i = 0; i < sizeof good / sizeof good[0]; i++)
    cr_expect(sbx_utf8_valid(good[i], strlen(good[i])), "refused valid #%zu", i);
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
    {
      cr_expect(!sbx_utf8_valid(bad[i], strlen(bad[i])), "passed invalid #%zu", i);
      clean = sbx_utf8_sanitize(bad[i], strlen(bad[i]));
      cr_assert_not_null(clean);
      cr_expect(sbx_utf8_valid(clean, strlen(clean)) && strstr(clean, "\xef\xbf\xbd") != NULL,
                "sanitize left invalid #%zu", i);
      free(clean);
    }
  cr_expect(!sbx_utf8_valid("a\0b", 3), "passed a NUL");
  clean = sbx_utf8_sanitize("a\xed\xa0\x80" "b\xc3\xa9", 7);
  cr_assert_not_null(clean);
  cr_expect_str_eq(clean, "a\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd" "b\xc3\xa9");
  free(clean);
}

/* fuzz-api: a path that is not UTF-8 came back in the answer as it was. */
Test(request, body_that_is_not_utf8_is_refused, .timeout = 30)
{
  static const char good[] = "{\"path\":\"caf\xc3\xa9\",\"content\":\"x\"}";
  static const char bad[] = "{\"path\":\"\xff\xfe\",\"content\":\"x\"}";
  struct sbx_request q;
  struct sbx_error err = { 0 };

  cr_expect_eq(sbx_request_parse("POST", "/api/write", good, strlen(good), &q, &err), 0, "%s", err.message);
  sbx_request_clear(&q);
  cr_expect_eq(sbx_request_parse("POST", "/api/write", bad, strlen(bad), &q, &err), -1);
  cr_expect_str_eq(err.code, SBX_E_VALIDATION);
  sbx_request_clear(&q);
}

/* An error's message is cut at 256 bytes, maybe inside a character; it
 * quotes paths and a callback's answer. The answer stays UTF-8. (Found by
 * reading, beside fuzz-api's finds.) */
Test(api, error_messages_are_utf8, .timeout = 30)
{
  struct sbx_api_response out = { 0 };

  sbx_api_error(&out, SBX_E_PATH_OUTSIDE_ROOT, "caf\xc3\xa9");
  cr_assert_not_null(out.body);
  cr_expect(strstr(out.body, "caf\xc3\xa9") != NULL, "a valid message changed: %s", out.body);
  free(out.body);
  sbx_api_error(&out, SBX_E_PATH_OUTSIDE_ROOT, "cut \xe2\x82");
  cr_assert_not_null(out.body);
  cr_expect(sbx_utf8_valid(out.body, strlen(out.body)), "not UTF-8: %s", out.body);
  cr_expect(strstr(out.body, "cut \xef\xbf\xbd") != NULL, "%s", out.body);
  cr_expect_eq(out.status, 400);
  free(out.body);
}
