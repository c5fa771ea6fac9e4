# SPDX-License-Identifier: Apache-2.0
"""What a vendor module sees of a request and gives back."""

import json
import urllib.parse


class Request:
    """What a vendor handler sees of one HTTP request."""

    def __init__(self, method, target, headers, body):
        parsed = urllib.parse.urlsplit(target)
        self.method = method
        self.path = urllib.parse.unquote(parsed.path)
        self.raw_path = parsed.path
        self.query = {k: v[0] for k, v in urllib.parse.parse_qs(parsed.query, keep_blank_values=True).items()}
        self.raw_query = parsed.query
        self.headers = {k.lower(): v for k, v in headers.items()}
        self.body = body

    def json(self):
        """The body as JSON, or None when it is not valid JSON."""
        try:
            return json.loads(self.body.decode("utf-8"))
        except (UnicodeDecodeError, ValueError):
            return None


class Response:
    def __init__(self, status, body=None, headers=None):
        self.status = status
        self.headers = dict(headers or {})
        if body is None:
            self.body = b""
        elif isinstance(body, (bytes, bytearray)):
            self.body = bytes(body)
        else:
            self.body = json.dumps(body).encode("utf-8")
            self.headers.setdefault("Content-Type", "application/json;charset=UTF-8")
