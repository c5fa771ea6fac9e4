# SPDX-License-Identifier: Apache-2.0
"""accessd --check-config on the shipped example and on broken copies of it:
exit 0 and a summary of the governed items and their approval chains, or
exit 2 and every problem as FILE:LINE: what is wrong; what to write instead."""

import os
import re
import tempfile
import unittest

import harness

EXAMPLE = os.path.join(harness.SRCDIR, "conf", "accessd.conf")
FRESHSERVICE_EXAMPLE = os.path.join(harness.SRCDIR, "conf", "accessd-freshservice.conf")
XURRENT = os.path.join(harness.SRCDIR, "conf", "accessd-xurrent.conf")


def example_text(path=EXAMPLE):
    with open(path) as f:
        return f.read()


def line_of(text, needle, nth=1):
    """The 1-based line of the NTH line containing NEEDLE."""
    seen = 0
    for number, line in enumerate(text.splitlines(), 1):
        if needle in line:
            seen += 1
            if seen == nth:
                return number
    raise AssertionError("%r not in the example" % needle)


class ConfigCase(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.TemporaryDirectory()
        self.addCleanup(self.dir.cleanup)

    def check(self, text):
        path = os.path.join(self.dir.name, "accessd.conf")
        with open(path, "w") as f:
            f.write(text)
        return path, harness.run_binary(harness.ACCESSD, "--check-config", "-c", path)


class CheckConfig(ConfigCase):

    def test_example_is_valid_and_summarised(self):
        proc = harness.run_binary(harness.ACCESSD, "--check-config", "-c", EXAMPLE)
        self.assertEqual(proc.returncode, 0, proc.stderr)
        self.assertEqual(proc.stderr, "")
        out = proc.stdout
        self.assertIn("configuration OK", out)
        self.assertIn("approvals: create; partial failure: rollback", out)
        self.assertIn('governs: "VPN Access" -> VPN-Users, VPN-Users-Contractors; contractors get '
                      'VPN-Users-Contractors', out)
        self.assertRegex(out, r'governs: "Add to Group" -> Project-Apollo \+ Project-Apollo-Wiki, Server-Admins \(privileged\)\n'
                              r'  requested by: [^\n]*\n'
                              r'  rejected by rule no-guest-admins\n'
                              r'  approval: manager \(manager, any, 1 backup, escalate 24h, expire 5d, or by rule '
                              r'apollo-team\)\n'
                              r'  privileged targets add: security \(group, any')
        self.assertRegex(out, r'governs: "Shared Mailbox Access" -> Finance Shared Mailbox\n'
                              r'  requested by: the person, their manager, members of group '
                              r'5e7d1c2b-8a9f-4b3c-9d2e-1f0a3b4c5d6e; contractors need no sponsor\n'
                              r'  approval: manager \(manager, any, 1 backup, escalate 24h, expire 3d, or by rule '
                              r'finance-staff-short\) -> mailbox owner \(target owner, any, 1 backup, remind 4h, '
                              r'escalate 24h, expire 3d\)')
        self.assertRegex(out, r'  approval: manager \(manager, [^)]*, or by rule it-staff-vpn\) -> security \(group, ')
        self.assertIn('governs: "Application Access" -> Expenses Approver\n'
                      '  requested by: the person, their manager, members of group '
                      '5e7d1c2b-8a9f-4b3c-9d2e-1f0a3b4c5d6e; verified by an agent of group '
                      '5e7d1c2b-8a9f-4b3c-9d2e-1f0a3b4c5d6e named in "verified_by"; contractors\' sponsor: their '
                      'manager\n', out)

    def test_xurrent_example_is_valid_and_summarised(self):
        proc = harness.run_binary(harness.ACCESSD, "--check-config", "-c", XURRENT)
        self.assertEqual(proc.returncode, 0, proc.stderr)
        self.assertEqual(proc.stderr, "")
        self.assertIn("itsm: xurrent at https://api.xurrent.com\n", proc.stdout)
        self.assertIn('governs: "VPN Access" -> VPN-Users, VPN-Users-Contractors', proc.stdout)
        self.assertIn('governs: "Shared Mailbox Access" -> Finance Shared Mailbox', proc.stdout)
        # The region and environment give the API's host.
        for region, env, host in (("au", "production", "api.au.xurrent.com"), ("global", "qa", "api.xurrent.qa"),
                                  ("ch", "qa", "api.ch.xurrent.qa"), ("global", "demo", "api.xurrent-demo.com")):
            text = example_text(XURRENT).replace('region = "global";', 'region = "%s";' % region).replace(
                'environment = "production";', 'environment = "%s";' % env)
            path, proc = self.check(text)
            self.assertEqual(proc.returncode, 0, proc.stderr)
            self.assertIn("itsm: xurrent at https://%s\n" % host, proc.stdout)

    def test_xurrent_mistakes_name_their_line(self):
        text = example_text(XURRENT)
        changes = [
            ('  account = "contoso-it";', '  accout = "contoso-it";',
             "unknown setting 'accout' in itsm; write 'account' instead"),
            ('region = "global";', 'region = "europe";', 'unknown region "europe"; write one of: global, au, uk, us, ch'),
            ('method = "api_key";', 'method = "basic";',
             'Xurrent takes a personal access token or OAuth client credentials; write method = "api_key";'),
            ('user_attribute = "primary_email";', 'user_attribute = "user_name";',
             "Xurrent people are mapped to the directory by their primary e-mail; write user_attribute = "
             '"primary_email"; or leave it out'),
            ("page_size = 100;", "page_size = 250;", "Xurrent pages hold at most 100 records; write page_size = 100;"),
            ('sent_back = "waiting_for_customer";', 'sent_back = "completed/solved";',
             "sent_back leaves the request open, so it takes a status other than completed and no reason; write "
             'sent_back = "in_progress";'),
            ('rejected = "completed/rejected";', 'rejected = "waiting_for";',
             'rejected closes the request, so it is completed with a reason; write rejected = "completed/solved";'),
            ('expired = "completed/no_reply";', 'expired = "completed/noreply";',
             "'expired' names no completion reason \"noreply\"; write expired = \"completed/no_reply\";"),
            ('blocked = "in_progress";', 'blocked = "in_progres";',
             "'blocked' names no request status \"in_progres\"; write blocked = \"in_progress\";"),
            ('impact = "low";', 'impact = "minor";', 'unknown impact "minor"'),
            ('source = "accessd";', 'source = "!accessd";', "source must be 1 to 30 characters"),
            ('burst = 19;', 'burst = 0;', "'burst' must be a whole number from 1 to 1000; write burst = 1;"),
        ]
        for old, new, message in changes:
            with self.subTest(new=new):
                broken = text.replace(old, new, 1)
                path, proc = self.check(broken)
                self.assertEqual(proc.returncode, 2)
                self.assertEqual(proc.stdout, "")
                self.assertIn("%s:%d: %s" % (path, line_of(broken, new), message), proc.stderr)
        # base_url or region, not both; with a base_url, client credentials name their endpoint.
        broken = text.replace('environment = "production";', 'environment = "production"; base_url = '
                              '"https://api.xurrent.com";').replace('method = "api_key";',
                                                                   'method = "client_credentials"; client_id = "c";'
                                                                   ' client_secret_file = "/s";').replace(
            '    api_key_credential = "xurrent-token";\n', "")
        path, proc = self.check(broken)
        self.assertEqual(proc.returncode, 2)
        self.assertIn("%s:%d: base_url names the API already; remove region" % (path, line_of(broken, "region =")),
                      proc.stderr)
        self.assertIn("with a base_url, client credentials need the token endpoint; add token_url", proc.stderr)

    def test_misspelled_key_names_line_and_suggestion(self):
        text = example_text()
        number = line_of(text, "escalate_after = ", 2)
        broken = "\n".join(line.replace("escalate_after", "escalate_afer") if i == number else line
                           for i, line in enumerate(text.splitlines(), 1)) + "\n"
        path, proc = self.check(broken)
        self.assertEqual(proc.returncode, 2)
        self.assertEqual(proc.stdout, "")
        self.assertEqual(proc.stderr,
                         "%s:%d: unknown setting 'escalate_afer' in a stage; write 'escalate_after' instead\n"
                         % (path, number))

    def test_every_problem_is_listed(self):
        text = example_text()
        text = text.replace('poll_interval = "60s";', 'pol_interval = "60s";')
        text = text.replace('class = "privileged";', 'class = "priviledged";')
        text = text.replace('approvals = "create";', 'approvals = "sometimes";')
        text = text.replace('group_id = "70940853-3a35-40c8-aef5-a5aced4a31fc";', 'group_id = "VPN-Users";')
        path, proc = self.check(text)
        self.assertEqual(proc.returncode, 2)
        lines = proc.stderr.splitlines()
        self.assertEqual(len(lines), 4, proc.stderr)
        for line in lines:
            self.assertRegex(line, "^" + re.escape(path) + r":\d+: [^;]+; .+")
        self.assertIn("%s:%d: unknown setting 'pol_interval' in daemon; write 'poll_interval' instead"
                      % (path, line_of(text, "pol_interval")), lines)
        self.assertIn('%s:%d: unknown class "priviledged"; write class = "privileged";'
                      % (path, line_of(text, "priviledged")), lines)
        self.assertIn('%s:%d: unknown approvals "sometimes"; write one of: create, observe'
                      % (path, line_of(text, "sometimes")), lines)

    def test_inline_secret_is_refused(self):
        text = example_text().replace('password_credential = "servicenow-password";', 'password = "hunter2";')
        path, proc = self.check(text)
        self.assertEqual(proc.returncode, 2)
        self.assertIn("%s:%d: a secret is never written in the configuration; write password_file = "
                      % (path, line_of(text, "hunter2")), proc.stderr)
        self.assertNotIn("hunter2", proc.stderr)

    def test_target_outside_allow_list(self):
        text = example_text().replace('target = "VPN-Users";', 'target = "Server-Admins";')
        path, proc = self.check(text)
        self.assertEqual(proc.returncode, 2)
        self.assertIn('%s:%d: target "Server-Admins" is not on this item\'s allow list; add it to allow, or '
                      'write one of: "VPN-Users", "VPN-Users-Contractors"'
                      % (path, line_of(text, 'target = "Server-Admins";')), proc.stderr)

    def test_kind_without_a_connector_names_the_kinds_built_in(self):
        # The registry is the one list: a kind with no connector is
        # refused, naming those built in, so ExecStartPre= fails rather
        # than the start.
        text = example_text().replace('kind = "servicenow";', 'kind = "jira";')
        path, proc = self.check(text)
        self.assertEqual(proc.returncode, 2)
        self.assertRegex(proc.stderr, '^%s:%d: no itsm connector of kind "jira" is built in \\(built in: '
                                      'servicenow, topdesk[^)]*\\); write kind = "servicenow";\n$'
                         % (re.escape(path), line_of(text, 'kind = "jira";')))
        text = example_text().replace('kind = "teams";', 'kind = "slack";')
        path, proc = self.check(text)
        self.assertEqual(proc.returncode, 2)
        self.assertIn('%s:%d: no notify connector of kind "slack" is built in (built in: teams); write kind = '
                      '"teams";' % (path, line_of(text, 'kind = "slack";')), proc.stderr)

    def test_servicenow_state_mapping_is_checked(self):
        mapping = ('  states = {\n'
                   '    sent_back = { state = "4"; };\n'
                   '    complted = { state = "3"; };\n'
                   '    completed = { state = "30"; stage = "done"; };\n'
                   '  };\n'
                   '  closed_states = ( "3", "4", "7" );\n'
                   '  approval_states = { approved = ( "approved", "rejected" ); };\n')
        text = example_text().replace('kind = "servicenow";\n', 'kind = "servicenow";\n' + mapping, 1)
        path, proc = self.check(text)
        self.assertEqual(proc.returncode, 2)
        lines = proc.stderr.splitlines()
        self.assertEqual(sorted(lines), sorted([
            "%s:%d: unknown setting 'complted' in states; write 'completed' instead"
            % (path, line_of(text, "complted")),
            '%s:%d: approval state "rejected" means both approved and rejected; give it to one of them'
            % (path, line_of(text, "approval_states")),
            '%s:%d: states.sent_back writes state "4", which closed_states counts as closed: accessd would take '
            'its own ticket for one closed by hand; write an open state for sent_back, or remove "4" from '
            'closed_states' % (path, line_of(text, "sent_back = ")),
            '%s:%d: states.completed writes state "30", which is not in closed_states: the request would not '
            'read as closed; add "30" to closed_states' % (path, line_of(text, "completed = ")),
        ]))
        good = ('  states = { completed = { state = "30"; stage = "done"; }; };\n'
                '  closed_states = ( "30", "4", "7" );\n'
                '  approval_states = { approved = ( "approved", "approved_by_delegate" ); };\n')
        text = example_text().replace('kind = "servicenow";\n', 'kind = "servicenow";\n' + good, 1)
        path, proc = self.check(text)
        self.assertEqual(proc.returncode, 0, proc.stderr)

    def test_requesters_verification_and_sponsor_keys(self):
        """Each mistake in the keys of issue 12 is named with its line and
        what to write instead."""
        text = example_text()
        cases = [
            ('requesters = ( "subject", "manager", "group:5e7d1c2b-8a9f-4b3c-9d2e-1f0a3b4c5d6e" );',
             'requesters = ( "subject", "manger" );',
             'unknown requester "manger"; write "manager" instead'),
            ('requesters = ( "subject", "manager", "group:5e7d1c2b-8a9f-4b3c-9d2e-1f0a3b4c5d6e" );',
             'requesters = ( "group:ServiceDesk" );',
             '"group:ServiceDesk" in requesters does not end in a GUID; write "group:'),
            ('requesters = ( "subject", "manager", "group:5e7d1c2b-8a9f-4b3c-9d2e-1f0a3b4c5d6e" );',
             'requesters = ( );', 'requesters is empty, so nobody could ask; write requesters = ( "subject", '
             '"manager" );'),
            ('        group = "5e7d1c2b-8a9f-4b3c-9d2e-1f0a3b4c5d6e";\n', '',
             'verification names no group; add group = "'),
            ('        variable = "verified_by";\n', '        varaible = "verified_by";\n',
             "unknown setting 'varaible' in verification; write 'variable' instead"),
            ('manager_as_sponsor = true;', 'manager_as_sponsor = false;',
             'contractors need a sponsor, but item "Application Access" has no sponsor variable; add variables = { '
             'sponsor = "..."; }; or sponsor_required = false; to the item, or manager_as_sponsor = true; to '
             'policy.contractors'),
            ('      sponsor_required = false;\n', '      sponsor_required = "no";\n',
             "'sponsor_required' must be true or false"),
        ]
        for old, new, message in cases:
            with self.subTest(new=new):
                self.assertIn(old, text)
                broken = text.replace(old, new, 1)
                path, proc = self.check(broken)
                self.assertEqual(proc.returncode, 2, proc.stderr)
                self.assertRegex(proc.stderr, "^" + re.escape(path) + r":\d+: ")
                self.assertIn(message, proc.stderr)

    def test_rule_problems_name_the_line(self):
        # A rule on the privileged security stage without the flag that
        # allows it, a misspelled condition, a zone the database lacks and a
        # group that is not an object id: each with its line and the fix.
        text = example_text()
        security = line_of(text, 'privileged_stages = (') + 1
        lines = text.splitlines()
        lines[security - 1] += ' auto_approve_when = { name = "sec-it"; department = "IT"; };'
        text = "\n".join(lines) + "\n"
        text = text.replace('department = "IT";\n', 'departmnt = "IT";\n', 1)
        text = text.replace('zone = "Europe/Amsterdam";', 'zone = "Europe/Amsterdm";')
        text = text.replace('member_of = "4e1f7a2c-9b3d-4c8e-a5f6-2d7b8c9e0f1a";', 'member_of = "Apollo-Team";')
        path, proc = self.check(text)
        self.assertEqual(proc.returncode, 2)
        self.assertEqual(proc.stdout, "")
        lines = proc.stderr.splitlines()
        self.assertIn('%s:%d: stage "security" is added for privileged targets, and a rule approves it only when '
                      'the stage says so; add auto_approve_privileged = true; or remove auto_approve_when'
                      % (path, security), lines)
        self.assertIn("%s:%d: unknown setting 'departmnt' in a rule; write 'department' instead"
                      % (path, line_of(text, "departmnt")), lines)
        self.assertIn('%s:%d: time zone "Europe/Amsterdm" is not in the time zone database (/usr/share/zoneinfo; '
                      'is tzdata installed?); write an IANA name like zone = "Europe/Amsterdam";'
                      % (path, line_of(text, '"Europe/Amsterdm"; days = ( "mon", "tue", "wed"')), lines)
        self.assertIn('%s:%d: member_of "Apollo-Team" is not a GUID; write the group\'s object id, like member_of = '
                      '( "3f2b8c1e-5d4a-4e6b-9c7d-1a2b3c4d5e6f" );' % (path, line_of(text, '"Apollo-Team"')), lines)
        self.assertEqual(len(lines), 4, proc.stderr)
        # With the flag the stage may be approved by its rule.
        fixed = example_text().splitlines()
        fixed[security - 1] += (' auto_approve_privileged = true; auto_approve_when = { name = "sec-it"; '
                                'department = "IT"; };')
        path, proc = self.check("\n".join(fixed) + "\n")
        self.assertEqual(proc.returncode, 0, proc.stderr)
        self.assertIn("privileged targets add: security (group, any, 1 backup, remind 8h, escalate 24h, expire 5d, "
                      "or by rule sec-it)", proc.stdout)

    def test_freshservice_example_is_valid_and_summarised(self):
        proc = harness.run_binary(harness.ACCESSD, "--check-config", "-c", FRESHSERVICE_EXAMPLE)
        self.assertEqual(proc.returncode, 0, proc.stderr)
        self.assertEqual(proc.stderr, "")
        self.assertIn("configuration OK", proc.stdout)
        self.assertIn("itsm: freshservice at https://contoso.freshservice.com\n", proc.stdout)
        self.assertIn('governs: "VPN Access" -> VPN-Users, VPN-Users-Contractors', proc.stdout)
        self.assertIn('governs: "Shared Mailbox Access" -> Finance Shared Mailbox', proc.stdout)

    def test_freshservice_mistakes_name_their_line_and_the_fix(self):
        """Each mistake in the Freshservice example is reported alone, at the
        line of the setting, with what to write instead."""
        text = example_text(FRESHSERVICE_EXAMPLE)
        cases = [
            ('    completed = 4;\n', '    completed = 3;\n',
             "statuses.completed writes status 3, which is not in closed_statuses: the request would not read "
             "as closed; add 3 to closed_statuses"),
            ('    sent_back = 3;\n', '    sent_back = 5;\n',
             "statuses.sent_back writes status 5, which closed_statuses counts as closed: accessd would take its "
             "own ticket for one closed by hand; write an open status for sent_back, or remove 5 from "
             "closed_statuses"),
            ('    implementing = 7;', '    implementing = "Implementing";',
             "'implementing' must be a whole number from 2 to 1000000 (no quotes); write implementing = 7;"),
            ('  closed_statuses = ( 4, 5 );', '  closed_statuses = ( "Resolved", 5 );',
             "closed_statuses holds ticket status ids (2 Open, 3 Pending, 4 Resolved, 5 Closed, or a custom "
             "status's id); write closed_statuses = ( 4, 5 );"),
            ('    rejected = 3;\n', '    rejected = 6;\n',
             "'rejected' must be a whole number from 1 to 5 (no quotes); write rejected = 4;"),
            ('  page_size = 100;', '  page_size = 200;', "Freshservice pages at most 100 records; write page_size = 100;"),
            ('    requester = "accessd@contoso.example";', '    requester = "IAM team";',
             'requester "IAM team" is not an e-mail address; write requester = "accessd@example.com";'),
            ('    group_id = "21000188390";', '    group_id = 21000188390;',
             "'group_id' must be a Freshservice id, written as a string of digits; write group_id = "
             '"21000188390";'),
            ('  first_poll_lookback = "30d";', '  first_poll_lookback = "30 days";', "first_poll_lookback"),
            ('    method = "api_key";', '    method = "basic";',
             'Freshservice takes an API key (an agent\'s, from their profile settings); write method = "api_key"; '
             'api_key_file = "/etc/accessd/freshservice.key";', 4),
            ('  approval_type = 1;', '  approval_type = 5;',
             "'approval_type' must be a whole number from 1 to 4 (no quotes); write approval_type = 1;"),
            ('    reserve = 50;', '    reseve = 50;', "unknown setting 'reseve' in rate_limit; write 'reserve' instead"),
            ('  base_url = "https://contoso.freshservice.com";',
             '  base_url = "https://contoso.freshservice.com/api/v2";',
             'base_url is the account\'s address, without the API\'s path; write base_url = '
             '"https://yourcompany.freshservice.com";'),
            ('  user_attribute = "email";', '  user_attribute = "user_name";',
             'Freshservice users map to the directory by e-mail; write user_attribute = "email"; or leave it out'),
            ('  # workspace_id = 2;', '  workspace_id = "IT";',
             "'workspace_id' must be a whole number from 0 to 9007199254740991 (no quotes); write workspace_id = 2;"),
            ('    window = "60s";', '    window = "500ms";', "window"),
        ]
        for old, new, message, *more in cases:
            with self.subTest(new=new):
                self.assertIn(old, text)
                broken = text.replace(old, new, 1)
                path, proc = self.check(broken)
                self.assertEqual(proc.returncode, 2, proc.stderr)
                lines = proc.stderr.splitlines()
                # Another method asks for its own settings too (conf.c).
                self.assertEqual(len(lines), more[0] if more else 1, proc.stderr)
                self.assertIn(message, lines[0])
                self.assertTrue(lines[0].startswith("%s:%d: " % (path, line_of(broken, new.strip()))), lines[0])

    def test_freshservice_connection_needs_its_incident_requester(self):
        text = example_text(FRESHSERVICE_EXAMPLE)
        start = text.index("  incident = {\n    requester")
        end = text.index("};\n", start) + 3
        path, proc = self.check(text[:start] + text[end:])
        self.assertEqual(proc.returncode, 2)
        self.assertEqual(proc.stderr, "%s:%d: 'incident' is missing in this Freshservice connection; write incident = "
                                      "{ requester = \"accessd@example.com\"; }; (the requester of the incidents "
                                      "accessd opens for the IAM team)\n" % (path, line_of(text, "itsm = {")))

    def test_harness_minimal_items_stay_valid(self):
        with harness.Emulator() as emu:
            agent = harness.Agent(emu, items=("VPN Access", "Shared Mailbox Access"))
            self.addCleanup(agent.cleanup)
            proc = agent.run("--check-config")
        self.assertEqual(proc.returncode, 0, proc.stderr)
        self.assertIn('governs: "Shared Mailbox Access" (grants nothing: no allow list)', proc.stdout)


TOPDESK = os.path.join(harness.SRCDIR, "conf", "accessd-topdesk.conf")


class CheckTopdeskConfig(ConfigCase):
    """The annotated TOPdesk example, and each mistake in what is
    TOPdesk's, named with its line and what to write instead."""

    @staticmethod
    def text():
        with open(TOPDESK) as f:
            return f.read()

    def test_topdesk_example_is_valid(self):
        proc = harness.run_binary(harness.ACCESSD, "--check-config", "-c", TOPDESK)
        self.assertEqual(proc.returncode, 0, proc.stderr)
        self.assertEqual(proc.stderr, "")
        self.assertIn("itsm: topdesk at https://contoso.topdesk.net/tas/api", proc.stdout)
        self.assertIn('governs: "Shared Mailbox Access" -> Finance Shared Mailbox', proc.stdout)

    def test_topdesk_mistakes_name_their_line(self):
        text = self.text()
        cases = [
            ('        approval_template = "Access approval";\n', '',
             'topdesk = {', 4, 'a request call has no authorizations in TOPdesk, and this item\'s requests need '
             'approval; add approval_template = "..."; (the change template whose change carries the approvers\' '
             'authorization activities)'),
            ('change_query = "auto";', 'chnage_query = "auto";', 'chnage_query', 1,
             "unknown setting 'chnage_query' in topdesk; write 'change_query' instead"),
            ('change_query = "auto";', 'change_query = "maybe";', 'change_query = "maybe"', 1,
             'unknown change_query "maybe"'),
            ('implementing = { transitions = ( "approve", "start" );',
             'implementing = { transitions = ( "aprove", "start" );', '"aprove"', 1,
             '"aprove" is no processing status transition of TOPdesk; write "approve" instead'),
            ('implementing = { transitions = ( "approve", "start" );',
             'implementing = { transitions = ( "approve", "start", "close" );', '"close" );', 1,
             'phases.implementing would close the change with "close", but implementing is an open phase'),
            ('completed = { transitions = ( "approve", "implement", "close" );',
             'completed = { transitions = ( "approve", "implement" );', 'completed = {', 1,
             'phases.completed must leave the change closed; end its transitions with "close", "reject" or '
             '"no_go"'),
            ('end_date = "optionalFields1.date2";', 'end_date = "optionalFields3.date2";', 'optionalFields3', 1,
             "fields 'end_date' must be an optional field; write end_date = \"optionalFields1.text1\";"),
            ('base_url = "https://contoso.topdesk.net/tas/api";', 'base_url = "https://contoso.topdesk.net";',
             'base_url = "https://contoso.topdesk.net";', 1, "TOPdesk's REST API is below /tas/api"),
            ('method = "basic";', 'method = "oauth2";', 'method = "oauth2";', 1,
             'TOPdesk takes an application password with Basic authentication; write method = "basic";'),
            ('user_attribute = "email";', 'user_attribute = "user_name";', 'user_attribute = "user_name";', 1,
             'TOPdesk maps people by "email" (the default)'),
            ('        template = "WS 001";\n', '        template = "WS 001";\n        category = "VPN";\n',
             'topdesk = {', 3, 'an item is a request for change (template) or a request call (category), not both'),
            ('      # caller = "5e000000-0000-4000-8000-00000000000a";', '      caller = "svc-accessd";',
             'caller = "svc-accessd"', 1,
             'caller must be the id of a TOPdesk person (a UUID)'),
        ]
        for old, new, where, nth, message in cases:
            with self.subTest(new=new):
                self.assertIn(old, text)
                broken = text.replace(old, new, 1)
                path, proc = self.check(broken)
                self.assertEqual(proc.returncode, 2, proc.stderr)
                self.assertIn("%s:%d: %s" % (path, line_of(broken, where, nth), message), proc.stderr)

    def test_a_kind_names_the_topdesk_keys_it_takes(self):
        # A ServiceNow configuration with TOPdesk's group is a mistake.
        text = example_text().replace('kind = "servicenow";\n', 'kind = "servicenow";\n  topdesk = { };\n', 1)
        path, proc = self.check(text)
        self.assertEqual(proc.returncode, 2)
        self.assertIn("%s:%d: unknown setting 'topdesk' in itsm" % (path, line_of(text, "topdesk = { };")),
                      proc.stderr)


if __name__ == "__main__":
    harness.main()
