/* The audit's probes, the rows they test and what counts as a leak: one
 * table, in attacks/probe_table.h, shared with the probe binary. */
#pragma once

#include "probe_table.h"
