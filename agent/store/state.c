/* SPDX-License-Identifier: Apache-2.0 */
#include "config.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "jsonflat.h"
#include "state.h"
#include "util/hash.h"

#define MAX_ACTIONS_PER_REQUEST 256

/* Open addressing with linear probing; removal shifts back, so there are no
 * tombstones. Items are found by one or two string keys. A slot holds the
 * hash beside the item, so that a probe touches one cache line. */
struct slot {
	void *item; /* NULL: free */
	uint64_t hash;
};

struct table {
	struct slot *slots;
	size_t cap; /* a power of two, or 0 */
	size_t n;
};

/* The request's actions, in the order their intents were first recorded. */
struct stored_request {
	struct state_request pub;
	struct state_action **actions;
	size_t n_actions;
};

struct watermark {
	char *source;
	char *value;
};

struct state {
	struct table requests; /* struct stored_request *, by (source, id) */
	struct table actions;  /* struct state_action *, by id */
	struct watermark *watermarks;
	size_t n_watermarks;
	struct jsonflat flat; /* the payload being applied */
	struct jsonflat data; /* its "data" object */
	struct jsonflat into; /* the data that object is merged into */
};

static const char *const type_names[STATE_RECORD_TYPES + 1] = {
	[STATE_REQUEST] = "REQUEST",     [STATE_APPROVAL] = "APPROVAL", [STATE_TIMER] = "TIMER",
	[STATE_INTENT] = "INTENT",       [STATE_OUTCOME] = "OUTCOME",   [STATE_RETRY] = "RETRY",
	[STATE_WATERMARK] = "WATERMARK", [STATE_FORGET] = "FORGET",
};

static const char *const timer_names[STATE_TIMER_KINDS] = {
	[STATE_TIMER_REMIND] = "remind",
	[STATE_TIMER_ESCALATE] = "escalate",
	[STATE_TIMER_EXPIRE] = "expire",
	[STATE_TIMER_END_DATE] = "end_date",
};

const char *state_type_name(uint16_t type)
{
	return type >= 1 && type <= STATE_RECORD_TYPES ? type_names[type] : NULL;
}

uint16_t state_type_from_name(const char *name)
{
	for (uint16_t t = 1; t <= STATE_RECORD_TYPES; t++)
		if (strcmp(type_names[t], name) == 0)
			return t;
	return 0;
}

const char *state_timer_name(enum state_timer_kind kind)
{
	return (unsigned)kind < STATE_TIMER_KINDS ? timer_names[kind] : NULL;
}

int state_timer_from_name(const char *name, enum state_timer_kind *ret)
{
	for (int k = 0; k < STATE_TIMER_KINDS; k++)
		if (strcmp(timer_names[k], name) == 0) {
			*ret = (enum state_timer_kind)k;
			return 0;
		}
	return -EINVAL;
}

static uint64_t hash_keys(const char *a, const char *b)
{
	uint64_t h = hash_fnv64(HASH_FNV64_INIT, a, strlen(a));

	h = hash_fnv64(h, "\xff", 1);
	if (b)
		h = hash_fnv64(h, b, strlen(b));
	/* FNV's low bits, which pick the slot, barely see the last bytes of
	 * ids that differ only there: mix the high bits down */
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdu;
	h ^= h >> 33;
	return h;
}

static bool request_has_key(const void *item, const char *source, const char *id)
{
	const struct state_request *r = item;

	return strcmp(r->id, id) == 0 && strcmp(r->source, source) == 0;
}

static bool action_has_key(const void *item, const char *id, const char *unused)
{
	return strcmp(((const struct state_action *)item)->id, id) == 0;
}

typedef bool (*has_key_fn)(const void *item, const char *a, const char *b);

/* The slot holding the item with these keys, or of the free slot where it
 * would go. */
static size_t table_slot(const struct table *t, uint64_t h, has_key_fn has_key, const char *a, const char *b)
{
	size_t mask = t->cap - 1, i = h & mask;

	while (t->slots[i].item && !(t->slots[i].hash == h && has_key(t->slots[i].item, a, b)))
		i = (i + 1) & mask;
	return i;
}

static void *table_find(const struct table *t, has_key_fn has_key, const char *a, const char *b)
{
	if (t->n == 0)
		return NULL;
	return t->slots[table_slot(t, hash_keys(a, b), has_key, a, b)].item;
}

static int table_grow(struct table *t)
{
	size_t cap = t->cap ? t->cap * 2 : 64;
	struct slot *slots = calloc(cap, sizeof(*slots));

	if (!slots)
		return -ENOMEM;
	for (size_t i = 0; i < t->cap; i++) {
		size_t j;

		if (!t->slots[i].item)
			continue;
		for (j = t->slots[i].hash & (cap - 1); slots[j].item; j = (j + 1) & (cap - 1))
			;
		slots[j] = t->slots[i];
	}
	free(t->slots);
	t->slots = slots;
	t->cap = cap;
	return 0;
}

/* Make room for one more item, so that inserting cannot fail later. */
static int table_reserve(struct table *t)
{
	return (t->n + 1) * 2 > t->cap ? table_grow(t) : 0;
}

static void table_insert(struct table *t, void *item, has_key_fn has_key, const char *a, const char *b)
{
	uint64_t h = hash_keys(a, b);
	size_t i = table_slot(t, h, has_key, a, b);

	t->slots[i] = (struct slot){ item, h };
	t->n++;
}

static void table_remove(struct table *t, has_key_fn has_key, const char *a, const char *b)
{
	size_t mask = t->cap - 1, i, j;

	if (t->n == 0)
		return;
	i = table_slot(t, hash_keys(a, b), has_key, a, b);
	if (!t->slots[i].item)
		return;
	t->slots[i].item = NULL;
	t->n--;
	/* shift back the items whose probe run passed through the hole */
	for (j = (i + 1) & mask; t->slots[j].item; j = (j + 1) & mask) {
		size_t home = t->slots[j].hash & mask;

		if (((j - home) & mask) >= ((j - i) & mask)) {
			t->slots[i] = t->slots[j];
			t->slots[j].item = NULL;
			i = j;
		}
	}
}

static void *table_next(const struct table *t, size_t *iter)
{
	while (*iter < t->cap) {
		void *item = t->slots[(*iter)++].item;

		if (item)
			return item;
	}
	return NULL;
}

int state_new(struct state **ret)
{
	struct state *s = calloc(1, sizeof(*s));

	if (!s)
		return -ENOMEM;
	*ret = s;
	return 0;
}

static void action_free(struct state_action *a)
{
	free(a->id);
	free(a->source);
	free(a->request_id);
	free(a->intent);
	free(a->outcome);
	free(a);
}

static void request_free(struct stored_request *req)
{
	struct state_request *r = &req->pub;

	for (size_t i = 0; i < r->n_approvals; i++) {
		free(r->approvals[i].id);
		free(r->approvals[i].approver);
		free(r->approvals[i].decision);
		free(r->approvals[i].data);
	}
	for (size_t i = 0; i < r->n_retries; i++)
		free(r->retries[i].key);
	for (size_t i = 0; i < req->n_actions; i++)
		action_free(req->actions[i]);
	free(r->approvals);
	free(r->retries);
	free(req->actions);
	free(r->source);
	free(r->id);
	free(r->number);
	free(r->data);
	free(req);
}

struct state *state_free(struct state *s)
{
	size_t iter = 0;
	struct stored_request *req;

	if (!s)
		return NULL;
	while ((req = table_next(&s->requests, &iter)))
		request_free(req);
	for (size_t i = 0; i < s->n_watermarks; i++) {
		free(s->watermarks[i].source);
		free(s->watermarks[i].value);
	}
	free(s->watermarks);
	free(s->requests.slots);
	free(s->actions.slots);
	jsonflat_release(&s->flat);
	jsonflat_release(&s->data);
	jsonflat_release(&s->into);
	free(s);
	return NULL;
}

/* A JSON object's text inside a payload. */
struct span {
	const char *p;
	size_t len;
};

/* A record's payload, checked and picked apart before anything changes.
 * Everything points into the payload or the state's jsonflat. */
struct change {
	uint16_t type;
	const struct jsonflat *flat;
	const char *source, *id, *action, *number, *workflow, *approval, *approver, *decision, *key, *value;
	bool has_stage;
	int stage, attempts;
	int64_t at_ms, due_ms, next_ms;
	enum state_timer_kind timer;
	struct span data, intent, outcome;
	struct stored_request *req;       /* the request it names, when it exists */
	struct state_action *act;  /* the action it names, when it exists */
};

static int get_string(struct change *c, const char *name, bool required, const char **ret)
{
	const struct jsonflat_member *m = jsonflat_get(c->flat, name);

	if (!m || m->kind == JSONFLAT_NULL)
		return required ? -EBADMSG : 0;
	if (m->kind != JSONFLAT_STRING)
		return -EBADMSG;
	*ret = m->str;
	return 0;
}

static int get_int(struct change *c, const char *name, bool required, int64_t min, int64_t max, int64_t *ret)
{
	const struct jsonflat_member *m = jsonflat_get(c->flat, name);
	int64_t v;

	if (!m)
		return required ? -EBADMSG : 0;
	if (m->kind != JSONFLAT_NUMBER)
		return -EBADMSG;
	if (jsonflat_int(m, &v) < 0 || v < min || v > max)
		return -EINVAL;
	*ret = v;
	return 0;
}

static int get_object(struct change *c, const char *name, bool required, struct span *ret)
{
	const struct jsonflat_member *m = jsonflat_get(c->flat, name);

	if (!m || m->kind == JSONFLAT_NULL)
		return required ? -EBADMSG : 0;
	if (m->kind != JSONFLAT_OBJECT)
		return -EBADMSG;
	ret->p = m->raw;
	ret->len = m->raw_len;
	return 0;
}

static int get_request_key(struct state *s, struct change *c, bool must_exist)
{
	int r;

	r = get_string(c, "source", true, &c->source);
	if (r == 0)
		r = get_string(c, "id", true, &c->id);
	if (r < 0)
		return r;
	c->req = table_find(&s->requests, request_has_key, c->source, c->id);
	return must_exist && !c->req ? -ENOENT : 0;
}

/* "stage" is optional; an update without it keeps the stage. */
static int get_stage(struct change *c)
{
	int64_t stage;
	int r;

	if (!jsonflat_get(c->flat, "stage"))
		return 0;
	r = get_int(c, "stage", true, 0, 1000, &stage);
	if (r < 0)
		return r;
	c->has_stage = true;
	c->stage = (int)stage;
	return 0;
}

/* A member of the record's data that the merge adds at the end. */
static bool data_adds(const struct state *s, const struct jsonflat_member *m)
{
	return m->kind != JSONFLAT_NULL && jsonflat_get(&s->data, m->name) == m && !jsonflat_get(&s->into, m->name);
}

/* Parse the record's data and the data it merges into (INTO, or NULL) for
 * merge_data. The merged object may hold at most JSONFLAT_MAX_MEMBERS
 * members, so that it can be merged into again: that is checked here,
 * before the record is journaled, because applying it may then fail only
 * for want of memory. */
static int check_data(struct state *s, const struct change *c, const char *into)
{
	size_t n;
	int r;

	if (!c->data.p)
		return 0;
	s->into.n = 0;
	r = jsonflat_parse(&s->data, c->data.p, c->data.len);
	if (r == 0 && into)
		r = jsonflat_parse(&s->into, into, strlen(into));
	if (r < 0)
		return r;
	n = s->into.n;
	for (size_t i = 0; i < s->data.n; i++)
		if (data_adds(s, &s->data.members[i]))
			n++;
	return n > JSONFLAT_MAX_MEMBERS ? -E2BIG : 0;
}

static int check_request(struct state *s, struct change *c)
{
	int r;

	r = get_request_key(s, c, false);
	if (r == 0)
		r = get_string(c, "number", false, &c->number);
	if (r == 0)
		r = get_string(c, "state", false, &c->workflow);
	if (r == 0)
		r = get_object(c, "data", false, &c->data);
	if (r == 0)
		r = get_stage(c);
	if (r == 0 && c->workflow && strlen(c->workflow) >= STATE_WORKFLOW_MAX)
		r = -E2BIG;
	if (r == 0)
		r = check_data(s, c, c->req ? c->req->pub.data : NULL);
	return r;
}

static int check_approval(struct state *s, struct change *c)
{
	const struct state_approval *a = NULL;
	int r;

	r = get_request_key(s, c, true);
	if (r == 0)
		r = get_string(c, "approval", true, &c->approval);
	if (r == 0)
		r = get_string(c, "approver", false, &c->approver);
	if (r == 0)
		r = get_string(c, "decision", false, &c->decision);
	if (r == 0)
		r = get_stage(c);
	if (r == 0)
		r = get_int(c, "at", false, 0, INT64_MAX, &c->at_ms);
	if (r == 0)
		r = get_object(c, "data", false, &c->data);
	if (r < 0)
		return r;
	for (size_t i = 0; i < c->req->pub.n_approvals && !a; i++)
		if (strcmp(c->req->pub.approvals[i].id, c->approval) == 0)
			a = &c->req->pub.approvals[i];
	if (!a && c->req->pub.n_approvals >= STATE_MAX_APPROVALS)
		return -E2BIG;
	return check_data(s, c, a ? a->data : NULL);
}

static int check_timer(struct state *s, struct change *c)
{
	const char *kind;
	int r;

	r = get_request_key(s, c, true);
	if (r == 0)
		r = get_string(c, "kind", true, &kind);
	if (r == 0)
		r = get_int(c, "due", true, 0, INT64_MAX, &c->due_ms);
	if (r == 0)
		r = state_timer_from_name(kind, &c->timer);
	return r;
}

static int check_intent(struct state *s, struct change *c)
{
	int r;

	r = get_request_key(s, c, true);
	if (r == 0)
		r = get_string(c, "action", true, &c->action);
	if (r == 0)
		r = get_object(c, "intent", true, &c->intent);
	if (r < 0)
		return r;
	c->act = table_find(&s->actions, action_has_key, c->action, NULL);
	if (c->act)
		/* an action belongs to one request for good */
		return strcmp(c->act->source, c->source) == 0 && strcmp(c->act->request_id, c->id) == 0 ? 0 : -EINVAL;
	return c->req->n_actions >= MAX_ACTIONS_PER_REQUEST ? -E2BIG : 0;
}

static int check_outcome(struct state *s, struct change *c)
{
	int r;

	r = get_string(c, "action", true, &c->action);
	if (r == 0)
		r = get_object(c, "outcome", true, &c->outcome);
	if (r < 0)
		return r;
	c->act = table_find(&s->actions, action_has_key, c->action, NULL);
	return c->act ? 0 : -ENOENT;
}

static int check_retry(struct state *s, struct change *c)
{
	int64_t attempts = 0;
	int r;

	r = get_request_key(s, c, true);
	if (r == 0)
		r = get_string(c, "key", true, &c->key);
	if (r == 0)
		r = get_int(c, "attempts", true, 0, 1000000, &attempts);
	if (r == 0)
		r = get_int(c, "next", false, 0, INT64_MAX, &c->next_ms);
	if (r < 0)
		return r;
	c->attempts = (int)attempts;
	for (size_t i = 0; i < c->req->pub.n_retries; i++)
		if (strcmp(c->req->pub.retries[i].key, c->key) == 0)
			return 0;
	return c->req->pub.n_retries >= STATE_MAX_RETRIES && attempts > 0 ? -E2BIG : 0;
}

static int check_watermark(struct change *c)
{
	int r = get_string(c, "source", true, &c->source);

	if (r == 0)
		r = get_string(c, "watermark", true, &c->value);
	return r;
}

static int check(struct state *s, uint16_t type, const char *payload, size_t len, struct change *c)
{
	int r;

	memset(c, 0, sizeof(*c));
	c->type = type;
	c->flat = &s->flat;
	if (type < 1 || type > STATE_RECORD_TYPES)
		return -EPROTONOSUPPORT;
	r = jsonflat_parse(&s->flat, payload, len);
	if (r < 0)
		return r == -ENOMEM ? r : -EBADMSG;
	switch ((enum state_record_type)type) {
	case STATE_REQUEST:
		return check_request(s, c);
	case STATE_APPROVAL:
		return check_approval(s, c);
	case STATE_TIMER:
		return check_timer(s, c);
	case STATE_INTENT:
		return check_intent(s, c);
	case STATE_OUTCOME:
		return check_outcome(s, c);
	case STATE_RETRY:
		return check_retry(s, c);
	case STATE_WATERMARK:
		return check_watermark(c);
	case STATE_FORGET:
		return get_request_key(s, c, false);
	}
	return -EPROTONOSUPPORT;
}

/* Replace *FIELD by a copy of VALUE (NULL keeps it). */
static int set_string(char **field, const char *value)
{
	char *copy;

	if (!value || (*field && strcmp(*field, value) == 0))
		return 0;
	copy = strdup(value);
	if (!copy)
		return -ENOMEM;
	free(*field);
	*field = copy;
	return 0;
}

/* One member, NAME's name with VALUE's value, at OUT; returns the end. */
static char *put_member(char *out, bool first, const struct jsonflat_member *name,
			const struct jsonflat_member *value)
{
	if (!first)
		*out++ = ',';
	memcpy(out, name->name_raw, name->name_raw_len);
	out += name->name_raw_len;
	*out++ = ':';
	memcpy(out, value->raw, value->raw_len);
	return out + value->raw_len;
}

/* Merge the record's data into *INTO, both parsed by check_data: a member
 * replaces the one of the same name where it stands, null removes it, the
 * others are added at the end; nested values are replaced whole. The
 * texts are spliced, without building a tree, because replay merges one
 * record in eight. */
static int merge_data(struct state *s, const struct change *c, char **into)
{
	char *text, *out;

	if (!c->data.p)
		return 0;
	/* every byte written but the braces and commas is copied from one of
	 * the two objects, whose own braces and commas outnumber those */
	text = malloc((*into ? strlen(*into) : 0) + c->data.len + 1);
	if (!text)
		return -ENOMEM;
	out = text;
	*out++ = '{';
	for (size_t i = 0; i < s->into.n; i++) {
		const struct jsonflat_member *m = &s->into.members[i], *v = jsonflat_get(&s->data, m->name);

		if (!v || v->kind != JSONFLAT_NULL)
			out = put_member(out, out == text + 1, m, v ? v : m);
	}
	for (size_t i = 0; i < s->data.n; i++)
		if (data_adds(s, &s->data.members[i]))
			out = put_member(out, out == text + 1, &s->data.members[i], &s->data.members[i]);
	*out++ = '}';
	*out = '\0';
	free(*into);
	*into = text;
	return 0;
}

static int set_text(char **field, const struct span *text)
{
	char *copy = strndup(text->p, text->len);

	if (!copy)
		return -ENOMEM;
	free(*field);
	*field = copy;
	return 0;
}

static int apply_request(struct state *s, struct change *c)
{
	struct stored_request *req = c->req;
	int r;

	if (!req) {
		r = table_reserve(&s->requests);
		if (r < 0)
			return r;
		req = calloc(1, sizeof(*req));
		if (!req)
			return -ENOMEM;
		req->pub.source = strdup(c->source);
		req->pub.id = strdup(c->id);
		if (!req->pub.source || !req->pub.id) {
			request_free(req);
			return -ENOMEM;
		}
		table_insert(&s->requests, req, request_has_key, c->source, c->id);
	}
	if (c->workflow)
		memcpy(req->pub.workflow, c->workflow, strlen(c->workflow) + 1);
	if (c->has_stage)
		req->pub.stage = c->stage;
	r = set_string(&req->pub.number, c->number);
	if (r == 0)
		r = merge_data(s, c, &req->pub.data);
	return r;
}

static int apply_approval(struct state *s, struct change *c)
{
	struct state_request *req = &c->req->pub;
	struct state_approval *a = NULL, *grown;
	int r;

	for (size_t i = 0; i < req->n_approvals && !a; i++)
		if (strcmp(req->approvals[i].id, c->approval) == 0)
			a = &req->approvals[i];
	if (!a) {
		grown = realloc(req->approvals, (req->n_approvals + 1) * sizeof(*grown));
		if (!grown)
			return -ENOMEM;
		req->approvals = grown;
		a = &grown[req->n_approvals];
		memset(a, 0, sizeof(*a));
		a->id = strdup(c->approval);
		if (!a->id)
			return -ENOMEM;
		req->n_approvals++;
	}
	if (c->has_stage)
		a->stage = c->stage;
	if (c->at_ms)
		a->at_ms = c->at_ms;
	r = set_string(&a->approver, c->approver);
	if (r == 0)
		r = set_string(&a->decision, c->decision);
	if (r == 0)
		r = merge_data(s, c, &a->data);
	return r;
}

static int apply_retry(struct change *c)
{
	struct state_request *req = &c->req->pub;
	struct state_retry *t = NULL, *grown;

	for (size_t i = 0; i < req->n_retries && !t; i++)
		if (strcmp(req->retries[i].key, c->key) == 0)
			t = &req->retries[i];
	if (t && c->attempts == 0) {
		free(t->key);
		*t = req->retries[--req->n_retries];
		return 0;
	}
	if (c->attempts == 0)
		return 0;
	if (!t) {
		grown = realloc(req->retries, (req->n_retries + 1) * sizeof(*grown));
		if (!grown)
			return -ENOMEM;
		req->retries = grown;
		t = &grown[req->n_retries];
		t->key = strdup(c->key);
		if (!t->key)
			return -ENOMEM;
		req->n_retries++;
	}
	t->attempts = c->attempts;
	t->next_ms = c->next_ms;
	return 0;
}

static int apply_intent(struct state *s, struct change *c)
{
	struct state_action *a = c->act, **grown;
	struct stored_request *req = c->req;
	char *intent;
	int r;

	intent = strndup(c->intent.p, c->intent.len);
	if (!intent)
		return -ENOMEM;
	if (!a) {
		r = table_reserve(&s->actions);
		grown = r < 0 ? NULL : realloc(req->actions, (req->n_actions + 1) * sizeof(*grown));
		if (!grown) {
			free(intent);
			return -ENOMEM;
		}
		req->actions = grown;
		a = calloc(1, sizeof(*a));
		if (!a || !(a->id = strdup(c->action)) || !(a->source = strdup(c->source)) ||
		    !(a->request_id = strdup(c->id))) {
			if (a)
				action_free(a);
			free(intent);
			return -ENOMEM;
		}
		req->actions[req->n_actions++] = a;
		table_insert(&s->actions, a, action_has_key, a->id, NULL);
	}
	/* a new intent is a new attempt: the old outcome no longer holds */
	free(a->intent);
	free(a->outcome);
	a->outcome = NULL;
	a->intent = intent;
	return 0;
}

static int apply_watermark(struct state *s, struct change *c)
{
	struct watermark *w, *grown;
	char *source, *value;

	for (size_t i = 0; i < s->n_watermarks; i++)
		if (strcmp(s->watermarks[i].source, c->source) == 0)
			return set_string(&s->watermarks[i].value, c->value);
	grown = realloc(s->watermarks, (s->n_watermarks + 1) * sizeof(*grown));
	if (!grown)
		return -ENOMEM;
	s->watermarks = grown;
	source = strdup(c->source);
	value = strdup(c->value);
	if (!source || !value) {
		free(source);
		free(value);
		return -ENOMEM;
	}
	w = &grown[s->n_watermarks++];
	w->source = source;
	w->value = value;
	return 0;
}

static void apply_forget(struct state *s, struct change *c)
{
	struct stored_request *req = c->req;

	if (!req)
		return;
	for (size_t i = 0; i < req->n_actions; i++)
		table_remove(&s->actions, action_has_key, req->actions[i]->id, NULL);
	table_remove(&s->requests, request_has_key, req->pub.source, req->pub.id);
	request_free(req);
}

static int apply_change(struct state *s, struct change *c)
{
	switch ((enum state_record_type)c->type) {
	case STATE_REQUEST:
		return apply_request(s, c);
	case STATE_APPROVAL:
		return apply_approval(s, c);
	case STATE_TIMER:
		c->req->pub.timers[c->timer] = c->due_ms;
		return 0;
	case STATE_INTENT:
		return apply_intent(s, c);
	case STATE_OUTCOME:
		return set_text(&c->act->outcome, &c->outcome);
	case STATE_RETRY:
		return apply_retry(c);
	case STATE_WATERMARK:
		return apply_watermark(s, c);
	case STATE_FORGET:
		apply_forget(s, c);
		return 0;
	}
	return -EPROTONOSUPPORT;
}

int state_apply(struct state *s, uint16_t type, const char *payload, size_t len)
{
	struct change c;
	int r;

	r = check(s, type, payload, len, &c);
	if (r == 0)
		r = apply_change(s, &c);
	return r;
}

int state_apply_record(const struct journal_record *rec, void *userdata)
{
	return state_apply(userdata, rec->type, rec->payload, rec->len);
}

int state_record(struct state *s, struct journal *j, uint16_t type, const char *payload, size_t len,
		 uint64_t *ret_seq)
{
	struct change c;
	uint64_t seq;
	int r;

	r = check(s, type, payload, len, &c);
	if (r == 0)
		r = journal_append(j, type, payload, len, &seq);
	if (r == 0)
		r = apply_change(s, &c);
	if (r == 0 && ret_seq)
		*ret_seq = seq;
	return r;
}

int state_record_json(struct state *s, struct journal *j, uint16_t type, const cJSON *payload, uint64_t *ret_seq)
{
	char *text = cJSON_PrintUnformatted(payload);
	int r;

	if (!text)
		return -ENOMEM;
	r = state_record(s, j, type, text, strlen(text), ret_seq);
	free(text);
	return r;
}

const struct state_request *state_request_find(const struct state *s, const char *source, const char *id)
{
	struct stored_request *req = table_find(&s->requests, request_has_key, source, id);

	return req ? &req->pub : NULL;
}

const struct state_action *state_action_find(const struct state *s, const char *action_id)
{
	return table_find(&s->actions, action_has_key, action_id, NULL);
}

const char *state_watermark(const struct state *s, const char *source)
{
	for (size_t i = 0; i < s->n_watermarks; i++)
		if (strcmp(s->watermarks[i].source, source) == 0)
			return s->watermarks[i].value;
	return NULL;
}

const struct state_request *state_request_next(const struct state *s, size_t *iter)
{
	struct stored_request *req = table_next(&s->requests, iter);

	return req ? &req->pub : NULL;
}

const struct state_action *state_action_next(const struct state *s, size_t *iter)
{
	return table_next(&s->actions, iter);
}

size_t state_request_count(const struct state *s)
{
	return s->requests.n;
}

size_t state_action_count(const struct state *s)
{
	return s->actions.n;
}

/* Snapshot: one record per piece of state, built as JSON objects. */
struct emitter {
	journal_emit_fn emit;
	void *ctx;
};

/* Emit OBJ (freed here, also on failure; NULL means allocation failed). */
static int emit_json(struct emitter *e, uint16_t type, cJSON *obj)
{
	char *text = obj ? cJSON_PrintUnformatted(obj) : NULL;
	int r;

	cJSON_Delete(obj);
	if (!text)
		return -ENOMEM;
	r = e->emit(type, text, strlen(text), e->ctx);
	free(text);
	return r;
}

/* A payload naming the request, or NULL without memory. */
static cJSON *request_payload(const struct state_request *r)
{
	cJSON *o = cJSON_CreateObject();

	if (o && (!cJSON_AddStringToObject(o, "source", r->source) || !cJSON_AddStringToObject(o, "id", r->id))) {
		cJSON_Delete(o);
		return NULL;
	}
	return o;
}

/* Add the optional members; false when out of memory. */
static bool add_string(cJSON *o, const char *name, const char *value)
{
	return !value || cJSON_AddStringToObject(o, name, value);
}

/* VALUE is JSON text already checked when its record was applied. */
static bool add_raw(cJSON *o, const char *name, const char *value)
{
	return !value || cJSON_AddRawToObject(o, name, value);
}

static cJSON *check_built(cJSON *o, bool ok)
{
	if (!ok) {
		cJSON_Delete(o);
		return NULL;
	}
	return o;
}

static int emit_approvals(struct emitter *e, const struct state_request *r)
{
	for (size_t i = 0; i < r->n_approvals; i++) {
		const struct state_approval *a = &r->approvals[i];
		cJSON *o = request_payload(r);
		int rc;

		o = check_built(o, o && cJSON_AddStringToObject(o, "approval", a->id) &&
					   add_string(o, "approver", a->approver) &&
					   add_string(o, "decision", a->decision) &&
					   cJSON_AddNumberToObject(o, "stage", a->stage) &&
					   (!a->at_ms || cJSON_AddNumberToObject(o, "at", (double)a->at_ms)) &&
					   add_raw(o, "data", a->data));
		rc = emit_json(e, STATE_APPROVAL, o);
		if (rc < 0)
			return rc;
	}
	return 0;
}

static int emit_timers_and_retries(struct emitter *e, const struct state_request *r)
{
	int rc;

	for (int k = 0; k < STATE_TIMER_KINDS; k++) {
		cJSON *o;

		if (!r->timers[k])
			continue;
		o = request_payload(r);
		o = check_built(o, o && cJSON_AddStringToObject(o, "kind", timer_names[k]) &&
					   cJSON_AddNumberToObject(o, "due", (double)r->timers[k]));
		rc = emit_json(e, STATE_TIMER, o);
		if (rc < 0)
			return rc;
	}
	for (size_t i = 0; i < r->n_retries; i++) {
		cJSON *o = request_payload(r);

		o = check_built(o, o && cJSON_AddStringToObject(o, "key", r->retries[i].key) &&
					   cJSON_AddNumberToObject(o, "attempts", r->retries[i].attempts) &&
					   cJSON_AddNumberToObject(o, "next", (double)r->retries[i].next_ms));
		rc = emit_json(e, STATE_RETRY, o);
		if (rc < 0)
			return rc;
	}
	return 0;
}

static int compare_actions(const void *a, const void *b)
{
	return strcmp((*(struct state_action *const *)a)->id, (*(struct state_action *const *)b)->id);
}

static int emit_actions(struct emitter *e, const struct stored_request *req)
{
	struct state_action **sorted;
	int rc = 0;

	if (req->n_actions == 0)
		return 0;
	sorted = malloc(req->n_actions * sizeof(*sorted));
	if (!sorted)
		return -ENOMEM;
	memcpy(sorted, req->actions, req->n_actions * sizeof(*sorted));
	qsort(sorted, req->n_actions, sizeof(*sorted), compare_actions);
	for (size_t i = 0; i < req->n_actions && rc == 0; i++) {
		const struct state_action *a = sorted[i];
		cJSON *o = request_payload(&req->pub);

		o = check_built(o, o && cJSON_AddStringToObject(o, "action", a->id) &&
					   add_raw(o, "intent", a->intent));
		rc = emit_json(e, STATE_INTENT, o);
		if (rc < 0 || !a->outcome)
			continue;
		o = cJSON_CreateObject();
		o = check_built(o, o && cJSON_AddStringToObject(o, "action", a->id) &&
					   add_raw(o, "outcome", a->outcome));
		rc = emit_json(e, STATE_OUTCOME, o);
	}
	free(sorted);
	return rc;
}

static int emit_request(struct emitter *e, const struct stored_request *req)
{
	const struct state_request *r = &req->pub;
	cJSON *o = request_payload(r);
	int rc;

	o = check_built(o, o && add_string(o, "number", r->number) && cJSON_AddStringToObject(o, "state", r->workflow) &&
				   cJSON_AddNumberToObject(o, "stage", r->stage) && add_raw(o, "data", r->data));
	rc = emit_json(e, STATE_REQUEST, o);
	if (rc == 0)
		rc = emit_approvals(e, r);
	if (rc == 0)
		rc = emit_timers_and_retries(e, r);
	if (rc == 0)
		rc = emit_actions(e, req);
	return rc;
}

static int compare_requests(const void *a, const void *b)
{
	const struct state_request *x = *(const struct state_request *const *)a;
	const struct state_request *y = *(const struct state_request *const *)b;
	int c = strcmp(x->source, y->source);

	return c ? c : strcmp(x->id, y->id);
}

static int compare_watermarks(const void *a, const void *b)
{
	return strcmp(((const struct watermark *)a)->source, ((const struct watermark *)b)->source);
}

int state_snapshot(void *userdata, journal_emit_fn emit, void *emit_ctx)
{
	struct state *s = userdata;
	struct emitter e = { .emit = emit, .ctx = emit_ctx };
	struct stored_request **sorted = NULL;
	size_t iter = 0, n = 0;
	int rc = 0;

	if (s->requests.n) {
		sorted = malloc(s->requests.n * sizeof(*sorted));
		if (!sorted)
			return -ENOMEM;
	}
	while (n < s->requests.n)
		sorted[n++] = table_next(&s->requests, &iter);
	if (n)
		qsort(sorted, n, sizeof(*sorted), compare_requests);
	for (size_t i = 0; i < n && rc == 0; i++)
		rc = emit_request(&e, sorted[i]);
	free(sorted);
	if (s->n_watermarks)
		qsort(s->watermarks, s->n_watermarks, sizeof(*s->watermarks), compare_watermarks);
	for (size_t i = 0; i < s->n_watermarks && rc == 0; i++) {
		cJSON *o = cJSON_CreateObject();

		o = check_built(o, o && cJSON_AddStringToObject(o, "source", s->watermarks[i].source) &&
					   cJSON_AddStringToObject(o, "watermark", s->watermarks[i].value));
		rc = emit_json(&e, STATE_WATERMARK, o);
	}
	return rc;
}
