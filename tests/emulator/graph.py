# SPDX-License-Identifier: Apache-2.0
"""Microsoft Graph v1.0 (Entra ID) and its OAuth2 token endpoint, for the
calls accessd makes.

Base URL for the agent: http://127.0.0.1:PORT/v1.0; token endpoint:
http://127.0.0.1:PORT/{tenant}/oauth2/v2.0/token (client credentials).

Seed data ({"graph": {...}}):
  clients            {"<client_id>": "<secret>"}
  users              [{"id", "userPrincipalName", "mail", "accountEnabled",
                       "userType", "employeeType", any other property,
                       "manager": "<user id>",
                       "mailbox": <automaticRepliesSetting> (no key: no mailbox)}]
  groups             [{"id", "displayName", "mailEnabled", "securityEnabled",
                       "onPremisesSyncEnabled", "isAssignableToRole",
                       "owners": [ids], "members": [ids]}]
  servicePrincipals  [{"id", "appId", "displayName", "appRoles": [{"id", "value"}]}]
  appRoleAssignments [{"id"?, "principalId", "resourceId", "appRoleId",
                       "principalDisplayName"?}]

A user's properties beyond the default set (accountEnabled, userType,
employeeType, employeeHireDate, employeeLeaveDateTime, ...) come back only
when named in $select, as null when the user has no value; strings keep
embedded U+0000 as JSON does.

Listings (owners, members, a user's direct memberOf, appRoleAssignedTo) are
paged as Graph pages them:
$top from 1 to 999 (else 400), 100 by default, the rest behind
@odata.nextLink with a $skiptoken. appRoleAssignedTo filters only as Graph
documents it (resourceId eq, principalDisplayName eq / startswith; not
principalId or appRoleId: 400) and honours $select.

Settings (POST /_emu/config/graph):
  clients            as in the seed
  tenant             only this tenant's token endpoint answers (default: any)
  token_lifetime     expires_in of new tokens, seconds (default 3599)
  revoke_tokens      true: every token issued so far is rejected (401)
  throttle_every     N: every Nth Graph request (inner $batch requests count
                     one each) answers 429 TooManyRequests (0: never)
  retry_after        the Retry-After of those 429s, seconds (default 2)
  replication_delay  seconds before a new member or app role assignment shows
                     in reads (and in listings)
  replicate          true: every pending membership shows now
  mailbox_permission false: mailbox settings answer 403 (no MailboxSettings.Read)
  lifecycle_permission false: employeeLeaveDateTime reads as null, set or not
                     (the app lacks User-LifeCycleInfo.Read.All: Graph answers
                     the $select without the value rather than refusing it)
  role_management    true: role-assignable groups may be changed (else 403)
  page_size          the most objects a page holds, whatever $top asks
                     (default 999, Graph's largest page; without $top a page
                     holds 100)
  next_link_base     what @odata.nextLink starts with instead of this
                     server's /v1.0 (a hostile or broken server; default: none)

State (GET /_emu/state/graph): the store, plus "counts": {"graph", "token",
"batch_inner", "throttled"}.
"""

import base64
import datetime
import json
import os
import re
import time
import urllib.parse
import uuid

from api import Request, Response

GUID = r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"
# /users/{id | upn} or /users('{upn}') (a UPN starting with $), quotes doubled.
USER = r"/v1\.0/users(?:/(?P<key>[^/(][^/]*)|\('(?P<quoted>(?:[^']|'')*)'\))"
BATCH_MAX = 20

DEFAULT_USER_PROPS = ["businessPhones", "displayName", "givenName", "jobTitle", "mail", "mobilePhone",
                      "officeLocation", "preferredLanguage", "surname", "userPrincipalName", "id"]
KNOWN_USER_PROPS = set(DEFAULT_USER_PROPS) | {
    "accountEnabled", "userType", "employeeType", "department", "companyName", "employeeId",
    "onPremisesSyncEnabled", "city", "country", "usageLocation", "createdDateTime", "employeeHireDate",
    "employeeLeaveDateTime", "onPremisesSamAccountName"}
GROUP_PROPS = ["id", "displayName", "description", "mailEnabled", "securityEnabled", "mailNickname",
               "onPremisesSyncEnabled", "isAssignableToRole", "groupTypes"]

MSG_NOT_FOUND = "Resource '%s' does not exist or one of its queried reference-property objects are not present."
MSG_ALREADY_MEMBER = ("One or more added object references already exist for the following modified "
                      "properties: 'members'.")
MSG_MAIL_ENABLED = "Cannot Update a mail-enabled security groups and or distribution list."
MSG_ON_PREM = ("Unable to update the specified properties for on-premises mastered Directory Sync objects "
               "or objects currently undergoing migration.")
MSG_PRIVILEGES = "Insufficient privileges to complete the operation."
MSG_ROLE_EXISTS = "Permission being assigned already exists on the object."
ASSIGNMENT_PROPS = ["id", "deletedDateTime", "appRoleId", "createdDateTime", "principalDisplayName",
                    "principalId", "principalType", "resourceDisplayName", "resourceId"]
PAGE_DEFAULT = 100
PAGE_MAX = 999


def utc_text(t=None):
    return datetime.datetime.fromtimestamp(time.time() if t is None else t, datetime.timezone.utc) \
        .strftime("%Y-%m-%dT%H:%M:%S")


class Graph:
    name = "graph"

    def __init__(self):
        self.reset()
        G = GUID
        self.routes = [
            ("POST", re.compile(r"/(?P<tenant>[A-Za-z0-9.-]+)/oauth2/v2\.0/token"), self.token),
            ("POST", re.compile(r"/v1\.0/\$batch"), self.api(self.batch, counted=False)),
            ("GET", re.compile(r"/v1\.0/users"), self.api(self.list_users)),
            ("GET", re.compile(USER), self.api(self.get_user)),
            ("GET", re.compile(USER + r"/manager"), self.api(self.get_manager)),
            ("GET", re.compile(USER + r"/mailboxSettings/automaticRepliesSetting"), self.api(self.get_autoreplies)),
            ("POST", re.compile(USER + r"/checkMemberGroups"), self.api(self.check_member_groups)),
            ("GET", re.compile(USER + r"/memberOf(?P<cast>/microsoft\.graph\.group)?"), self.api(self.list_member_of)),
            ("GET", re.compile(r"/v1\.0/groups/(?P<gid>%s)" % G), self.api(self.get_group)),
            ("GET", re.compile(r"/v1\.0/groups/(?P<gid>%s)/owners" % G), self.api(self.list_owners)),
            ("GET", re.compile(r"/v1\.0/groups/(?P<gid>%s)/members" % G), self.api(self.list_members)),
            ("POST", re.compile(r"/v1\.0/groups/(?P<gid>%s)/members/\$ref" % G), self.api(self.add_member)),
            ("DELETE", re.compile(r"/v1\.0/groups/(?P<gid>%s)/members/(?P<uid>%s)/\$ref" % (G, G)),
             self.api(self.remove_member)),
            ("GET", re.compile(r"/v1\.0/servicePrincipals/(?P<sp>%s)/appRoleAssignedTo" % G),
             self.api(self.list_assignments)),
            ("POST", re.compile(r"/v1\.0/servicePrincipals/(?P<sp>%s)/appRoleAssignedTo" % G),
             self.api(self.assign)),
            ("DELETE", re.compile(r"/v1\.0/servicePrincipals/(?P<sp>%s)/appRoleAssignedTo/(?P<aid>[A-Za-z0-9_-]+)" % G),
             self.api(self.unassign)),
        ] + [(m, re.compile(r"/v1\.0/.*"), self.api(self.no_segment)) for m in ("GET", "POST", "PATCH", "DELETE")]

    # -- control -------------------------------------------------------
    def reset(self):
        self.clients = {}
        self.tenant = None
        self.tokens = {}
        self.token_lifetime = 3599
        self.throttle_every = 0
        self.retry_after = 2
        self.replication_delay = 0.0
        self.mailbox_permission = True
        self.lifecycle_permission = True
        self.role_management = False
        self.page_size = PAGE_MAX
        self.next_link_base = None
        self.users = {}
        self.groups = {}
        self.memberships = []  # {"group", "member", "visible_at"}
        self.sps = {}
        self.assignments = {}
        self.assignment_visible_at = {}
        self.counts = {"graph": 0, "token": 0, "batch_inner": 0, "throttled": 0}

    def configure(self, data):
        self.clients.update(data.get("clients", {}))
        self.tenant = data.get("tenant", self.tenant)
        self.token_lifetime = int(data.get("token_lifetime", self.token_lifetime))
        if data.get("revoke_tokens"):
            self.tokens = {}
        self.throttle_every = int(data.get("throttle_every", self.throttle_every))
        self.retry_after = data.get("retry_after", self.retry_after)
        self.replication_delay = float(data.get("replication_delay", self.replication_delay))
        if data.get("replicate"):
            for m in self.memberships:
                m["visible_at"] = 0
        self.mailbox_permission = bool(data.get("mailbox_permission", self.mailbox_permission))
        self.lifecycle_permission = bool(data.get("lifecycle_permission", self.lifecycle_permission))
        self.role_management = bool(data.get("role_management", self.role_management))
        if data.get("replicate"):
            self.assignment_visible_at = {}
        self.page_size = max(1, int(data.get("page_size", self.page_size)))
        self.next_link_base = data.get("next_link_base", self.next_link_base)

    def seed(self, data):
        self.clients.update(data.get("clients", {}))
        for u in data.get("users", []):
            u = dict(u)
            u.setdefault("id", str(uuid.uuid4()))
            self.users[u["id"].lower()] = u
        for g in data.get("groups", []):
            g = dict(g)
            g.setdefault("id", str(uuid.uuid4()))
            for member in g.pop("members", []):
                self.memberships.append({"group": g["id"].lower(), "member": member.lower(), "visible_at": 0})
            g.setdefault("owners", [])
            self.groups[g["id"].lower()] = g
        for sp in data.get("servicePrincipals", []):
            sp = dict(sp)
            sp.setdefault("id", str(uuid.uuid4()))
            self.sps[sp["id"].lower()] = sp
        for a in data.get("appRoleAssignments", []):
            a = dict(a)
            a.setdefault("id", self.new_assignment_id())
            a.setdefault("createdDateTime", utc_text() + "Z")
            self.assignments[a["id"]] = a

    def dump(self):
        return {"users": list(self.users.values()), "groups": list(self.groups.values()),
                "memberships": self.memberships, "servicePrincipals": list(self.sps.values()),
                "appRoleAssignments": list(self.assignments.values()), "counts": self.counts}

    # -- errors, auth, the per-request wrapper --------------------------
    def error(self, status, message, code=None):
        rid = str(uuid.uuid4())
        code = code or {400: "Request_BadRequest", 401: "InvalidAuthenticationToken",
                        403: "Authorization_RequestDenied", 404: "Request_ResourceNotFound",
                        405: "Request_BadRequest", 429: "TooManyRequests", 500: "InternalServerError",
                        502: "BadGateway", 503: "serviceNotAvailable", 504: "gatewayTimeout"}.get(status, "UnknownError")
        body = {"error": {"code": code, "message": message,
                          "innerError": {"date": utc_text(), "request-id": rid, "client-request-id": rid}}}
        return Response(status, body, {"request-id": rid, "client-request-id": rid})

    def authorize(self, req):
        if "/oauth2/" in req.path:
            return None
        auth = req.headers.get("authorization", "")
        expires = self.tokens.get(auth[7:]) if auth.startswith("Bearer ") else None
        if expires is not None and expires > time.time():
            return None
        self.counts["graph"] += 1
        if not auth:
            resp = self.error(401, "Access token is empty.", "InvalidAuthenticationToken")
        else:
            resp = self.error(401, "Access token has expired or is not yet valid.", "InvalidAuthenticationToken")
        resp.headers["WWW-Authenticate"] = 'Bearer realm="", authorization_uri="https://login.microsoftonline.com/common/oauth2/authorize"'
        return resp

    def throttled(self):
        self.counts["graph"] += 1
        if self.throttle_every > 0 and self.counts["graph"] % self.throttle_every == 0:
            self.counts["throttled"] += 1
            resp = self.error(429, "Too many requests", "TooManyRequests")
            resp.headers["Retry-After"] = str(self.retry_after)
            return resp
        return None

    def api(self, handler, counted=True):
        """Count, throttle, answer, and stamp a request-id on the answer. A
        $batch is not counted itself: each request inside it is."""
        def wrapped(req, m):
            resp = (self.throttled() if counted else None) or handler(req, m)
            rid = resp.headers.setdefault("request-id", str(uuid.uuid4()))
            resp.headers.setdefault("client-request-id", rid)
            return resp
        return wrapped

    # -- token endpoint --------------------------------------------------
    def token(self, req, m):
        self.counts["token"] += 1
        form = {k: v[0] for k, v in urllib.parse.parse_qs(req.body.decode("utf-8", "replace")).items()}
        rid = str(uuid.uuid4())

        def fail(status, error, description):
            return Response(status, {"error": error, "error_description": description, "error_codes": [],
                                     "timestamp": utc_text(), "trace_id": rid, "correlation_id": rid},
                            {"request-id": rid, "x-ms-request-id": rid})

        if self.tenant and m.group("tenant") != self.tenant:
            return fail(400, "invalid_request", "AADSTS90002: Tenant '%s' not found." % m.group("tenant"))
        if form.get("grant_type") != "client_credentials":
            return fail(400, "unsupported_grant_type", "AADSTS70003: The app requested an unsupported grant type.")
        if form.get("client_id") not in self.clients:
            return fail(400, "unauthorized_client",
                        "AADSTS700016: Application with identifier '%s' was not found in the directory."
                        % form.get("client_id"))
        if self.clients[form["client_id"]] != form.get("client_secret"):
            return fail(401, "invalid_client", "AADSTS7000215: Invalid client secret provided.")
        if not form.get("scope", "").endswith("/.default"):
            return fail(400, "invalid_scope",
                        "AADSTS1002012: The provided value for scope is not valid. Client credential flows "
                        "must have a scope value with /.default suffixed to the resource identifier.")
        tok = base64.urlsafe_b64encode(os.urandom(48)).decode("ascii").rstrip("=")
        self.tokens[tok] = time.time() + self.token_lifetime
        return Response(200, {"token_type": "Bearer", "expires_in": self.token_lifetime,
                              "ext_expires_in": self.token_lifetime, "access_token": tok},
                        {"request-id": rid, "x-ms-request-id": rid})

    # -- helpers ---------------------------------------------------------
    def base(self, req):
        return "http://%s/v1.0" % req.headers.get("host", "localhost")

    def user_key(self, m):
        if m.group("quoted") is not None:
            return m.group("quoted").replace("''", "'"), True
        return m.group("key"), False

    def find_user(self, key):
        key = key.lower()
        if key in self.users:
            return self.users[key]
        for u in self.users.values():
            if u.get("userPrincipalName", "").lower() == key:
                return u
        return None

    def lookup_user(self, m):
        """(user, error response): a $-UPN must be addressed as users('$x')."""
        key, quoted = self.user_key(m)
        if key.startswith("$") and not quoted:
            return None, self.error(400, "Resource not found for the segment '%s'." % key, "BadRequest")
        user = self.find_user(key)
        if user is None:
            return None, self.error(404, MSG_NOT_FOUND % key)
        return user, None

    def selected(self, req, obj, default, known):
        select = [s for s in req.query.get("$select", "").split(",") if s]
        for s in select:
            if s not in known and s not in obj:
                return None, self.error(400, "Could not find a property named '%s' on type 'microsoft.graph.user'." % s,
                                        "Request_BadRequest")
        return {p: obj.get(p) for p in (select or default)}, None

    def render_user(self, req, user):
        known = KNOWN_USER_PROPS | {k for u in self.users.values() for k in u if k not in ("manager", "mailbox")}
        rendered, err = self.selected(req, user, DEFAULT_USER_PROPS, known)
        if rendered and "employeeLeaveDateTime" in rendered and not self.lifecycle_permission:
            rendered["employeeLeaveDateTime"] = None
        return rendered, err

    def visible(self, m):
        return m["visible_at"] <= time.time()

    def is_member(self, gid, uid, visible_only):
        return any(m["group"] == gid and m["member"] == uid and (not visible_only or self.visible(m))
                   for m in self.memberships)

    def page(self, req, items, path, context="directoryObjects", render=None):
        asked = req.query.get("$top", str(PAGE_DEFAULT))
        if not asked.isdigit() or not 1 <= int(asked) <= PAGE_MAX:
            return self.error(400, "Invalid page size specified: '%s'. Must be between 1 and %d inclusive."
                              % (asked, PAGE_MAX), "Request_BadRequest")
        skip = int(req.query.get("$skiptoken", "0") or 0)
        top = min(int(asked), self.page_size)
        value = items[skip:skip + top]
        body = {"@odata.context": "%s/$metadata#%s" % (self.base(req), context),
                "value": [render(x) for x in value] if render else value}
        if skip + top < len(items):
            q = dict(req.query)
            q["$skiptoken"] = str(skip + top)
            body["@odata.nextLink"] = "%s%s?%s" % (self.next_link_base or self.base(req), path,
                                                   urllib.parse.urlencode(q, safe="$,'"))
        return Response(200, body)

    def directory_object(self, oid):
        if oid in self.users:
            u = self.users[oid]
            return {"@odata.type": "#microsoft.graph.user", "id": u["id"],
                    "userPrincipalName": u.get("userPrincipalName"), "displayName": u.get("displayName")}
        if oid in self.groups:
            g = self.groups[oid]
            return {"@odata.type": "#microsoft.graph.group", "id": g["id"], "displayName": g.get("displayName")}
        if oid in self.sps:
            s = self.sps[oid]
            return {"@odata.type": "#microsoft.graph.servicePrincipal", "id": s["id"],
                    "displayName": s.get("displayName")}
        return None

    def new_assignment_id(self):
        return base64.urlsafe_b64encode(os.urandom(32)).decode("ascii").rstrip("=")

    def group_for_change(self, gid):
        """(group, error) for a membership change."""
        group = self.groups.get(gid.lower())
        if group is None:
            return None, self.error(404, MSG_NOT_FOUND % gid)
        if group.get("onPremisesSyncEnabled"):
            return None, self.error(400, MSG_ON_PREM)
        if group.get("mailEnabled"):
            return None, self.error(400, MSG_MAIL_ENABLED)
        if group.get("isAssignableToRole") and not self.role_management:
            return None, self.error(403, MSG_PRIVILEGES)
        return group, None

    # -- users -----------------------------------------------------------
    def list_users(self, req, m):
        flt = req.query.get("$filter")
        users = list(self.users.values())
        if flt is not None:
            fm = re.fullmatch(r"(mail|userPrincipalName) eq '((?:[^']|'')*)'", flt.strip())
            if not fm:
                return self.error(400, "Invalid filter clause", "BadRequest")
            prop, value = fm.group(1), fm.group(2).replace("''", "'")
            users = [u for u in users if (u.get(prop) or "").lower() == value.lower()]
        out = []
        for u in users:
            rendered, err = self.render_user(req, u)
            if err:
                return err
            out.append(rendered)
        return Response(200, {"@odata.context": "%s/$metadata#users" % self.base(req), "value": out})

    def get_user(self, req, m):
        user, err = self.lookup_user(m)
        if err:
            return err
        rendered, err = self.render_user(req, user)
        return err or Response(200, dict(rendered, **{"@odata.context": "%s/$metadata#users/$entity" % self.base(req)}))

    def get_manager(self, req, m):
        user, err = self.lookup_user(m)
        if err:
            return err
        manager = self.users.get((user.get("manager") or "").lower())
        if manager is None:
            return self.error(404, MSG_NOT_FOUND % "manager")
        rendered, err = self.render_user(req, manager)
        return err or Response(200, dict(rendered, **{"@odata.type": "#microsoft.graph.user"}))

    def get_autoreplies(self, req, m):
        user, err = self.lookup_user(m)
        if err:
            return err
        if not self.mailbox_permission:
            return self.error(403, "Access is denied. Check credentials and try again.", "ErrorAccessDenied")
        if "mailbox" not in user:
            return self.error(404, "The mailbox is either inactive, soft-deleted, or is hosted on-premise.",
                              "MailboxNotEnabledForRESTAPI")
        setting = {"status": "disabled", "externalAudience": "all", "internalReplyMessage": "",
                   "externalReplyMessage": "",
                   "scheduledStartDateTime": {"dateTime": "2026-01-01T00:00:00.0000000", "timeZone": "UTC"},
                   "scheduledEndDateTime": {"dateTime": "2026-01-02T00:00:00.0000000", "timeZone": "UTC"}}
        setting.update(user.get("mailbox") or {})
        setting["@odata.context"] = "%s/$metadata#users('%s')/mailboxSettings/automaticRepliesSetting" % (
            self.base(req), user["id"])
        return Response(200, setting)

    def check_member_groups(self, req, m):
        user, err = self.lookup_user(m)
        if err:
            return err
        body = req.json()
        ids = body.get("groupIds") if isinstance(body, dict) else None
        if not isinstance(ids, list) or not ids or len(ids) > 20:
            return self.error(400, "Invalid groupIds: between 1 and 20 group ids are required.")
        # Transitive: the groups the user is in, and the groups those are in.
        found, frontier = set(), {user["id"].lower()}
        while frontier:
            nxt = {ms["group"] for ms in self.memberships
                   if ms["member"] in frontier and self.visible(ms)} - found
            found |= nxt
            frontier = nxt
        return Response(200, {"@odata.context": "%s/$metadata#Collection(Edm.String)" % self.base(req),
                              "value": [g for g in ids if isinstance(g, str) and g.lower() in found]})

    def list_member_of(self, req, m):
        """List a user's direct memberships (GET /users/{id}/memberOf): the
        groups the user is a direct member of, not through nesting; the OData
        cast /microsoft.graph.group keeps only groups (the emulator has no
        directory roles or administrative units). Paged like other listings;
        $select names group properties."""
        user, err = self.lookup_user(m)
        if err:
            return err
        select = [s for s in req.query.get("$select", "").split(",") if s]
        for s in select:
            if s not in GROUP_PROPS:
                return self.error(400, "Could not find a property named '%s' on type 'microsoft.graph.group'." % s,
                                  "Request_BadRequest")
        uid = user["id"].lower()
        groups = [self.groups[ms["group"]] for ms in self.memberships
                  if ms["member"] == uid and ms["group"] in self.groups and self.visible(ms)]
        cast = "/microsoft.graph.group" if m.group("cast") else ""
        return self.page(req, groups, "/users/%s/memberOf%s" % (user["id"], cast),
                         "groups" if cast else "directoryObjects",
                         lambda g: dict({p: g.get(p) for p in (select or GROUP_PROPS)},
                                        **{"@odata.type": "#microsoft.graph.group"}))

    # -- groups ----------------------------------------------------------
    def get_group(self, req, m):
        group = self.groups.get(m.group("gid").lower())
        if group is None:
            return self.error(404, MSG_NOT_FOUND % m.group("gid"))
        rendered, err = self.selected(req, group, GROUP_PROPS, set(GROUP_PROPS))
        return err or Response(200, rendered)

    def list_owners(self, req, m):
        group = self.groups.get(m.group("gid").lower())
        if group is None:
            return self.error(404, MSG_NOT_FOUND % m.group("gid"))
        owners = [o for o in (self.directory_object(i.lower()) for i in group["owners"]) if o]
        return self.page(req, owners, "/groups/%s/owners" % group["id"])

    def list_members(self, req, m):
        group = self.groups.get(m.group("gid").lower())
        if group is None:
            return self.error(404, MSG_NOT_FOUND % m.group("gid"))
        members = [self.directory_object(ms["member"]) for ms in self.memberships
                   if ms["group"] == group["id"].lower() and self.visible(ms)]
        return self.page(req, [x for x in members if x], "/groups/%s/members" % group["id"])

    def add_member(self, req, m):
        group, err = self.group_for_change(m.group("gid"))
        if err:
            return err
        body = req.json()
        ref = body.get("@odata.id") if isinstance(body, dict) else None
        rm = re.fullmatch(r"https?://[^/]+/v1\.0/(?:directoryObjects|users|groups)/(%s)" % GUID, ref or "")
        if not rm:
            return self.error(400, "Invalid object identifier '%s'." % ref)
        uid = rm.group(1).lower()
        if self.directory_object(uid) is None:
            return self.error(404, MSG_NOT_FOUND % rm.group(1))
        if self.is_member(group["id"].lower(), uid, visible_only=False):
            return self.error(400, MSG_ALREADY_MEMBER)
        self.memberships.append({"group": group["id"].lower(), "member": uid,
                                 "visible_at": time.time() + self.replication_delay})
        return Response(204)

    def remove_member(self, req, m):
        group, err = self.group_for_change(m.group("gid"))
        if err:
            return err
        gid, uid = group["id"].lower(), m.group("uid").lower()
        if not self.is_member(gid, uid, visible_only=False):
            return self.error(404, MSG_NOT_FOUND % m.group("uid"))
        self.memberships = [ms for ms in self.memberships if not (ms["group"] == gid and ms["member"] == uid)]
        return Response(204)

    # -- app roles -------------------------------------------------------
    def assignment_filter(self, flt):
        """(predicate, error) for the $filter of appRoleAssignedTo: Graph
        filters these by resourceId and principalDisplayName only."""
        if flt is None:
            return (lambda a: True), None
        fm = re.fullmatch(r"resourceId eq (%s)" % GUID, flt.strip())
        if fm:
            return (lambda a: a["resourceId"].lower() == fm.group(1).lower()), None
        fm = re.fullmatch(r"(?:principalDisplayName eq '((?:[^']|'')*)'|"
                          r"startswith\(principalDisplayName,\s*'((?:[^']|'')*)'\))", flt.strip())
        if fm and fm.group(1) is not None:
            name = fm.group(1).replace("''", "'")
            return (lambda a: (a.get("principalDisplayName") or "") == name), None
        if fm:
            prefix = fm.group(2).replace("''", "'").lower()
            return (lambda a: (a.get("principalDisplayName") or "").lower().startswith(prefix)), None
        prop = re.match(r"\s*(?:\w+\()?(\w+)", flt)
        return None, self.error(400, "Unsupported or invalid query filter clause specified for property '%s' of "
                                "resource 'AppRoleAssignment'." % (prop.group(1) if prop else flt),
                                "Request_UnsupportedQuery")

    def list_assignments(self, req, m):
        sp = self.sps.get(m.group("sp").lower())
        if sp is None:
            return self.error(404, MSG_NOT_FOUND % m.group("sp"))
        wanted, err = self.assignment_filter(req.query.get("$filter"))
        if err:
            return err
        now = time.time()
        items = [a for a in self.assignments.values() if a["resourceId"].lower() == sp["id"].lower()
                 and self.assignment_visible_at.get(a["id"], 0) <= now and wanted(a)]
        select = [s for s in req.query.get("$select", "").split(",") if s]
        for s in select:
            if s not in ASSIGNMENT_PROPS:
                return self.error(400, "Could not find a property named '%s' on type "
                                  "'microsoft.graph.appRoleAssignment'." % s, "Request_BadRequest")
        return self.page(req, items, "/servicePrincipals/%s/appRoleAssignedTo" % sp["id"],
                         "servicePrincipals('%s')/appRoleAssignedTo" % sp["id"],
                         lambda a: {p: a.get(p) for p in (select or ASSIGNMENT_PROPS)})

    def assign(self, req, m):
        sp = self.sps.get(m.group("sp").lower())
        if sp is None:
            return self.error(404, MSG_NOT_FOUND % m.group("sp"))
        body = req.json()
        if not isinstance(body, dict) or not all(isinstance(body.get(k), str)
                                                 for k in ("principalId", "resourceId", "appRoleId")):
            return self.error(400, "Invalid request body: principalId, resourceId and appRoleId are required.")
        if body["resourceId"].lower() != sp["id"].lower():
            return self.error(400, "resourceId does not match the service principal in the request URL.")
        roles = {r["id"].lower() for r in sp.get("appRoles", [])} | {"00000000-0000-0000-0000-000000000000"}
        if body["appRoleId"].lower() not in roles:
            return self.error(400, "Permission being assigned was not found on application '%s'." % sp.get("appId"))
        principal = self.directory_object(body["principalId"].lower())
        if principal is None:
            return self.error(404, MSG_NOT_FOUND % body["principalId"])
        for a in self.assignments.values():
            if (a["principalId"].lower(), a["resourceId"].lower(), a["appRoleId"].lower()) == \
                    (body["principalId"].lower(), body["resourceId"].lower(), body["appRoleId"].lower()):
                return self.error(400, MSG_ROLE_EXISTS)
        a = {"id": self.new_assignment_id(), "deletedDateTime": None, "appRoleId": body["appRoleId"],
             "createdDateTime": utc_text() + "Z", "principalDisplayName": principal.get("displayName"),
             "principalId": body["principalId"], "principalType": principal["@odata.type"].split(".")[-1].title(),
             "resourceDisplayName": sp.get("displayName"), "resourceId": sp["id"]}
        self.assignments[a["id"]] = a
        if self.replication_delay > 0:
            self.assignment_visible_at[a["id"]] = time.time() + self.replication_delay
        return Response(201, dict(a, **{"@odata.context": "%s/$metadata#servicePrincipals('%s')/appRoleAssignedTo/$entity"
                                         % (self.base(req), sp["id"])}))

    def unassign(self, req, m):
        sp = self.sps.get(m.group("sp").lower())
        if sp is None:
            return self.error(404, MSG_NOT_FOUND % m.group("sp"))
        a = self.assignments.get(m.group("aid"))
        if a is None or a["resourceId"].lower() != sp["id"].lower():
            return self.error(404, MSG_NOT_FOUND % m.group("aid"))
        del self.assignments[a["id"]]
        self.assignment_visible_at.pop(a["id"], None)
        return Response(204)

    def no_segment(self, req, m):
        segment = req.path.rstrip("/").rsplit("/", 1)[-1]
        return self.error(400, "Resource not found for the segment '%s'." % segment, "BadRequest")

    # -- $batch ----------------------------------------------------------
    def batch(self, req, m):
        body = req.json()
        requests = body.get("requests") if isinstance(body, dict) else None
        if not isinstance(requests, list) or not requests:
            return self.error(400, "Invalid batch payload format.", "BadRequest")
        if len(requests) > BATCH_MAX:
            return self.error(400, "The number of batch requests exceeds the maximum of %d." % BATCH_MAX,
                              "BadRequest")
        ids = [r.get("id") for r in requests if isinstance(r, dict)]
        if len(ids) != len(requests) or len(set(ids)) != len(ids) or not all(isinstance(i, str) for i in ids):
            return self.error(400, "Each batch request needs a unique string id.", "BadRequest")
        responses = [self.batch_one(req, r) for r in requests]
        # Graph answers in any order; so do we, to keep clients honest.
        responses.reverse()
        return Response(200, {"responses": responses})

    def batch_one(self, outer, r):
        self.counts["batch_inner"] += 1
        url = r.get("url", "")
        if not isinstance(url, str) or "://" in url:
            resp = self.error(400, "Invalid request URL in batch.", "BadRequest")
        else:
            headers = {"authorization": outer.headers.get("authorization", ""),
                       "host": outer.headers.get("host", "localhost")}
            headers.update({k.lower(): v for k, v in (r.get("headers") or {}).items()})
            data = json.dumps(r["body"]).encode("utf-8") if "body" in r else b""
            inner = Request(r.get("method", "GET"), "/v1.0/" + url.lstrip("/"), headers, data)
            resp = self.dispatch(inner)
        out = {"id": r["id"], "status": resp.status,
               "headers": {k: v for k, v in resp.headers.items() if k.lower() in ("content-type", "retry-after")}}
        if resp.body:
            out["body"] = json.loads(resp.body.decode("utf-8"))
        return out

    def dispatch(self, req):
        for method, pattern, handler in self.routes:
            mm = pattern.fullmatch(req.path)
            if mm and method == req.method and "/$batch" not in req.path and "/oauth2/" not in req.path:
                return handler(req, mm)
        return self.error(405, "Method not allowed")
