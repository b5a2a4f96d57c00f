/* The API's enums as text, and back: isolation, context and network names. */
#include <string.h>

#include "executor.h"

static const char *const isolation_names[] = {
  [SBX_ISO_AUTO] = "auto", [SBX_ISO_NAMESPACES] = "namespaces", [SBX_ISO_USERNS] = "userns",
  [SBX_ISO_FALLBACK] = "fallback",
};

const char *sbx_isolation_name(enum sbx_isolation iso)
{
  return (unsigned)iso < sizeof isolation_names / sizeof isolation_names[0] ? isolation_names[iso] : "unknown";
}

const char *sbx_context_name(enum sbx_context ctx)
{
  return ctx == SBX_CTX_PLATFORM ? "platform" : "user";
}

int sbx_context_parse(const char *name, enum sbx_context *out)
{
  if (strcmp(name, "user") == 0)
    *out = SBX_CTX_USER;
  else if (strcmp(name, "platform") == 0)
    *out = SBX_CTX_PLATFORM;
  else
    return -1;
  return 0;
}

int sbx_network_parse(const char *name, enum sbx_network *out)
{
  if (strcmp(name, "isolated") == 0)
    *out = SBX_NET_ISOLATED;
  else if (strcmp(name, "host") == 0)
    *out = SBX_NET_HOST;
  else
    return -1;
  return 0;
}
