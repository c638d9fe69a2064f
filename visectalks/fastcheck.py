"""Compiled schema checks: a fast verdict in front of ``jsonschema``'s detailed errors.

``fastjsonschema`` compiles the same generated schemas (``schemas.ALL``) into Python code that
checks a valid record about fifteen times faster than ``jsonschema``. It is used only for the
verdict: a record it accepts has no schema problems; a record it rejects is handed to
``jsonschema``, whose errors (codes, pointers, messages) are the ones reported. Verdicts are
cross-checked against ``jsonschema`` in the tests, on every fixture and on the gold.

One known difference is deliberate and harmless: ``fastjsonschema`` reads ``$`` in a pattern as
the end of the string, ``jsonschema`` (Python ``re``) also accepts a final newline before it; such
a value is rejected here and then judged by ``jsonschema``, so the final verdict is unchanged.
"""
from __future__ import annotations

from functools import lru_cache
from typing import Callable

import fastjsonschema

from . import schemas

# The schemas use no keyword whose meaning differs between draft-07 and draft 2020-12 (no
# prefixItems, $defs, dependentRequired or unevaluated*), so the draft-07 compiler applies.
DRAFT07 = "http://json-schema.org/draft-07/schema#"


@lru_cache(maxsize=None)
def compiled(name: str) -> Callable:
    schema = dict(schemas.ALL[name]())
    schema["$schema"] = DRAFT07
    return fastjsonschema.compile(schema, use_default=False, use_formats=False)


def is_valid(name: str, record) -> bool:
    """True if ``record`` certainly matches schema ``name`` (False: ask ``jsonschema``)."""
    try:
        compiled(name)(record)
    except fastjsonschema.JsonSchemaException:
        return False
    return True
