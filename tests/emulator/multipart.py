# SPDX-License-Identifier: Apache-2.0
"""multipart/form-data bodies (RFC 7578), as upload endpoints read them."""

import email.parser
import email.policy


class Part:
    def __init__(self, name, filename, content_type, data):
        self.name = name
        self.filename = filename
        self.content_type = content_type
        self.data = data


def parse(content_type, body):
    """The parts of BODY in order, or None when it is not a multipart/form-data
    body with a boundary (or a part lacks a form-data name)."""
    if not content_type or not content_type.lower().startswith("multipart/form-data") or "boundary=" not in content_type:
        return None
    head = ("Content-Type: %s\r\nMIME-Version: 1.0\r\n\r\n" % content_type).encode("latin-1", "replace")
    msg = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(head + body)
    if not msg.is_multipart():
        return None
    parts = []
    for sub in msg.iter_parts():
        name = sub.get_param("name", header="content-disposition")
        if sub.get_content_disposition() != "form-data" or name is None:
            return None
        parts.append(Part(name, sub.get_param("filename", header="content-disposition"),
                          sub.get("content-type"), sub.get_payload(decode=True) or b""))
    return parts
