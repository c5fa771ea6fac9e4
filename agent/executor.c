/* SPDX-License-Identifier: Apache-2.0 */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "exec.h"
#include "executor.h"
#include "util/hash.h"
#include "util/json.h"

static const char *const kind_names[] = {
	[WF_ACT_SEND_BACK] = "send_back",
	[WF_ACT_LINK_DUPLICATE] = "link_duplicate",
	[WF_ACT_REQUEST_APPROVAL] = "request_approval",
	[WF_ACT_REMIND] = "remind",
	[WF_ACT_ESCALATE] = "escalate",
	[WF_ACT_IGNORE_DECISION] = "ignore_decision",
	[WF_ACT_REJECT] = "reject",
	[WF_ACT_EXPIRE] = "expire",
	[WF_ACT_EXECUTE] = "execute",
	[WF_ACT_RETRY_AT] = "retry_at",
	[WF_ACT_UNDO] = "undo",
	[WF_ACT_COMPLETE] = "complete",
	[WF_ACT_COMPENSATE] = "compensate",
	[WF_ACT_BLOCK] = "block",
	[WF_ACT_NOTE_REMOVED] = "note_removed",
	[WF_ACT_WITHDRAW] = "withdraw",
	[WF_ACT_RULE_APPROVE] = "rule_approve",
	[WF_ACT_RULE_REJECT] = "rule_reject",
};

static int kind_parse(const char *name, enum wf_action_kind *ret)
{
	for (size_t i = 0; name && i < sizeof(kind_names) / sizeof(kind_names[0]); i++)
		if (kind_names[i] && strcmp(kind_names[i], name) == 0) {
			*ret = (enum wf_action_kind)i;
			return 0;
		}
	return -EINVAL;
}

/* A short stable tag for a person in an action id (FNV-1a of the UPN,
 * ignoring case): UPNs hold characters an action id may not. */
static uint32_t tag(const char *who)
{
	uint32_t h = HASH_FNV32_INIT;

	for (; who && *who; who++)
		h = hash_fnv32(h, &(unsigned char){ (unsigned char)tolower((unsigned char)*who) }, 1);
	return h;
}

void executor_action_base(const char *number, int round, char *buf, size_t size)
{
	enum { KEEP = 40 };
	char safe[KEEP + 1];
	size_t n = strlen(number), i;
	int changed = n > KEEP || n == 0;

	for (i = 0; i < n && i < KEEP; i++) {
		unsigned char c = (unsigned char)number[i];
		int ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
			 c == '_' || c == '-' || c == ':';

		safe[i] = ok ? (char)c : '_';
		changed |= !ok;
	}
	safe[i] = '\0';
	if (changed)
		snprintf(buf, size, "%s-%08x.r%d", safe, (unsigned)hash_fnv32(HASH_FNV32_INIT, number, n), round);
	else
		snprintf(buf, size, "%s.r%d", safe, round);
}

void executor_action_id(const struct exec_request *r, const struct wf_action *act, enum wf_state state, char *buf,
			size_t size)
{
	switch (act->kind) {
	case WF_ACT_REQUEST_APPROVAL:
		snprintf(buf, size, "%s.s%d.%08x.approve", r->base, act->stage, tag(act->who));
		break;
	case WF_ACT_REMIND:
		snprintf(buf, size, "%s.s%d.remind", r->base, act->stage);
		break;
	case WF_ACT_RULE_APPROVE:
		snprintf(buf, size, "%s.s%d.rule", r->base, act->stage);
		break;
	case WF_ACT_ESCALATE:
		snprintf(buf, size, "%s.s%d.%08x.escalate", r->base, act->stage, tag(act->who));
		break;
	case WF_ACT_IGNORE_DECISION:
		snprintf(buf, size, "%s.s%d.%08x.%lld.ignore", r->base, act->stage, tag(act->who), (long long)act->at_ms);
		break;
	case WF_ACT_EXECUTE:
		snprintf(buf, size, "%s.t%d.grant", r->base, act->step);
		break;
	case WF_ACT_UNDO:
		snprintf(buf, size, "%s.t%d.%s", r->base, act->step, state == WF_REMOVING ? "remove" : "undo");
		break;
	case WF_ACT_SEND_BACK:
		snprintf(buf, size, "%s.send-back", r->base);
		break;
	case WF_ACT_LINK_DUPLICATE:
		snprintf(buf, size, "%s.duplicate", r->base);
		break;
	default:
		snprintf(buf, size, "%s.%s", r->base, kind_names[act->kind]);
		break;
	}
}

cJSON *executor_intent(const struct wf_action *act, enum wf_state state)
{
	cJSON *o = cJSON_CreateObject();

	if (!o || !cJSON_AddStringToObject(o, "kind", kind_names[act->kind]) ||
	    !cJSON_AddNumberToObject(o, "stage", act->stage) || !cJSON_AddNumberToObject(o, "step", act->step) ||
	    !cJSON_AddNumberToObject(o, "state", state) || (act->at_ms && !cJSON_AddNumberToObject(o, "at", (double)act->at_ms)) ||
	    (act->who && !cJSON_AddStringToObject(o, "who", act->who)) ||
	    (act->kind == WF_ACT_IGNORE_DECISION && !cJSON_AddNumberToObject(o, "why", act->why))) {
		cJSON_Delete(o);
		return NULL;
	}
	return o;
}

int executor_run(struct agent *a, const struct exec_request *r, const cJSON *intent, const char *action_id,
		 int recheck, int64_t now_ms, cJSON **ret_outcome, enum wf_result *ret)
{
	struct exec_run x = {
		.a = a,
		.r = r,
		.id = action_id,
		.now = now_ms,
		.stage = (int)json_int(intent, "stage"),
		.step = (int)json_int(intent, "step"),
		.state = (enum wf_state)json_int(intent, "state"),
		.who = json_str(intent, "who"),
		.at = json_int(intent, "at"),
		.why = (enum wf_ignore)json_int(intent, "why"),
		.result = WF_RESULT_OK,
	};

	x.out = cJSON_CreateObject();
	if (!x.out || kind_parse(json_str(intent, "kind"), &x.kind) < 0) {
		cJSON_Delete(x.out);
		return x.out ? -EINVAL : -ENOMEM;
	}
	switch (x.kind) {
	case WF_ACT_SEND_BACK:
		exec_send_back(&x);
		break;
	case WF_ACT_LINK_DUPLICATE:
		exec_link_duplicate(&x);
		break;
	case WF_ACT_REQUEST_APPROVAL:
		exec_request_approval(&x);
		break;
	case WF_ACT_REMIND:
		exec_remind(&x);
		break;
	case WF_ACT_ESCALATE:
		exec_escalate(&x);
		break;
	case WF_ACT_IGNORE_DECISION:
		exec_ignore_decision(&x);
		break;
	case WF_ACT_REJECT:
		exec_reject(&x);
		break;
	case WF_ACT_EXPIRE:
		exec_expire(&x);
		break;
	case WF_ACT_EXECUTE:
	case WF_ACT_UNDO:
		exec_step(&x, recheck);
		break;
	case WF_ACT_COMPLETE:
		exec_complete(&x);
		break;
	case WF_ACT_COMPENSATE:
		exec_compensate(&x);
		break;
	case WF_ACT_BLOCK:
		exec_block(&x);
		break;
	case WF_ACT_NOTE_REMOVED:
		exec_note_removed(&x);
		break;
	case WF_ACT_WITHDRAW:
		exec_withdraw(&x);
		break;
	case WF_ACT_RULE_APPROVE:
		exec_rule_approve(&x);
		break;
	case WF_ACT_RULE_REJECT:
		exec_rule_reject(&x);
		break;
	case WF_ACT_RETRY_AT:
		break;
	}
	if (x.oom || !cJSON_AddStringToObject(x.out, "result", x.result == WF_RESULT_OK          ? "ok"
								 : x.result == WF_RESULT_TRANSIENT ? "transient"
												   : "permanent")) {
		cJSON_Delete(x.out);
		return -ENOMEM;
	}
	*ret_outcome = x.out;
	*ret = x.result;
	return 0;
}
