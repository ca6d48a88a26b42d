"""Country cells as people write them ("United Kingdom", "EIRE", "Россия", "ایران", "ua") -> ISO 3166 codes."""

from __future__ import annotations

from functools import cache, lru_cache

from babel import Locale

from crmcore.importing.mapping import header_key

#: Names spreadsheets use that no locale lists.
ALIASES = {
    "uk": "GB", "england": "GB", "scotland": "GB", "wales": "GB", "greatbritain": "GB", "eire": "IE",
    "usa": "US", "unitedstatesofamerica": "US", "america": "US", "rsa": "ZA", "uae": "AE", "holland": "NL",
    "czechia": "CZ", "czechrepublic": "CZ", "hongkong": "HK", "macau": "MO", "macao": "MO",
    "russianfederation": "RU", "рф": "RU", "россия": "RU", "persia": "IR",
    "korea": "KR", "southkorea": "KR",
}
LANGUAGES = ("en", "ru", "uk", "fa", "de", "fr", "es")


@cache
def _names() -> dict[str, str]:
    names: dict[str, str] = {}
    for language in LANGUAGES:
        for code, name in Locale(language).territories.items():
            if len(code) == 2 and code.isalpha() and code not in {"ZZ", "EU", "EZ", "UN", "QO"}:
                names.setdefault(header_key(name), code)
    names.update(ALIASES)
    return names


@lru_cache(maxsize=4096)
def country_code(text: str | None) -> str | None:
    """The two-letter code of a country name or code in English, Russian, Ukrainian, Persian and more.

    None when the text names no single country ("Unspecified", "European Community", "Channel Islands").
    """
    if not text:
        return None
    stripped = text.strip()
    if len(stripped) == 2 and stripped.isascii() and stripped.isalpha():
        code = stripped.upper()
        return code if code in Locale("en").territories else None
    return _names().get(header_key(stripped))
