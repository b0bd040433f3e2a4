"""The move-in register (入住登记表): who is registered as living where, and since when.

Import a register CSV or XLSX file with ``import_register_file``; read it back with
``load_register`` (database) or ``load_register_csv`` (offline, no database); every change
is kept in the unit's history (``unit_history``).
"""

from occupancy.register.csvfile import (
    load_register_csv,
    parse_register_bytes,
    parse_register_csv,
)
from occupancy.register.entry import RegisterEntry
from occupancy.register.errors import RegisterImportError, RegisterRowError
from occupancy.register.files import parse_register_data, parse_register_file
from occupancy.register.repository import (
    ImportSummary,
    import_entries,
    import_register_file,
    load_register,
    unit_history,
)
from occupancy.register.validate import HEADER_ALIASES, REQUIRED_FIELDS, ParsedRegister
from occupancy.register.xlsxfile import parse_register_xlsx

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
    "parse_register_data",
    "parse_register_file",
    "parse_register_xlsx",
    "unit_history",
]
