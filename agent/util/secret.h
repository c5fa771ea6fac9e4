/* SPDX-License-Identifier: Apache-2.0 */
/* Secrets (passwords, client secrets) come from a file or a systemd
 * credential, never from the configuration text or argv. Buffers holding a
 * secret are wiped before they are freed. */
#ifndef ACCESSD_SECRET_H
#define ACCESSD_SECRET_H

#include <stddef.h>

/* Largest secret accepted, so a wrong path cannot make us read a huge file. */
#define SECRET_MAX 65536

/* Read the secret in PATH, without its trailing newline.
 * Returns 0 and a NUL-terminated string the caller owns (free it with
 * secret_free), or -EACCES when the file is readable or writable by group or
 * others, -EFBIG when it is larger than SECRET_MAX, -ENODATA when empty,
 * or another negative errno from open/read. */
int secret_read_file(const char *path, char **ret);

/* Read the systemd credential NAME from $CREDENTIALS_DIRECTORY, with the
 * same checks and ownership as secret_read_file; -ENXIO when the variable
 * is not set. */
int secret_read_credential(const char *name, char **ret);

/* Wipe and free a secret; NULL is fine. */
void secret_free(char *s);

#endif
