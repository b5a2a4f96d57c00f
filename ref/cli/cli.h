#pragma once

int sbx_cli_run(int argc, char **argv);
int sbx_cli_daemon(int argc, char **argv);
/* Path of splitbox-init: beside this binary, else the install's libexecdir. Never NULL. */
const char *sbx_cli_init_path(void);
