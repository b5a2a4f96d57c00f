#include <string.h>

#include "probe_table.h"

const struct sbx_row_def sbx_rows[] = {
  { SBX_ROW_ENV, "confidentiality", true },
  { SBX_ROW_PROC_ENVIRON, "confidentiality", true },
  { SBX_ROW_PS, "confidentiality", true },
  { SBX_ROW_DEBUGGER, "confidentiality", true },
  { SBX_ROW_MEMORY, "confidentiality", true },
  { SBX_ROW_SNIFF, "confidentiality", true },
  { SBX_ROW_FILES, "confidentiality", true },
  { SBX_ROW_IPC, "confidentiality", false },
  { SBX_ROW_NET_SERVICES, "confidentiality", false },
  { SBX_ROW_CONTROL_PLANE, "confidentiality", false },
  { SBX_ROW_OWNERSHIP, "confidentiality", false },
  { SBX_ROW_SIGNALS, "integrity", false },
  { SBX_ROW_PATH_HIJACK, "integrity", false },
  { SBX_ROW_SYMLINKS, "integrity", false },
  { SBX_ROW_INTEGRITY, "integrity", false },
  { SBX_ROW_CAPS, "integrity", false },
  { SBX_ROW_KERNEL, "integrity", false },
  { SBX_ROW_LIMITS, "availability", false },
  { SBX_ROW_XTENANT_PLATFORM, "confidentiality", false },
  { SBX_ROW_XTENANT_USER, "confidentiality", false },
};
const size_t sbx_row_count = sizeof sbx_rows / sizeof sbx_rows[0];

#define ENTRY(id, ...) { __VA_ARGS__ },
const struct sbx_probe_def sbx_probes[SBX_PROBE_COUNT] = { SBX_PROBE_TABLE(ENTRY) };
#undef ENTRY
const size_t sbx_probe_count = SBX_PROBE_COUNT;

const struct sbx_probe_def *sbx_probe_find(const char *name)
{
  for (size_t i = 0; i < sbx_probe_count; i++)
    if (strcmp(sbx_probes[i].name, name) == 0)
      return &sbx_probes[i];
  return NULL;
}

const struct sbx_row_def *sbx_row_find(const char *name)
{
  for (size_t i = 0; i < sbx_row_count; i++)
    if (strcmp(sbx_rows[i].name, name) == 0)
      return &sbx_rows[i];
  return NULL;
}
