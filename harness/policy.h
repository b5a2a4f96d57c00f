#pragma once

#include "splitbox-error.h"

struct cJSON;

/* Checks an audit document against a policy (fixtures/policies/). On 0,
 * *violations is an array of {backend, row, outcome, channels?}: empty when
 * the policy holds. -1 on a malformed policy or document. */
int sbx_policy_check(const struct cJSON *policy, const struct cJSON *doc, struct cJSON **violations,
                     struct sbx_error *err);
