"""Identity numbers and names: resident IDs (GB 11643), USCC (GB 32100), Chinese names.

Pure Python with no Django dependency; pypinyin is imported only when a name is
converted. The submodules use short names (``parse``, ``normalise``); they are
re-exported here with the kind of identifier in the name.
"""

from minzheng.identity import names, resident_id, uscc
from minzheng.identity.names import name_initials, name_key, name_pinyin, normalise_name
from minzheng.identity.resident_id import (
    InvalidId,
    ResidentId,
    looks_like_excel_number,
    make_id,
    upgrade_15,
)
from minzheng.identity.resident_id import check_char as id_check_char
from minzheng.identity.resident_id import mask as mask_id
from minzheng.identity.resident_id import normalise as normalise_id
from minzheng.identity.resident_id import parse as parse_id
from minzheng.identity.uscc import InvalidUscc, Uscc, make_uscc
from minzheng.identity.uscc import normalise as normalise_uscc
from minzheng.identity.uscc import parse as parse_uscc

__all__ = [
    "InvalidId",
    "InvalidUscc",
    "ResidentId",
    "Uscc",
    "id_check_char",
    "looks_like_excel_number",
    "make_id",
    "make_uscc",
    "mask_id",
    "name_initials",
    "name_key",
    "name_pinyin",
    "names",
    "normalise_id",
    "normalise_name",
    "normalise_uscc",
    "parse_id",
    "parse_uscc",
    "resident_id",
    "upgrade_15",
    "uscc",
]
