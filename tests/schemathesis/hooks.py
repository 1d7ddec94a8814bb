"""Schemathesis hooks of tests/schemathesis.rs.

One hook, and why: the server answers a request whose Idempotency-Key was already used for a
different request with 422 `idempotency_mismatch` (the answer the IETF Idempotency-Key draft
gives). Whether a key was used before is state, which no schema can express, and generated cases
reuse short keys by chance (`0`, `!`) for different requests. So a well-formed key gets a suffix
derived from the request it is sent with: two different requests never share a key, and the same
request sent again (as the auth checks do) keeps its key and is answered as a replay. Keys that
break the documented form (negative cases) are left as generated, so their refusal is still
checked; reuse itself is tested in tests/contract.rs.
"""

import hashlib
import json
import re

import schemathesis

_WELL_FORMED = re.compile(r"^[!-~]{1,200}$")


def _suffix(case):
    request = [case.method, case.path, case.path_parameters, case.query, case.body]
    digest = hashlib.sha256(json.dumps(request, sort_keys=True, default=repr).encode()).hexdigest()
    return "-" + digest[:16]


def _drops_authorization(case):
    """A coverage case that leaves the token out on purpose: touching its headers would make
    Schemathesis send the configured token again, defeating the case."""
    data = getattr(getattr(getattr(case, "meta", None), "phase", None), "data", None)
    return str(getattr(data, "parameter", "")).lower() == "authorization"


@schemathesis.hook
def before_call(context, case, kwargs):
    headers = case.headers
    if not headers or _drops_authorization(case):
        return
    for name in list(headers):
        key = headers[name]
        if name.lower() != "idempotency-key" or not isinstance(key, str) or not _WELL_FORMED.match(key):
            continue
        suffix = _suffix(case)
        if not key.endswith(suffix):
            headers[name] = key[:180] + suffix
