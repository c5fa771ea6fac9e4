/* The ITSM interface: one ops table per system (ServiceNow, later TOPdesk,
 * Freshservice, Xurrent), picked by the configuration's "kind". A connector
 * translates between vendor JSON and the neutral model; it never decides
 * policy. */
#ifndef ACCESSD_ITSM_H
#define ACCESSD_ITSM_H

#include "conf.h"
#include "model.h"

struct itsm;

/* Called once per request found; a negative return stops the listing and is
 * returned by the lister. REQ is only valid during the call. */
typedef int (*itsm_request_cb)(const struct request *req, void *userdata);

struct itsm_ops {
	const char *kind;
	/* Connect using CONF (which must outlive the connector); reads the
	 * secrets it needs. Returns 0 and an instance closed with close(). */
	int (*open)(const struct conn_config *conf, void **ret_impl);
	void (*close)(void *impl);
	/* Every request item of the catalog ITEM, oldest change first. */
	int (*list_requests)(void *impl, const struct item_config *item, itsm_request_cb cb, void *userdata);
};

/* The ops table for KIND, or NULL when no connector has that name. */
const struct itsm_ops *itsm_ops_find(const char *kind);

/* Open the connector CONF->kind names. Returns 0 and an instance the caller
 * owns (free with itsm_close), -ENOENT for an unknown kind, or the
 * connector's error. */
int itsm_open(const struct conn_config *conf, struct itsm **ret);
struct itsm *itsm_close(struct itsm *itsm);
int itsm_list_requests(struct itsm *itsm, const struct item_config *item, itsm_request_cb cb, void *userdata);

extern const struct itsm_ops servicenow_ops;

#endif
