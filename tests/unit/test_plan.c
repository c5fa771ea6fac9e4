/* SPDX-License-Identifier: Apache-2.0 */
/* The frozen plan and the journal form of the record: what the policy
 * decided survives the round trip through JSON, steps are resolved against
 * the configuration (a target that is gone refuses the plan), and action
 * ids are valid, stable and never a substring of one another (the ITSM
 * connector finds an earlier write by its id with LIKE). */
#include "config.h"

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "conf/conf.h"
#include "connectors/itsm.h"
#include "core/plan.h"
#include "example_conf.h"
#include "executor.h"
#include "util/json.h"

static struct config *cfg;

static int setup(void **state)
{
	(void)state;
	return example_conf_load(&cfg);
}

static int teardown(void **state)
{
	(void)state;
	cfg = conf_free(cfg);
	return 0;
}

static const struct target_config *target(const char *name)
{
	for (size_t i = 0; i < cfg->policy.n_targets; i++)
		if (strcmp(cfg->policy.targets[i].name, name) == 0)
			return &cfg->policy.targets[i];
	fail_msg("no target %s", name);
	return NULL;
}

static void test_plan_round_trip(void **state)
{
	struct policy_approver approvers[] = {
		{ .id = "d420265c-e4c3-405f-8f92-f5fb6894fdbd", .upn = "backup@contoso.example",
		  .replaces = "0a1b2c3d-0000-4000-8000-00000000000a", .reason = POLICY_SKIP_DEPARTED,
		  .why = "mgr@contoso.example left the organisation on 2026-11-24", .leave_ms = 1800000000000 },
	};
	struct policy_approver escalation[] = { { .id = "e0ab2f8d-e8d3-423d-9602-0f53c5f6e5da", .upn = NULL },
						{ .id = "7d8f20a6-4e83-4e5b-84b2-d98ee9dd93e3", .upn = "oscar@contoso.example",
						  .leave_ms = 1800000000001 } };
	const struct item_config *item = conf_find_item(cfg, NULL, "Add to Group");
	struct policy_stage stages[] = { {
		.config = &item->stages[0],
		.quorum = QUORUM_ALL,
		.approvers = approvers,
		.n_approvers = 1,
		.escalation = escalation,
		.n_escalation = 2,
	} };
	struct policy_result res = {
		.verdict = POLICY_PROCEED,
		.item = item,
		.target = target("Project-Apollo"),
		.end_ms = 123456789,
		.end_note = "Access ends on 1970-01-02, when bob@contoso.example leaves the organisation.",
		.stages = stages,
		.n_stages = 1,
	};
	struct request req = { .opened_by_upn = "Mia@Contoso.example", .requested_for_upn = "bob@contoso.example" };
	struct facts f = { 0 };
	struct plan p;
	cJSON *json;

	(void)state;
	assert_int_equal(plan_build(cfg, &req, &f, &res, &json), 0);
	assert_int_equal(plan_load(cfg, json, &p), 0);
	cJSON_Delete(json);
	assert_true(p.wf.valid);
	assert_false(p.wf.duplicate || p.wf.has_access || p.wf.unstaffed);
	assert_string_equal(p.wf.requester, "Mia@Contoso.example");
	assert_string_equal(p.wf.subject, "bob@contoso.example");
	/* The target and its also, in order. */
	assert_int_equal(p.wf.n_steps, 2);
	assert_ptr_equal(p.steps[0], target("Project-Apollo"));
	assert_ptr_equal(p.steps[1], target("Project-Apollo-Wiki"));
	assert_int_equal(p.wf.end_ms, 123456789);
	assert_int_equal(p.wf.n_stages, 1);
	assert_string_equal(p.wf.stages[0].approvers[0], "backup@contoso.example");
	/* Every backup, in order; one without a UPN is named by its object id. */
	assert_int_equal(p.wf.stages[0].n_backups, 2);
	assert_string_equal(p.wf.stages[0].backups[0], "e0ab2f8d-e8d3-423d-9602-0f53c5f6e5da");
	assert_string_equal(p.wf.stages[0].backups[1], "oscar@contoso.example");
	assert_true(p.wf.stages[0].quorum_all);
	/* Known leave dates travel with the approvers; a stand-in says why. */
	assert_true(p.wf.stages[0].approver_leaves_ms[0] == 1800000000000);
	assert_true(p.wf.stages[0].backup_leaves_ms[0] == 0);
	assert_true(p.wf.stages[0].backup_leaves_ms[1] == 1800000000001);
	assert_string_equal(json_str(cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(
					     cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(p.root, "stages"), 0),
					     "substitutes"), 0), "why"),
			    "mgr@contoso.example left the organisation on 2026-11-24");
	assert_string_equal(json_str(p.root, "end_note"), res.end_note);
	assert_int_equal(p.wf.stages[0].expire_after_ms, item->stages[0].expire_after_ms);
	assert_int_equal(p.wf.max_attempts, cfg->retry.max_attempts);
	assert_true(p.wf.rollback);
	plan_clear(&p);
}

/* Build the plan of RES for REQ with F and load it into *RET. */
static void build_and_load(const struct request *req, const struct facts *f, const struct policy_result *res,
			   struct plan *ret)
{
	cJSON *json;

	assert_int_equal(plan_build(cfg, req, f, res, &json), 0);
	assert_int_equal(plan_load(cfg, json, ret), 0);
	cJSON_Delete(json);
}

/* The plan names people as the directory does, by UPN ignoring case, and
 * keeps the end as the requester wrote it: an end date, or a duration from
 * the start given; nothing without an end. */
static void test_plan_keeps_names_and_the_end_as_written(void **state)
{
	struct variable end_vars[] = { { "end_date", "2027-01-31" } };
	struct variable span_vars[] = { { "duration", "30d" }, { "start_date", "2026-12-01" } };
	struct person people[] = {
		{ .exists = 1, .id = "d420265c-e4c3-405f-8f92-f5fb6894fdbd", .upn = "victor@contoso.example",
		  .display_name = "Victor Owner" },
		{ .exists = 1, .id = "7d8f20a6-4e83-4e5b-84b2-d98ee9dd93e3", .upn = "oscar@contoso.example" },
	};
	struct facts f = {
		.subject = { .exists = 1, .id = "0b0e2a41-1c3d-4e5f-8a9b-0c1d2e3f4a02", .upn = "bob@contoso.example",
			     .display_name = "Bob \"B\" Example" },
		.requester = { .exists = 1, .upn = "mia@contoso.example", .display_name = "Mia Manager" },
		.people = people,
		.n_people = 2,
	};
	struct policy_result res = {
		.verdict = POLICY_PROCEED,
		.item = conf_find_item(cfg, NULL, "Add to Group"),
		.target = target("Project-Apollo"),
		.end_ms = 1801440000000,
	};
	struct request req = { .vars = end_vars, .n_vars = 1 };
	struct plan p;

	(void)state;
	build_and_load(&req, &f, &res, &p);
	assert_string_equal(plan_name(&p, "BOB@contoso.example"), "Bob \"B\" Example");
	assert_string_equal(plan_name(&p, "mia@contoso.example"), "Mia Manager");
	assert_string_equal(plan_name(&p, "victor@contoso.example"), "Victor Owner");
	assert_null(plan_name(&p, "oscar@contoso.example"));
	assert_null(plan_name(&p, "eve@contoso.example"));
	assert_null(plan_name(&p, NULL));
	assert_string_equal(p.end_asked, "until 2027-01-31");
	plan_clear(&p);

	res.item = conf_find_item(cfg, NULL, "Shared Mailbox Access");
	res.target = target("Finance Shared Mailbox");
	req.vars = span_vars;
	req.n_vars = 2;
	build_and_load(&req, &f, &res, &p);
	assert_string_equal(p.end_asked, "for 30d from 2026-12-01");
	plan_clear(&p);
	req.n_vars = 1;
	build_and_load(&req, &f, &res, &p);
	assert_string_equal(p.end_asked, "for 30d");
	plan_clear(&p);
	res.end_ms = 0;
	build_and_load(&req, &f, &res, &p);
	assert_null(p.end_asked);
	plan_clear(&p);
}

/* A rule's decision is frozen with the plan: the stage it approved, with
 * the rule and the facts it matched, and why another stage's rules did
 * not; a rejection by rule, with its rule and facts. */
static void test_plan_keeps_rule_decisions(void **state)
{
	const struct item_config *item = conf_find_item(cfg, NULL, "Shared Mailbox Access");
	struct policy_approver mgr = { .id = "0a1b2c3d-0000-4000-8000-00000000000a", .upn = "mia@contoso.example" };
	struct policy_approver owner = { .id = "7cf9fc67-6d20-49c2-ad63-81a962c05601", .upn = "olivia@contoso.example" };
	struct policy_stage stages[2] = {
		{ .config = &item->stages[0], .approvers = &mgr, .n_approvers = 1 },
		{ .config = &item->stages[1], .approvers = &owner, .n_approvers = 1 },
	};
	struct policy_result res = { .verdict = POLICY_PROCEED, .item = item, .target = target("Finance Shared Mailbox"),
				     .stages = stages, .n_stages = 2 };
	struct request req = { .opened_by_upn = "bob@contoso.example", .requested_for_upn = "bob@contoso.example" };
	struct facts f = { 0 };
	struct plan_rule pr;
	struct plan p;
	cJSON *json;

	(void)state;
	stages[0].rule.rule = &item->stages[0].auto_approve[0];
	snprintf(stages[0].rule.text, sizeof(stages[0].rule.text), "department is \"Finance\"");
	snprintf(stages[1].rule.text, sizeof(stages[1].rule.text), "rule \"x\": department is not known");
	assert_int_equal(plan_build(cfg, &req, &f, &res, &json), 0);
	assert_int_equal(plan_load(cfg, json, &p), 0);
	cJSON_Delete(json);
	assert_int_equal(p.wf.n_stages, 2);
	assert_true(p.wf.stages[0].by_rule);
	assert_false(p.wf.stages[1].by_rule);
	assert_false(p.wf.rule_rejected);
	plan_rule(&p, 0, &pr);
	assert_string_equal(pr.rule, "finance-staff-short");
	assert_string_equal(pr.because, "department is \"Finance\"");
	assert_null(pr.why_not);
	plan_rule(&p, 1, &pr);
	assert_null(pr.rule);
	assert_null(pr.because);
	assert_string_equal(pr.why_not, "rule \"x\": department is not known");
	plan_rule(&p, 2, &pr);
	assert_null(pr.rule);
	assert_null(pr.why_not);
	plan_rule(&p, -1, &pr);
	assert_null(pr.rule);
	assert_null(pr.why_not);
	plan_clear(&p);

	item = conf_find_item(cfg, NULL, "Add to Group");
	res = (struct policy_result){ .verdict = POLICY_REJECT, .item = item, .target = target("Server-Admins") };
	res.reject.rule = &item->auto_reject[0];
	snprintf(res.reject.text, sizeof(res.reject.text), "user type is \"Guest\"");
	assert_int_equal(plan_build(cfg, &req, &f, &res, &json), 0);
	assert_int_equal(plan_load(cfg, json, &p), 0);
	cJSON_Delete(json);
	assert_true(p.wf.valid);
	assert_true(p.wf.rule_rejected);
	assert_int_equal(p.wf.n_steps, 0);
	assert_int_equal(p.wf.n_stages, 0);
	plan_rule(&p, -1, &pr);
	assert_string_equal(pr.rule, "no-guest-admins");
	assert_string_equal(pr.because, "user type is \"Guest\"");
	plan_clear(&p);
}

static void test_send_back_keeps_the_sentences(void **state)
{
	struct policy_problem problems[] = { { POLICY_END_MISSING, "An end date is required." },
					     { POLICY_SPONSOR_MISSING, "Name a sponsor." } };
	struct policy_result res = { .verdict = POLICY_SEND_BACK, .problems = problems, .n_problems = 2 };
	struct request req = { 0 };
	struct facts f = { 0 };
	struct plan p;
	cJSON *json;
	char *text;

	(void)state;
	assert_int_equal(plan_build(cfg, &req, &f, &res, &json), 0);
	assert_int_equal(plan_load(cfg, json, &p), 0);
	cJSON_Delete(json);
	assert_false(p.wf.valid);
	assert_int_equal(p.wf.n_steps, 0);
	text = plan_problems(&p);
	assert_string_equal(text, "- An end date is required.\n- Name a sponsor.\n");
	free(text);
	plan_clear(&p);
}

static void test_plan_naming_a_removed_target_is_refused(void **state)
{
	cJSON *json = cJSON_Parse("{\"verdict\":\"proceed\",\"steps\":[\"No-Such-Target\"],\"stages\":[]}");
	struct plan p = { 0 };

	(void)state;
	assert_int_equal(plan_load(cfg, json, &p), -EINVAL);
	assert_null(p.root);
	cJSON_Delete(json);
	json = cJSON_Parse("{\"steps\":[]}");
	assert_int_equal(plan_load(cfg, json, &p), -EINVAL);
	cJSON_Delete(json);
}

static void test_record_round_trip(void **state)
{
	struct wf_record in = { .state = WF_ROLLING_BACK, .stage = 2, .stage_since_ms = 1764057600123,
				.reminded = 1, .escalated = 1, .granted = 0x5, .undone = 0x4, .step = 3,
				.attempts = 2, .retry_at_ms = 1764057601123, .seen_ms = 1764057599999 };
	struct wf_record out = { 0 };
	cJSON *json = plan_record_json(&in);

	(void)state;
	assert_non_null(json);
	assert_int_equal(plan_record_parse(json, &out), 0);
	assert_memory_equal(&in, &out, sizeof(in));
	cJSON_ReplaceItemInObject(json, "state", cJSON_CreateNumber(99));
	out.state = WF_NEW;
	assert_int_equal(plan_record_parse(json, &out), -EINVAL);
	assert_int_equal(out.state, WF_NEW);
	cJSON_Delete(json);
}

/* Every ITSM's numbers make usable action ids; ServiceNow's stay as they
 * were journaled, and two numbers never share a base. */
static void test_action_base(void **state)
{
	static const char *numbers[] = { "RITM0010001", "C 2611 001", "C_2611_001", "C 2512-0012", "SR-42", "4711",
					 "I 2301 104", "n\u00famero", "A234567890123456789012345678901234567890",
					 "A2345678901234567890123456789012345678901", "" };
	enum { N = sizeof(numbers) / sizeof(numbers[0]) };
	static const struct wf_action longest = { WF_ACT_IGNORE_DECISION, 10, 0, "mia@contoso.example",
						  1764057600123, WF_IGNORE_NOT_APPROVER };
	char bases[N][EXECUTOR_BASE_MAX], id[128];

	(void)state;
	for (size_t i = 0; i < N; i++) {
		struct exec_request r = { .number = numbers[i], .base = bases[i] };

		executor_action_base(numbers[i], 12, bases[i], sizeof(bases[i]));
		executor_action_id(&r, &longest, WF_AWAITING, id, sizeof(id));
		assert_true(itsm_action_id_ok(id));
		for (size_t k = 0; k < i; k++)
			assert_string_not_equal(bases[i], bases[k]);
	}
	assert_string_equal(bases[0], "RITM0010001.r12");
	assert_string_equal(bases[4], "SR-42.r12");
	assert_string_equal(bases[8], "A234567890123456789012345678901234567890.r12");
	assert_memory_equal(bases[1], "C_2611_001-", 11);
	assert_memory_equal(bases[9], "A234567890123456789012345678901234567890-", 41);
}

static void test_action_ids(void **state)
{
	static const struct wf_action acts[] = {
		{ WF_ACT_REQUEST_APPROVAL, 0, 0, "mia@contoso.example", 0, WF_IGNORE_NOT_APPROVER },
		{ WF_ACT_REQUEST_APPROVAL, 1, 0, "mia@contoso.example", 0, WF_IGNORE_NOT_APPROVER },
		{ WF_ACT_REQUEST_APPROVAL, 10, 0, "mia@contoso.example", 0, WF_IGNORE_NOT_APPROVER },
		{ WF_ACT_REQUEST_APPROVAL, 1, 0, "sam@contoso.example", 0, WF_IGNORE_NOT_APPROVER },
		{ WF_ACT_ESCALATE, 1, 0, "sid@contoso.example", 0, WF_IGNORE_NOT_APPROVER },
		{ WF_ACT_REMIND, 1, 0, NULL, 0, WF_IGNORE_NOT_APPROVER },
		{ WF_ACT_IGNORE_DECISION, 1, 0, "eve@contoso.example", 1764057600123, WF_IGNORE_NOT_APPROVER },
		{ WF_ACT_EXECUTE, 0, 1, NULL, 0, WF_IGNORE_NOT_APPROVER },
		{ WF_ACT_EXECUTE, 0, 10, NULL, 0, WF_IGNORE_NOT_APPROVER },
		{ WF_ACT_UNDO, 0, 1, NULL, 0, WF_IGNORE_NOT_APPROVER },
		{ WF_ACT_COMPLETE, 0, 0, NULL, 0, WF_IGNORE_NOT_APPROVER },
		{ WF_ACT_BLOCK, 0, 0, NULL, 0, WF_IGNORE_NOT_APPROVER },
		{ WF_ACT_COMPENSATE, 0, 0, NULL, 0, WF_IGNORE_NOT_APPROVER },
		{ WF_ACT_SEND_BACK, 0, 0, NULL, 0, WF_IGNORE_NOT_APPROVER },
		{ WF_ACT_RULE_APPROVE, 1, 0, NULL, 0, WF_IGNORE_NOT_APPROVER },
		{ WF_ACT_RULE_APPROVE, 10, 0, NULL, 0, WF_IGNORE_NOT_APPROVER },
		{ WF_ACT_RULE_REJECT, 0, 0, NULL, 0, WF_IGNORE_NOT_APPROVER },
	};
	enum { N = sizeof(acts) / sizeof(acts[0]) };
	struct exec_request r = { .number = "RITM0010001", .base = "RITM0010001.r1" };
	char ids[N + 1][128], again[128];

	(void)state;
	for (size_t i = 0; i < N; i++) {
		executor_action_id(&r, &acts[i], WF_IMPLEMENTING, ids[i], sizeof(ids[i]));
		assert_true(itsm_action_id_ok(ids[i]));
		executor_action_id(&r, &acts[i], WF_IMPLEMENTING, again, sizeof(again));
		assert_string_equal(ids[i], again);
	}
	/* A removal at the end date is not the rollback of the same step. */
	executor_action_id(&r, &acts[9], WF_REMOVING, ids[N], sizeof(ids[N]));
	for (size_t i = 0; i <= N; i++)
		for (size_t k = 0; k <= N; k++)
			if (i != k && strstr(ids[k], ids[i]))
				fail_msg("%s is part of %s", ids[i], ids[k]);
	assert_string_equal(ids[7], "RITM0010001.r1.t1.grant");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_plan_round_trip),
		cmocka_unit_test(test_plan_keeps_names_and_the_end_as_written),
		cmocka_unit_test(test_plan_keeps_rule_decisions),
		cmocka_unit_test(test_send_back_keeps_the_sentences),
		cmocka_unit_test(test_plan_naming_a_removed_target_is_refused),
		cmocka_unit_test(test_record_round_trip),
		cmocka_unit_test(test_action_ids),
		cmocka_unit_test(test_action_base),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
