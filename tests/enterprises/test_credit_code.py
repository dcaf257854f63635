"""The unified social credit code validator (GB 32100-2015) and its builder."""

import string

import pytest
from django.core.exceptions import ValidationError

from apps.enterprises.credit_code import (
    ALPHABET,
    check_char,
    make_credit_code,
    org_code_check_char,
    validate_credit_code,
)
from apps.enterprises.forms import EnterpriseForm

# Real codes of registered enterprises, verified valid.
VALID = [
    "91350100M000100Y43",
    "9144030071526726XG",
    "914403001922038216",
    "91110000600037341L",
    "91330100716105852F",
]
CODE = VALID[0]


def error_code(value: str) -> str:
    with pytest.raises(ValidationError) as info:
        validate_credit_code(value)
    return info.value.code


def replace(code: str, position: int, char: str) -> str:
    """`code` with the character at 1-based `position` replaced."""
    return code[: position - 1] + char + code[position:]


@pytest.mark.parametrize("code", VALID)
def test_real_codes_are_valid(code):
    assert validate_credit_code(code) is None


@pytest.mark.parametrize("code", VALID)
def test_lower_case_and_surrounding_spaces_are_valid(code):
    assert validate_credit_code(f"  {code.lower()} ") is None


@pytest.mark.django_db
def test_form_normalizes_a_lower_case_code_to_upper_case(leader, unit_a):
    form = EnterpriseForm(
        data={
            "name": "南京示例科技有限公司",
            "credit_code": " 9144030071526726xg ",
            "unit": unit_a.pk,
            "industry": "C",
            "size": "small",
        },
        user=leader,
    )
    assert form.is_valid(), form.errors
    assert form.cleaned_data["credit_code"] == "9144030071526726XG"


@pytest.mark.parametrize(("value", "count"), [(CODE[:17], 17), (CODE + "0", 19), ("", 0), ("   ", 0)])
def test_wrong_length_is_rejected_with_the_length(value, count):
    with pytest.raises(ValidationError) as info:
        validate_credit_code(value)
    assert info.value.code == "length"
    assert info.value.params == {"count": count}


@pytest.mark.parametrize("letter", ["I", "O", "S", "V", "Z"])
def test_letters_never_used_are_rejected(letter):
    with pytest.raises(ValidationError) as info:
        validate_credit_code(replace(CODE, 9, letter))
    assert info.value.code == "alphabet"
    assert info.value.params == {"chars": letter}


def test_full_width_digits_are_not_allowed_characters():
    assert error_code(replace(CODE, 3, "３")) == "alphabet"


@pytest.mark.parametrize("authority", ["B", "C", "0", "X"])
def test_unknown_registration_authority_is_rejected(authority):
    assert error_code(replace(CODE, 1, authority)) == "authority"


@pytest.mark.parametrize(("authority", "kind"), [("9", "4"), ("9", "9"), ("Y", "2"), ("2", "3")])
def test_organisation_type_not_issued_by_the_authority_is_rejected(authority, kind):
    with pytest.raises(ValidationError) as info:
        validate_credit_code(authority + kind + CODE[2:])
    assert info.value.code == "type"
    assert info.value.params == {"kind": kind, "authority": authority}


@pytest.mark.parametrize("position", [3, 5, 8])
def test_letter_in_the_division_code_is_rejected(position):
    assert error_code(replace(CODE, position, "A")) == "division"


@pytest.mark.parametrize("code", VALID)
def test_wrong_organisation_code_check_character_is_rejected(code):
    wrong = "1" if code[16] != "1" else "2"
    assert error_code(replace(code, 17, wrong)) == "org_check"


@pytest.mark.parametrize("code", VALID)
def test_changed_organisation_code_body_is_rejected(code):
    wrong = "1" if code[9] != "1" else "2"
    assert error_code(replace(code, 10, wrong)) == "org_check"


@pytest.mark.parametrize("code", VALID)
def test_every_other_final_character_is_rejected(code):
    """Each of the 35 other digits and letters at position 18 fails: the check character is unique."""
    outcomes = {}
    for char in string.digits + string.ascii_uppercase:
        if char == code[17]:
            continue
        with pytest.raises(ValidationError) as info:
            validate_credit_code(replace(code, 18, char))
        outcomes[char] = info.value.code
    assert len(outcomes) == 35
    assert {char for char, got in outcomes.items() if got == "alphabet"} == set("IOSVZ")
    assert {char for char, got in outcomes.items() if got == "check"} == set(ALPHABET) - {code[17]}


@pytest.mark.parametrize("code", VALID)
def test_make_credit_code_rebuilds_real_codes(code):
    assert make_credit_code(code[0], code[1], code[2:8], code[8:16]) == code


def test_make_credit_code_builds_a_valid_code():
    code = make_credit_code("9", "1", "320111", "A0000007")
    assert code == "91320111A00000070U"
    assert validate_credit_code(code) is None


def test_organisation_check_character_uses_x_for_10_and_0_for_11():
    assert org_code_check_char("71526726") == "X"
    assert org_code_check_char("A0000007") == "0"
    assert org_code_check_char("M000100Y") == "4"


def test_final_check_character():
    assert check_char("91350100M000100Y4") == "3"
    assert check_char("9144030071526726X") == "G"
