# SPDX-License-Identifier: Apache-2.0
"""The tenant of tenant.py on Xurrent: the Graph and Teams side as there,
and the ITSM side from xurrent_seed.py (people by primary e-mail, the accessd
person's personal access token, a request template per catalog item), with
an agent configured for kind "xurrent". It offers what tests/demo.py reads
of a tenant and what the Xurrent scenarios need: requests made as the
Self Service portal makes them, approvers deciding as Xurrent lets them,
and the notes, attachments, tasks and incidents as the API shows them.
"""

import re

import tenant
import xurrent_seed as xs


OAUTH_CLIENT = "accessd-integration"
OAUTH_SECRET = "xr-0auth-s3cret-of-accessd"


def itsm_group(emu, auth, extra=""):
    """The agent's itsm group for the emulator's Xurrent with AUTH (the
    auth group's settings)."""
    return """itsm = {
  kind = "xurrent";
  base_url = "%s";
  account = "%s";
  poll_overlap = "5s";
  auth = { %s };
  incident = { team = %d; };%s
};""" % (emu.url, xs.ACCOUNT, auth, xs.IAM_TEAM["id"], extra)


class Tenant(tenant.Tenant):
    """tenant.Tenant with Xurrent as the ITSM: the same people, policy and
    agent. ITSM_EXTRA: text added to the itsm group; EMULATOR: settings for
    POST /_emu/config/xurrent beside the tenant's; OAUTH: OAuth client
    credentials instead of the personal access token."""

    def __init__(self, emu, away=(), itsm_extra="", emulator=None, oauth=False, **conf):
        self.itsm_extra, self.emulator, self.oauth = itsm_extra, dict(emulator or {}), oauth
        self.approval_mode = conf.get("approvals", "create")
        super().__init__(emu, away=away, **conf)
        self.secrets = (xs.TOKEN, OAUTH_SECRET, tenant.CLIENT_SECRET, tenant.FLOW_SIG)

    def seed_itsm(self):
        settings = dict(xs.config(), oauth_clients={OAUTH_CLIENT: {"secret": OAUTH_SECRET,
                                                                   "person": xs.SERVICE["id"]}})
        self.emu.call("POST", "/_emu/config/xurrent", dict(settings, **self.emulator))
        self.emu.seed({"xurrent": xs.seed(self.approval_mode)})
        if self.oauth:
            secret = self.agent.write_secret("xurrent.secret", OAUTH_SECRET)
            self.auth = ('method = "client_credentials"; client_id = "%s"; client_secret_file = "%s"; '
                         'token_url = "%s/token";' % (OAUTH_CLIENT, secret, self.emu.url))
        else:
            self.auth = 'method = "api_key"; api_key_file = "%s";' % self.agent.write_secret("xurrent.token",
                                                                                             xs.TOKEN)

    def configure(self, text):
        return re.sub(r"itsm = \{.*?\n\};\n", lambda m: itsm_group(self.emu, self.auth, self.itsm_extra) + "\n",
                      text, count=1, flags=re.S)

    def state(self):
        return self.emu.state("xurrent")

    # -- requests ------------------------------------------------------------
    def request(self, item, requested_for, requested_by=None, **variables):
        """A new request for ITEM made through the portal; returns it with
        "id" and "number" (both the request id, as accessd names it)."""
        self.emu.seed({"xurrent": {"requests": [xs.request(item, requested_for, requested_by, **variables)]}})
        rec = max(self.state()["requests"], key=lambda r: r["id"])
        return dict(rec, id=str(rec["id"]), number=str(rec["id"]))

    def record(self, rid):
        """The request RID as the API shows it."""
        return next(r for r in self.state()["requests"] if r["id"] == int(rid))

    def edit(self, rid, **variables):
        """The requester changes custom fields of RID (the rest stay)."""
        fields = {f["id"]: f["value"] for f in self.record(rid)["custom_fields"] or []}
        fields.update(variables)
        self.emu.seed({"xurrent": {"requests": [
            {"id": int(rid), "custom_fields": [{"id": k, "value": v} for k, v in fields.items()]}]}})

    def close(self, rid, reason="withdrawn"):
        """The service desk completes RID by hand."""
        self.emu.seed({"xurrent": {"requests": [{"id": int(rid), "status": "completed",
                                                  "completion_reason": reason}]}})

    def notes(self, rid, internal=None):
        """The notes of request RID, oldest first (INTERNAL: only those)."""
        return [n for n in self.state()["notes"] if n.get("request_id") == int(rid)
                and (internal is None or n["internal"] == internal)]

    def work_notes(self, rid):
        return [n["text"] for n in self.notes(rid, internal=True)]

    def comments(self, rid):
        return [n["text"] for n in self.notes(rid, internal=False)]

    def attachment_list(self, rid):
        return [(a["name"], a["size"]) for n in self.notes(rid) for a in n["attachments"]]

    def incidents(self):
        return [r for r in self.state()["requests"] if r["category"] == "incident"]

    # -- approvals -------------------------------------------------------------
    def tasks(self, rid):
        """The approval tasks of RID's workflow."""
        wf = (self.record(rid)["workflow"] or {}).get("id")
        return [t for t in self.state()["tasks"] if t["category"] == "approval" and (t["workflow"] or {}).get("id") == wf]

    def approvals(self, rid):
        """The approvals of RID's approval tasks, each with "task_id"."""
        tasks = {t["id"] for t in self.tasks(rid)}
        return [a for a in self.state()["approvals"] if a["task_id"] in tasks]

    def approver_names(self, rid):
        names = {xs.person_id(n): n for n in tenant.PEOPLE}
        return sorted(names[a["approver"]["id"]] for a in self.approvals(rid) if a["status"] != "registered")

    def decide(self, rid, who, status="approved", note=None):
        """WHO decides their assigned approval of RID in Xurrent (with NOTE
        as their note on the task)."""
        mine = [a for a in self.approvals(rid)
                if a["approver"]["id"] == xs.person_id(who) and a["status"] == "assigned"]
        if not mine:
            raise AssertionError("%s has no approval of %s to decide" % (who, rid))
        decision = {"id": mine[-1]["id"], "status": status}
        if note:
            decision["note"] = note
        self.emu.seed({"xurrent": {"approvals": [decision]}})


class XurrentCase(tenant.TenantCase):
    """TenantCase whose tenants are on Xurrent."""

    def tenant(self, **kw):
        t = Tenant(self.emu, **kw)
        self.addCleanup(t.cleanup)
        return t
