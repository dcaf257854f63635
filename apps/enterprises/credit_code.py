"""The unified social credit code (统一社会信用代码) of GB 32100-2015.

18 characters: 1 registration authority, 1 organisation type, 6 administrative division, 9 organisation
code (GB 11714: 8 characters and a check character), 1 check character. The alphabet is the digits and
the upper-case letters without I, O, S, V and Z.
"""

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_VALUE = {ch: i for i, ch in enumerate(ALPHABET)}
_CODE_WEIGHTS = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28]
_ORG_WEIGHTS = [3, 7, 9, 10, 5, 8, 4, 2]

# Registration authority → the organisation type codes it may issue (GB 32100-2015, table 1).
AUTHORITY_TYPES = {
    "1": "1239",  # 机构编制
    "2": "19",  # 外交
    "3": "1234569",  # 司法行政
    "4": "19",  # 文化
    "5": "1239",  # 民政
    "6": "129",  # 旅游
    "7": "129",  # 宗教
    "8": "19",  # 工会
    "9": "123",  # 市场监督管理（工商）
    "A": "19",  # 中央军委改革和编制办公室
    "N": "1239",  # 农业
    "Y": "1",  # 其他
}


def org_code_check_char(body: str) -> str:
    """The GB 11714 check character of an 8-character organisation code body."""
    total = sum(int(ch, 36) * w for ch, w in zip(body, _ORG_WEIGHTS, strict=True))
    c = 11 - total % 11
    return {10: "X", 11: "0"}.get(c, str(c))


def check_char(first17: str) -> str:
    """The final check character for the first 17 characters of a credit code."""
    total = sum(_VALUE[ch] * w for ch, w in zip(first17, _CODE_WEIGHTS, strict=True))
    return ALPHABET[(31 - total % 31) % 31]


def normalize(value: str) -> str:
    return (value or "").strip().upper()


def validate_credit_code(value: str) -> None:
    code = normalize(value)
    if len(code) != 18:
        raise ValidationError(
            _("A unified social credit code has 18 characters; this one has %(count)d."),
            code="length",
            params={"count": len(code)},
        )
    bad = sorted({ch for ch in code if ch not in _VALUE})
    if bad:
        raise ValidationError(
            _("Characters not allowed in a credit code: %(chars)s (I, O, S, V and Z are never used)."),
            code="alphabet",
            params={"chars": " ".join(bad)},
        )
    authority, kind = code[0], code[1]
    if authority not in AUTHORITY_TYPES:
        raise ValidationError(
            _("“%(char)s” is not a registration authority code."),
            code="authority",
            params={"char": authority},
        )
    if kind not in AUTHORITY_TYPES[authority]:
        raise ValidationError(
            _("“%(kind)s” is not an organisation type of registration authority “%(authority)s”."),
            code="type",
            params={"kind": kind, "authority": authority},
        )
    if not code[2:8].isdigit():
        raise ValidationError(
            _("Characters 3–8 must be the administrative division code (digits)."), code="division"
        )
    body, org_check = code[8:16], code[16]
    if any(ch not in "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ" for ch in body):
        raise ValidationError(_("The organisation code (characters 9–16) is malformed."), code="org_body")
    if org_code_check_char(body) != org_check:
        raise ValidationError(
            _("The organisation code check character (character 17) is wrong."), code="org_check"
        )
    if check_char(code[:17]) != code[17]:
        raise ValidationError(_("The check character (character 18) is wrong."), code="check")


def make_credit_code(authority: str, kind: str, division: str, org_body: str) -> str:
    """Build a valid credit code (used by the demo district and tests)."""
    first17 = f"{authority}{kind}{division}{org_body}{org_code_check_char(org_body)}"
    return first17 + check_char(first17)
