"""The move-in register (入住登记表): who is registered as living where.

Import a register CSV with ``import_register_file``; read it back with ``load_register``
(database) or ``load_register_csv`` (offline, no database).
"""

from occupancy.register.csvfile import (
    HEADER_ALIASES,
    REQUIRED_FIELDS,
    ParsedRegister,
    load_register_csv,
    parse_register_bytes,
    parse_register_csv,
)
from occupancy.register.entry import RegisterEntry
from occupancy.register.errors import RegisterImportError, RegisterRowError
from occupancy.register.repository import (
    ImportSummary,
    import_entries,
    import_register_file,
    load_register,
)

__all__ = [
    "HEADER_ALIASES",
    "REQUIRED_FIELDS",
    "ImportSummary",
    "ParsedRegister",
    "RegisterEntry",
    "RegisterImportError",
    "RegisterRowError",
    "import_entries",
    "import_register_file",
    "load_register",
    "load_register_csv",
    "parse_register_bytes",
    "parse_register_csv",
]
