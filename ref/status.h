/* Status records on an exec's status pipe: written by children, read by the executor. */
#pragma once

#include "error.h"
#include "proto.h"

int sbx_status_write(int fd, int kind, int value, int errno_, const char *msg);
/* Reports err on fd as a FAILED record. */
void sbx_status_fail(int fd, const struct sbx_error *err);
/* Reads one record; 1 on a record, 0 on EOF, -1 on error (errno set). */
int sbx_status_read(int fd, struct sbx_status_rec *rec);
/* Turns a FAILED status record back into an error. Returns -1. */
int sbx_status_record_error(const struct sbx_status_rec *rec, struct sbx_error *err);
