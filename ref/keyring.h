/* Kernel keyrings, which are not namespaced: each context gets a session keyring of its own. */
#pragma once

/* An anonymous session keyring for the caller. 0, or -1 with errno. */
int sbx_join_new_session_keyring(void);
