"""What bot.privacy.mask hides in a question, and what it must leave alone."""
import pytest

from bot.privacy import EMAIL, ID_CARD, PHONE, mask


@pytest.mark.parametrize("text, expected", [
    ("gọi 0912 345 678 giúp tôi", f"gọi {PHONE} giúp tôi"),
    ("sdt 0912.345.678", f"sdt {PHONE}"),
    ("sđt:0912345678", f"sđt:{PHONE}"),
    ("+84 912 345 678 là số tôi", f"{PHONE} là số tôi"),
    ("(+84) 912345678", PHONE),
    ("+84-91-234-5678", PHONE),
    ("84912345678", PHONE),
    ("máy bàn 024 3825 1234", f"máy bàn {PHONE}"),
    ("0912345678 và 0987654321", f"{PHONE} và {PHONE}"),
    ("CCCD 001099012345 của tôi", f"CCCD {ID_CARD} của tôi"),
    ("cccd 001 099 012 345", f"cccd {ID_CARD}"),
    ("CMND 012345678", f"CMND {ID_CARD}"),
    ("cmnd 012.345.678", f"cmnd {ID_CARD}"),
    ("mail nguyen.van.a+covid@gmail.com.vn nhé", f"mail {EMAIL} nhé"),
    ("0912345678 123 456", f"{PHONE} 123 456"),  # a phone number inside a longer run of digits
])
def test_identifying_numbers_and_addresses_are_masked(text, expected):
    assert mask(text) == expected


@pytest.mark.parametrize("text", [
    "Phạt 200.000.000 đồng có đúng không?",  # 9 digits written in thousands: an amount
    "phat 10 000 000 dong",
    "Đường dây nóng 1900 9095 có trực đêm không?",
    "Từ ngày 16/7/2021 đến 31/7/2021",
    "F0 cách ly 14 ngày, F1 7 ngày",
    "22/22 chốt hoạt động 24/24h",
    "Chỉ thị số 17/CT-UBND",
    "",
])
def test_ordinary_numbers_stay(text):
    assert mask(text) == text


def test_masking_twice_changes_nothing_more():
    once = mask("0912 345 678, 001099012345, a@b.vn")
    assert mask(once) == once
