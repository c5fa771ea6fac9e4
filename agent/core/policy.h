/* SPDX-License-Identifier: Apache-2.0 */
/* Policy evaluation: what the configured policy says about one request.
 * Pure: no I/O, no clock (now is an argument), no logging; the same inputs
 * always give the same result.
 *
 * Two calls, because what must be looked up depends on the request:
 *
 *   1. policy_prepare(cfg, req, subject, &lk)
 *      finds the catalog item, resolves the target (a contractor gets the
 *      item's contractor_target), and lists what the caller must look up in
 *      the directory: people by object id (managers, owners, named approvers,
 *      backups), approver groups whose members are needed, the sponsor.
 *   2. the caller gathers struct policy_facts (people, group members, the
 *      sponsor, whether the person already holds the target, an open
 *      duplicate) and calls policy_evaluate(cfg, req, facts, now_ms, &res):
 *      the verdict, every problem found (a stable code and the sentence for
 *      the ticket), and the approval stages with the approvers to ask now,
 *      the backups for escalation, and the stage's deadlines.
 *
 * Rules, in the order they are checked:
 *   - no value the connectors refused (a control character, such as the
 *     U+0000 that would cut a name short) and no control character in a
 *     variable that names something (target, sponsor, dates, verifier):
 *     the request goes back naming the field, and nothing else is checked;
 *   - the person the access is for exists in the directory, is enabled, has
 *     started and has not left;
 *   - the requester is here now, and is someone the policy lets ask for
 *     the person: the person, their manager, or a member of a named group
 *     (requesters); where the item asks for it, a service-desk agent who
 *     is here, in the item's verification group and neither the requester
 *     nor the person, is named as having verified the requester;
 *   - the target is on the item's allow list (by name or object id,
 *     ignoring case); a contractor is given the item's contractor_target;
 *   - an open duplicate is linked; a person who already holds the target is
 *     done (these two only once the checks above passed);
 *   - completeness: target, justification (when the item names its
 *     variable), an end (time_bound items, and contractors when the policy
 *     says so), dates that parse and an end after the start and after now;
 *   - durations within the item's max_duration and, for contractors, the
 *     contractor max_duration; where the item needs one, a contractor's
 *     sponsor (named, or the manager when the policy says so) is an
 *     employee who is here now and not themselves;
 *   - the access never outlives the person's or the sponsor's known leave
 *     date: the end is brought forward to it, and the plan says so;
 *   - rules (rules.h): a valid request that one of the item's
 *     auto_reject_when rules matches is rejected, naming the rule and the
 *     facts that matched;
 *   - approvers: each stage's approvers are resolved; one who is missing
 *     from the facts, disabled, gone or not yet started, away (automatic
 *     replies on), the requester or the person is skipped, with the
 *     reason, and the first eligible backup stands in; a stage with nobody
 *     left (or, with quorum "all", a skipped approver nobody can replace)
 *     cannot be staffed;
 *   - a stage one of whose auto_approve_when rules matches is approved by
 *     that rule and needs nobody; never for a contractor, and a privileged
 *     stage only when it says auto_approve_privileged. Each stage's rule
 *     verdict says which rule decided and on what facts, or why none did
 *     (what `accessctl explain` shows).
 *
 * Contractors are recognised only from directory attributes (the policy's
 * contractors.match), never from anything in the ticket. */
#ifndef ACCESSD_POLICY_H
#define ACCESSD_POLICY_H

#include <stddef.h>
#include <stdint.h>

#include "conf/conf.h"
#include "model.h"
#include "rules.h"

/* What the workflow does with the request. */
enum policy_verdict {
	POLICY_IGNORE,         /* the policy does not govern its catalog item */
	POLICY_SEND_BACK,      /* problems the requester must fix; see problems */
	POLICY_LINK_DUPLICATE, /* an open request already asks for the same */
	POLICY_ALREADY_GRANTED,/* the person already holds the target: complete with a note */
	POLICY_BLOCK,          /* valid, but a stage cannot be staffed: incident for IAM */
	POLICY_PROCEED,        /* valid: ask the stages in order */
	POLICY_REJECT,         /* valid, but an auto_reject_when rule rejects it */
};

/* Stable problem codes (policy_code_name gives the text form for the
 * journal and the audit; never renumber, only add). */
enum policy_code {
	POLICY_SUBJECT_MISSING = 1,  /* the person is not in the directory */
	POLICY_SUBJECT_DISABLED,     /* the person's account is disabled */
	POLICY_REQUESTER_NOT_ALLOWED,/* neither the person nor their manager */
	POLICY_TARGET_MISSING,       /* no target given */
	POLICY_TARGET_NOT_ALLOWED,   /* not on the item's allow list */
	POLICY_JUSTIFICATION_MISSING,
	POLICY_END_MISSING,          /* no end date or duration where one is needed */
	POLICY_DATE_INVALID,         /* a date or duration that does not parse */
	POLICY_END_NOT_AFTER_START,  /* the end is not after the start or after now */
	POLICY_DURATION_TOO_LONG,    /* beyond the item's or the contractor maximum */
	POLICY_SPONSOR_MISSING,      /* contractor without a sponsor */
	POLICY_SPONSOR_INVALID,      /* sponsor unknown, disabled, or the person */
	POLICY_DUPLICATE,            /* see POLICY_LINK_DUPLICATE */
	POLICY_ALREADY_HAS_ACCESS,   /* see POLICY_ALREADY_GRANTED */
	POLICY_NO_APPROVER,          /* a stage that cannot be staffed */
	POLICY_VALUE_REFUSED,        /* a field holds a control character */
	POLICY_SUBJECT_NOT_CURRENT,  /* the person has left, not started, or cannot be read */
	POLICY_REQUESTER_NOT_CURRENT,/* the requester likewise */
	POLICY_SPONSOR_NOT_CURRENT,  /* the sponsor likewise */
	POLICY_VERIFICATION_MISSING, /* nobody is named as having verified the requester */
	POLICY_VERIFIER_INVALID,     /* the one named cannot verify */
};

/* Why an approver was not asked. */
enum policy_skip {
	POLICY_SKIP_NONE,
	POLICY_SKIP_MISSING,   /* not in the directory (or not looked up) */
	POLICY_SKIP_DISABLED,
	POLICY_SKIP_AWAY,      /* automatic replies on: out of office */
	POLICY_SKIP_REQUESTER, /* nobody approves their own request */
	POLICY_SKIP_SUBJECT,   /* nor access for themselves */
	POLICY_SKIP_DEPARTED,  /* left the organisation (employeeLeaveDateTime passed) */
	POLICY_SKIP_NOT_STARTED, /* starts later (employeeHireDate ahead) */
	POLICY_SKIP_UNREADABLE,  /* a directory record with a value accessd refused */
};

/* A group's members, as the caller found them in the directory. */
struct policy_group {
	const char *id;              /* the group's object id */
	const char *const *members;  /* members' object ids */
	size_t n_members;
};

/* What the directory and the ITSM say, gathered by the caller. Nothing here
 * is freed or kept by the policy functions. */
struct policy_facts {
	const struct person *subject;   /* the person the access is for; required */
	const struct person *requester; /* who opened the request; required */
	const struct person *sponsor;   /* the sponsor variable's person, or the manager
					 * (lookup.sponsor_is_manager); NULL: not looked up */
	const struct person *verifier;  /* the verification variable's person; NULL: not looked up */
	int verifier_in_group;          /* the verifier is in the item's verification group */
	const char *const *requester_groups; /* the lookup's requester groups the requester is in */
	size_t n_requester_groups;
	const struct person *people;    /* everyone else looked up by object id */
	size_t n_people;
	const struct policy_group *groups;
	size_t n_groups;
	int has_access;           /* the person already holds the resolved target */
	const char *duplicate_of; /* number of an open request (or incident) for the
				   * same person and target, or NULL */
	int duplicate_incident;   /* that is an incident in the ITSM */
	/* What the rules read beyond the people (policy_lookup says which). */
	int member_of_known;          /* the subject's direct groups were read */
	const char *const *member_of; /* their object ids */
	size_t n_member_of;
	const struct rule_holding *holdings; /* one per policy_lookup.holds */
	size_t n_holdings;
	const struct rule_zone *zones; /* one per policy_lookup.zones */
	size_t n_zones;
};

/* What policy_prepare found and what the caller must look up. */
struct policy_lookup {
	const struct item_config *item;     /* NULL: not governed (nothing else set) */
	const struct target_config *target; /* NULL: none given or not allowed */
	int contractor;                     /* the subject is a contractor */
	const char *sponsor;   /* the sponsor variable's value (points into the
				* request), NULL when none: look it up as the caller
				* maps ITSM users */
	int sponsor_is_manager; /* no sponsor variable: the person's manager sponsors */
	const char *verifier;   /* the verification variable's value (into the
				 * request), NULL when none */
	const char *verifier_group; /* check the verifier's membership of it (config) */
	const char *const *requester_groups; /* check the requester's membership of
					      * each (config), n_requester_groups */
	size_t n_requester_groups;
	char **people;         /* object ids to look up (owned), n_people of them */
	size_t n_people;
	char **groups;         /* group object ids whose members are needed (owned);
				* each member must then be looked up as well */
	size_t n_groups;
	/* What the rules of the item and its chain read: */
	int member_of; /* the subject's direct group memberships */
	const struct target_config **holds; /* whether the subject holds these (the
					     * array is owned, the targets not) */
	size_t n_holds;
	const char **zones; /* the offset of these zones now (array owned) */
	size_t n_zones;
};

struct policy_problem {
	enum policy_code code;
	char *text; /* one sentence for the ticket: what is wrong and what to do */
};

/* A resolved approver. */
struct policy_approver {
	char *id;       /* directory object id */
	char *upn;      /* userPrincipalName, NULL when the directory gave none */
	char *replaces; /* a stand-in: the object id of the approver it replaces
			 * (NULL for a primary, or for a stand-in for a whole group) */
	enum policy_skip reason; /* a stand-in: why the primary was skipped */
	char *why;      /* a stand-in: that as a sentence for the ticket */
	int64_t leave_ms; /* their known leave date; 0: none */
};

/* An approver who was not asked, and why. */
struct policy_skipped {
	char *id; /* object id; NULL when there was no one to resolve (no manager) */
	enum policy_skip reason;
	const char *role; /* "manager", "target_owner", ... as configured (static) */
};

struct policy_stage {
	const struct stage_config *config; /* points into the configuration */
	enum quorum quorum;
	struct policy_approver *approvers; /* ask these now */
	size_t n_approvers;
	struct policy_approver *escalation; /* add these at escalate_at_ms: the
					     * eligible backups not already asked */
	size_t n_escalation;
	struct policy_skipped *skipped;
	size_t n_skipped;
	/* Deadlines if the stage starts at now_ms (0: never); a later stage is
	 * re-timed with policy_stage_deadlines when it starts. */
	int64_t remind_at_ms;
	int64_t escalate_at_ms;
	int64_t expire_at_ms;
	/* rule.rule: the stage is approved by that rule, on the facts in
	 * rule.text; else rule.text says why its rules did not (empty: it
	 * has none). */
	struct rule_verdict rule;
	int privileged; /* one of the stages a privileged target adds */
};

struct policy_result {
	enum policy_verdict verdict;
	const struct item_config *item;     /* points into the configuration */
	const struct target_config *target; /* the target to grant; NULL when none */
	int contractor;
	int64_t start_ms; /* when access begins: the start date, or now */
	int64_t end_ms;   /* when it is removed; 0: never */
	char *end_note;   /* the end was brought forward to a leave date: the
			   * sentence saying so; NULL otherwise */
	struct policy_problem *problems;
	size_t n_problems;
	struct policy_stage *stages; /* in order; set for POLICY_PROCEED and POLICY_BLOCK */
	size_t n_stages;
	/* The item's auto_reject_when: reject.rule for POLICY_REJECT, else
	 * reject.text says why none matched (for valid requests). */
	struct rule_verdict reject;
};

/* Find the item and target of REQ and list what must be looked up about
 * SUBJECT's approvers. On success returns 0 and fills *RET (release with
 * policy_lookup_clear); -ENOMEM leaves *RET untouched. */
int policy_prepare(const struct config *cfg, const struct request *req, const struct person *subject,
		   struct policy_lookup *ret);
void policy_lookup_clear(struct policy_lookup *lk);

/* Evaluate REQ against the policy at NOW_MS with FACTS. On success returns
 * 0 and fills *RET (release with policy_result_clear); -ENOMEM, or -EINVAL
 * when FACTS lacks the subject or the requester, leaves *RET untouched. */
int policy_evaluate(const struct config *cfg, const struct request *req, const struct policy_facts *facts,
		    int64_t now_ms, struct policy_result *ret);
void policy_result_clear(struct policy_result *res);

/* The deadlines of STAGE when it starts at STARTED_MS (0: never). */
void policy_stage_deadlines(const struct stage_config *stage, int64_t started_ms, int64_t *remind_at_ms,
			    int64_t *escalate_at_ms, int64_t *expire_at_ms);

/* Whether PERSON is a contractor under CFG's contractors.match rules. */
int policy_is_contractor(const struct config *cfg, const struct person *person);

/* The stable name of a code ("subject_missing", ...), of a skip reason
 * ("away", ...) and of a verdict ("send_back", ...). */
const char *policy_code_name(enum policy_code code);
const char *policy_skip_name(enum policy_skip reason);
const char *policy_verdict_name(enum policy_verdict verdict);

/* Parse a date as catalog variables carry it: "YYYY-MM-DD" (the end of
 * that day when END_OF_DAY, else its start) or "YYYY-MM-DD HH:MM:SS", UTC,
 * into milliseconds since the epoch. Returns 0 or -EINVAL. */
int policy_parse_date(const char *s, int end_of_day, int64_t *ret_ms);

#endif
