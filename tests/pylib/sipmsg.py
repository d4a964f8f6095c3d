"""SIP message text helpers the multi-process tests share."""


def header(m, name):
    """The value of the first header `name` (case-insensitive) in message text `m`, or ""."""
    for line in m.split("\r\n\r\n")[0].split("\r\n"):
        if line.lower().startswith(name.lower() + ":"):
            return line.split(":", 1)[1].strip()
    return ""


def reply(req, code, reason):
    """A response to request text `req`: its Via, From, To, Call-ID and CSeq, no body."""
    keep = [l for l in req.split("\r\n\r\n")[0].split("\r\n")[1:]
            if l.split(":")[0].lower() in ("via", "from", "to", "call-id", "cseq")]
    return f"SIP/2.0 {code} {reason}\r\n" + "\r\n".join(keep) + "\r\nContent-Length: 0\r\n\r\n"
