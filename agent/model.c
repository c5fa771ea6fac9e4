#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "model.h"

void request_clear(struct request *req)
{
	free(req->id);
	free(req->number);
	free(req->item_id);
	free(req->requested_for);
	free(req->opened_by);
	free(req->state);
	free(req->updated_on);
	free(req->short_description);
	memset(req, 0, sizeof(*req));
}
