"""Make the repository's ``simulator`` package importable, whatever pytest put on sys.path.

pytest's default import mode puts ``tests/`` on ``sys.path`` for test packages (directories
with ``__init__.py``). There ``tests/simulator/`` shadows the real ``simulator`` package as an
empty namespace package, because the editable install's finder is consulted after the path.
With the repository root on the path as well, the regular package wins again.
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.append(str(ROOT))
_shadow = sys.modules.get("simulator")
if _shadow is not None and getattr(_shadow, "__file__", None) is None:
    del sys.modules["simulator"]  # the empty namespace package made of tests/simulator/
