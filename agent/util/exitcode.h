/* SPDX-License-Identifier: Apache-2.0 */
/* Exit codes of accessd and accessctl, as their man pages document them. */
#ifndef ACCESSD_EXITCODE_H
#define ACCESSD_EXITCODE_H

enum {
	EXIT_OK = 0,      /* success */
	EXIT_RUNTIME = 1, /* a failure while running */
	EXIT_USAGE = 2,   /* bad command line or bad configuration */
};

#endif
