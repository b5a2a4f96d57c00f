/* The schemas of backend specs and policies (reports/backend.schema.json,
 * reports/policy.schema.json), built in: `splitbox backends check` and
 * `splitbox audit --policy` check against exactly what reports/ ships. */
#pragma once

extern const char sbx_schema_backend[];
extern const char sbx_schema_policy[];
