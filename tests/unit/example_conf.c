/* SPDX-License-Identifier: Apache-2.0 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>

#include "connectors/connectors.h"
#include "example_conf.h"

int example_conf_load(struct config **ret)
{
	const char *srcdir = getenv("ACCESSD_SRCDIR");
	struct diag d = { 0 };
	char path[4096];
	int r;

	snprintf(path, sizeof(path), "%s/conf/accessd.conf", srcdir ? srcdir : "../..");
	r = conf_load(path, &connectors_builtin, ret, &d);
	diag_print(&d, stderr);
	diag_clear(&d);
	return r;
}
