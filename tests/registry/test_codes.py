from hypothesis import given
from hypothesis import strategies as st

from observatory.registry.codes import (
    USCC_CHARSET,
    industry_problem,
    industry_section,
    make_uscc,
    org_code_check,
    uscc_problem,
)


def test_published_uscc_passes_and_altered_check_fails() -> None:
    # 91110000802100433B is a USCC printed on a public business licence.
    assert uscc_problem("91110000802100433B") is None
    assert uscc_problem("91110000802100433C") == "check character is C, expected B"


def test_uscc_shape_errors_are_precise() -> None:
    assert uscc_problem("9137") == "must have 18 characters, has 4"
    assert "not allowed" in uscc_problem("91370200MA3C5EOX9M")  # letter O is excluded
    assert uscc_problem("91ABCDEF802100433B") == "characters 3-8 must be a 6-digit region code"


def test_org_code_check_worked_example() -> None:
    # GB 11714: D385 2111 -> weights 3,7,9,10,5,8,4,2; values D=13
    # 13*3+3*7+8*9+5*10+2*5+1*8+1*4+1*2 = 39+21+72+50+10+8+4+2 = 206; 206 % 11 = 8; 11-8 = 3
    assert org_code_check("D3852111") == "3"


@given(st.text(alphabet="0123456789ABCDEFGHJKLMNPQRTUWXY", min_size=8, max_size=8))
def test_generated_usccs_are_valid_and_any_single_change_is_caught(body: str) -> None:
    uscc = make_uscc("91370212", body)
    assert uscc_problem(uscc) is None
    last = uscc[17]
    other = USCC_CHARSET[(USCC_CHARSET.index(last) + 1) % 31]
    assert uscc_problem(uscc[:17] + other) is not None


def test_industry_codes() -> None:
    assert industry_section("3921") == "C"  # computer manufacturing
    assert industry_section("6513") == "I"  # application software
    assert industry_problem("98") == "division 98 does not exist (01-97)"
    assert industry_problem("C39") is not None
    assert industry_problem("39") is None
