/* The neutral model: what the core knows of a request, whatever ITSM it came
 * from. Connectors translate vendor JSON into these structures; the core
 * never sees vendor JSON. */
#ifndef ACCESSD_MODEL_H
#define ACCESSD_MODEL_H

struct request {
	char *id;            /* the ITSM's record id (ServiceNow sys_id) */
	char *number;        /* the human reference, e.g. RITM0010001 */
	char *item_id;       /* catalog item id */
	char *requested_for; /* ITSM user id of the person the access is for */
	char *opened_by;     /* ITSM user id of the requester */
	char *state;         /* the ITSM's own state value */
	char *updated_on;    /* "YYYY-MM-DD HH:MM:SS", UTC */
	char *short_description;
};

/* Free the members of REQ (not REQ itself); NULL members are fine. */
void request_clear(struct request *req);

#endif
