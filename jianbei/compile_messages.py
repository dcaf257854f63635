"""Compile every locale/*/LC_MESSAGES/*.po into its .mo with polib: `python -m jianbei.compile_messages`.

Django's `compilemessages` needs GNU gettext (msgfmt), which users' machines do not have; polib is
pure Python. The .mo files are committed, so the app runs without either; run this (`make messages`)
after editing a .po, and tests/test_translations.py checks that the committed .mo files match.
"""

from pathlib import Path

LOCALE_DIR = Path(__file__).resolve().parent.parent / "locale"


def po_files(locale_dir: Path = LOCALE_DIR) -> list[Path]:
    """Every catalogue under locale/<language>/LC_MESSAGES/, in a stable order."""
    return sorted(locale_dir.glob("*/LC_MESSAGES/*.po"))


def main() -> int:
    import polib

    files = po_files()
    if not files:
        print(f"No .po files under {LOCALE_DIR}")
        return 1
    for po_path in files:
        catalogue = polib.pofile(str(po_path))
        mo_path = po_path.with_suffix(".mo")
        catalogue.save_as_mofile(str(mo_path))
        print(
            f"Compiled {po_path.relative_to(LOCALE_DIR.parent)} -> {mo_path.name}: "
            f"{len(catalogue.translated_entries())} translated, "
            f"{len(catalogue.untranslated_entries())} untranslated, "
            f"{len(catalogue.fuzzy_entries())} fuzzy"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
