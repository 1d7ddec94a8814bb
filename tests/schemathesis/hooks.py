"""Schemathesis hooks of tests/schemathesis.rs.

One hook, and why: the server answers a request whose Idempotency-Key was already used for a
different request with 422 `idempotency_mismatch` (the answer the IETF Idempotency-Key draft
gives). Whether a key was used before is state, which no schema can express, and generated cases
reuse short keys by chance (`0`, `A`), so every well-formed generated key is made unique here.
Keys that break the documented form (negative cases) are left as generated, so their refusal is
still checked; reuse itself is tested in tests/contract.rs.
"""

import itertools
import re

import schemathesis

_WELL_FORMED = re.compile(r"^[!-~]{1,200}$")
_counter = itertools.count()


@schemathesis.hook
def map_headers(context, headers):
    if not headers:
        return headers
    for name in list(headers):
        key = headers[name]
        if name.lower() == "idempotency-key" and isinstance(key, str) and _WELL_FORMED.match(key):
            headers[name] = f"{key[:180]}-{next(_counter)}"
    return headers
