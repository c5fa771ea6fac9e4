/* SPDX-License-Identifier: Apache-2.0 */
/* The systems the workflow acts on besides the ITSM: the directory (facts
 * and grants) and the notification channel, opened together from one
 * configuration so that a reload can swap them as one. */
#ifndef ACCESSD_LINKS_H
#define ACCESSD_LINKS_H

#include "conf/conf.h"
#include "connectors/directory.h"
#include "connectors/notify.h"
#include "util/clock.h"

struct links {
	struct directory *directory; /* NULL when the configuration has none */
	struct notify *notify;       /* NULL when the configuration has none */
	/* What the directory connector keeps pointers to. */
	struct directory_params params;
	const char **attributes; /* extra user attributes the contractor and policy rules read */
};

/* Open the directory and the notification channel CFG configures (CFG and
 * CLOCK must outlive them). Returns 0 and links the caller owns (links_free),
 * or a negative errno, logged. */
int links_open(const struct config *cfg, const struct clock *clock, struct links **ret);

/* Close both; NULL is fine. Returns NULL. */
struct links *links_free(struct links *l);

#endif
