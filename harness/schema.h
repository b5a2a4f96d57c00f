/* A JSON Schema validator for the subset the project's schemas use (type, a
 * type or a list of them; required, properties, additionalProperties: false or
 * a schema; items, enum, const, anyOf).
 * A keyword outside the subset is an error, never silently ignored. */
#pragma once

#include <stddef.h>

struct cJSON;

/* 0 when doc satisfies schema; -1 with the first violation in why (a JSON
 * pointer to the place and what is wrong). */
int sbx_schema_validate(const struct cJSON *schema, const struct cJSON *doc, char *why, size_t len);
