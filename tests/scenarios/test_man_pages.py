# SPDX-License-Identifier: Apache-2.0
"""The man pages document everything the programs accept.

accessd.conf(5): every setting the configuration parser accepts is a term
of the page, in the section of its group. The settings are not listed
here: tests/scenarios/conf-keys loads the annotated example through the
real parser and prints every list of keys the parser checks a group
against (conf_check_keys), so a key added to the parser without its
documentation fails this test. So that no group escapes, every group the
source checks by a literal name must be reached by the example (or by
the ServiceNow states below, which the example leaves at their defaults),
or by the Freshservice example.

accessd(8): every option accessd --help shows, and the environment it
reads. accessctl(8): every option of every command accessctl --help
shows (its commands are checked by test_cli)."""

import os
import re
import subprocess
import tempfile
import unittest

import harness

CONF_KEYS = os.environ.get("CONF_KEYS") or os.path.abspath(os.path.join("tests", "scenarios", "conf-keys"))
EXAMPLE = os.path.join(harness.SRCDIR, "conf", "accessd.conf")
TOPDESK = os.path.join(harness.SRCDIR, "conf", "accessd-topdesk.conf")
FRESHSERVICE = os.path.join(harness.SRCDIR, "conf", "accessd-freshservice.conf")
XURRENT = os.path.join(harness.SRCDIR, "conf", "accessd-xurrent.conf")
# What the example does not show: ServiceNow's own states, every phase and
# decision written out (as its defaults, so that the file loads).
SERVICENOW_STATES = """itsm = {
  kind = "servicenow";
  base_url = "https://contoso.service-now.com";
  auth = { method = "basic"; username = "svc-accessd"; password_credential = "servicenow-password"; };
  states = {
    sent_back = { state = "-5"; }; implementing = { state = "2"; stage = "fulfillment"; };
    blocked = { state = "2"; }; completed = { state = "3"; stage = "complete"; };
    rejected = { state = "4"; }; expired = { state = "4"; }; duplicate = { state = "7"; };
  };
  closed_states = ( "3", "4", "7" );
  approval_states = { requested = "requested"; approved = "approved"; rejected = "rejected";
                      cancelled = "cancelled"; };
};
policy = { items = ( { name = "VPN Access"; } ); };
"""


def read(*path):
    with open(os.path.join(harness.SRCDIR, *path)) as f:
        return f.read()


def roff_args(text):
    """The arguments of a request line, as roff splits them."""
    args, i = [], 0
    while i < len(text):
        if text[i] == " ":
            i += 1
        elif text[i] == '"':
            j, arg = i + 1, ""
            while j < len(text):
                if text.startswith('""', j):
                    arg, j = arg + '"', j + 2
                elif text[j] == '"':
                    j += 1
                    break
                else:
                    arg, j = arg + text[j], j + 1
            args.append(arg)
            i = j
        else:
            j = text.find(" ", i)
            j = len(text) if j < 0 else j
            args.append(text[i:j])
            i = j
    return args


def term_words(line):
    """The names a tagged paragraph's tag line defines: the first word of
    each bold argument of .B, .BR, .BI (bold first) or .RB, .IB (bold
    second)."""
    m = re.match(r"^\.(B|BR|BI|RB|IB)(?: (.*))?$", line)
    if not m:
        return []
    args = roff_args(m.group(2) or "")
    if m.group(1) == "B":
        args = [" ".join(args)]
    else:
        args = args[0 if m.group(1) in ("BR", "BI") else 1::2]
    words = []
    for arg in args:
        word = re.split(r"[\s=]", arg.replace("\\-", "-").replace("\\&", "").strip(), maxsplit=1)[0]
        if word:
            words.append(word)
    return words


def group_names(title):
    """What a section title names: "itsm and directory" names itsm and
    directory; "A stage (an item's stages)" names stage."""
    title = re.sub(r"\(.*?\)", "", title.strip('"')).strip().lower()
    return {re.sub(r"^(a|an|the) ", "", part.strip()) for part in re.split(r",| and ", title) if part.strip()}


def sections(page):
    """[(section names, {terms})] of a man page, by .SH and .SS. A comment
    line '.\\" groups: a b' after the title names more groups the section
    documents (ServiceNow's phases, each a group of its own)."""
    out, current, lines = [], None, page.splitlines()
    for i, line in enumerate(lines):
        m = re.match(r"^\.S[HS] (.*)$", line)
        more = re.match(r'^\.\\" groups: (.*)$', line)
        if m:
            current = (group_names(m.group(1)), set())
            out.append(current)
        elif more and current:
            current[0].update(more.group(1).split())
        elif line == ".TP" and current and i + 1 < len(lines):
            current[1].update(term_words(lines[i + 1]))
    return out


def normal(where):
    return re.sub(r"^(a|an|the) ", "", where.lower())


class ConfPage(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        with tempfile.TemporaryDirectory() as tmp:
            states = os.path.join(tmp, "servicenow-states.conf")
            with open(states, "w") as f:
                f.write(SERVICENOW_STATES)
            proc = subprocess.run([CONF_KEYS, EXAMPLE, states, TOPDESK, FRESHSERVICE, XURRENT], capture_output=True,
                                  text=True, timeout=30)
        harness.check_sanitizers(proc.stderr)
        assert proc.returncode == 0, proc.stderr
        cls.keys = {tuple(line.split("\t")) for line in proc.stdout.splitlines()}
        cls.page = sections(read("man", "accessd.conf.5"))

    def test_the_parser_lists_are_read(self):
        # The helper really sees the parser's lists, not nothing.
        self.assertIn(("daemon", "metrics_file"), self.keys)
        self.assertIn(("a stage", "escalate_after"), self.keys)
        self.assertIn(("auth", "client_secret_credential"), self.keys)
        self.assertGreater(len({w for w, _ in self.keys}), 12)

    def test_every_group_the_source_checks_is_reached(self):
        call = re.compile(r'\bconf_check_(?:connector_)?keys\([^,]+,[^,]+,\s*"([^"]+)"')
        literal = set()
        for top in ("agent", "connectors"):
            for dirpath, _, names in os.walk(os.path.join(harness.SRCDIR, top)):
                for name in names:
                    if name.endswith(".c"):
                        with open(os.path.join(dirpath, name)) as f:
                            literal.update(call.findall(f.read()))
        self.assertIn("a stage", literal)
        reached = {w for w, _ in self.keys}
        self.assertEqual(sorted(literal - reached), [],
                         "the examples do not use these groups, so their keys go unchecked; show them in one")

    def test_every_setting_is_documented_in_its_groups_section(self):
        missing = []
        for where, key in sorted(self.keys):
            own = [terms for names, terms in self.page if normal(where) in names]
            if not own:
                missing.append("no section of accessd.conf(5) is titled for the group '%s' (of '%s')"
                               % (where, key))
            elif not any(key in terms for terms in own):
                missing.append("'%s' of the group '%s' is not a term (.TP) of its section" % (key, where))
        self.assertEqual(missing, [], "\n".join(missing))

    def test_the_term_reader(self):
        self.assertEqual(term_words('.BR department ", " company_name ", " employee_type'),
                         ["department", "company_name", "employee_type"])
        self.assertEqual(term_words('.BR "any = ( { ... } );" " " "all = ( { ... } );"'), ["any", "all"])
        self.assertEqual(term_words('.BR also " = ( \\(dq\\fItarget\\fP\\(dq, ... );"'), ["also"])
        self.assertEqual(term_words(".B time = { zone = ...; };"), ["time"])
        self.assertEqual(group_names('"A stage (an item\'s stages and privileged_stages)"'), {"stage"})
        self.assertEqual(group_names('"itsm and directory"'), {"itsm", "directory"})


def help_options(binary):
    """The long options --help shows (and their short forms)."""
    out = harness.run_binary(binary, "--help").stdout
    return sorted(set(re.findall(r"(?<![\w-])(--[a-z][a-z-]*|-[a-zA-Z])\b", out)))


def roff(option):
    return option.replace("-", "\\-")


class DaemonPage(unittest.TestCase):
    def test_every_option_of_help_is_in_the_page(self):
        page = read("man", "accessd.8")
        options = help_options(harness.ACCESSD)
        for option in ("--repair", "--dry-run", "--credentials-directory", "--once", "-c"):
            self.assertIn(option, options)
        missing = [o for o in options if roff(o) not in page]
        self.assertEqual(missing, [], "accessd(8) does not document: %s" % ", ".join(missing))

    def test_environment(self):
        page = read("man", "accessd.8")
        env = page[page.index(".SH ENVIRONMENT"):]
        env = env[:env.index("\n.SH ", 1)]
        for var in ("CREDENTIALS_DIRECTORY", "NOTIFY_SOCKET", "WATCHDOG_USEC", "JOURNAL_STREAM", "https_proxy",
                    "no_proxy"):
            self.assertIn(var, env)


class CtlPage(unittest.TestCase):
    def test_every_option_of_help_is_in_the_page(self):
        page = read("man", "accessctl.8")
        options = help_options(harness.ACCESSCTL)
        self.assertIn("--json", options)
        missing = [o for o in options if roff(o) not in page]
        self.assertEqual(missing, [], "accessctl(8) does not document: %s" % ", ".join(missing))


if __name__ == "__main__":
    harness.main()
