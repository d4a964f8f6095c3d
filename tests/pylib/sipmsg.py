"""SIP message text helpers the multi-process tests share."""
import hashlib
import re


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


def challenges(resp):
    """The WWW-Authenticate challenges of a response, as parameter dicts."""
    out = []
    for line in resp.split("\r\n"):
        if line.lower().startswith("www-authenticate:"):
            params = dict(re.findall(r'(\w+)=(?:"([^"]*)"|[^,\s]+)', line))
            alg = re.search(r"algorithm=([\w-]+)", line)
            params["algorithm"] = alg.group(1) if alg else "MD5"
            out.append(params)
    return out


def sign(ch, method, ruri, user, password, nc, alg):
    """An Authorization line (qop=auth) for challenge `ch`, signed with hashlib."""
    h = (lambda s: hashlib.md5(s.encode()).hexdigest()) if alg == "MD5" else \
        (lambda s: hashlib.sha256(s.encode()).hexdigest())
    cnonce = "py%08x" % nc
    ha1 = h(f"{user}:{ch['realm']}:{password}")
    ha2 = h(f"{method}:{ruri}")
    resp = h(f"{ha1}:{ch['nonce']}:{nc:08x}:{cnonce}:auth:{ha2}")
    return (f'Authorization: Digest username="{user}", realm="{ch["realm"]}", nonce="{ch["nonce"]}", '
            f'uri="{ruri}", response="{resp}", algorithm={alg}, qop=auth, cnonce="{cnonce}", nc={nc:08x}\r\n')
