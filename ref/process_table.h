/* The started processes of a sandbox (process.c): what sandbox.c ends with it. */
#pragma once

struct sbx_sandbox;

/* Kills and reaps every started process; frees the table. */
void sbx_process_table_destroy(struct sbx_sandbox *sb);
