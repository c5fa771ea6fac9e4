/* SPDX-License-Identifier: Apache-2.0 */
/* Windows time zone names, which Exchange and Graph use for mailbox
 * settings ("W. Europe Standard Time"), as IANA zone names: the "001"
 * (golden zone) mapping of CLDR's windowsZones.xml. */
#ifndef ACCESSD_TZWIN_H
#define ACCESSD_TZWIN_H

#include <stddef.h>

/* The IANA zone for WINDOWS_NAME (exact spelling), or NULL when the name
 * is not one of Windows' zones. The string is static. */
const char *tzwin_to_iana(const char *windows_name);

/* Entry I of the table, for tests: 0 with the static names, or -ENOENT
 * after the last. */
int tzwin_entry(size_t i, const char **ret_windows, const char **ret_iana);

#endif
