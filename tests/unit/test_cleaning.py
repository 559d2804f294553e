"""Web boilerplate is never rule text: cleaning drops it and keeps offsets into the original."""
from retrieval import settings
from retrieval.cleaning import clean
from retrieval.corpus import load_manifest

DOCS = {d.source.path.split("/")[-1][:3]: d.text for d in load_manifest(settings.DEFAULT_MANIFEST)}


def kept(text: str) -> str:
    return "\n".join(line.text for line in clean(text))


def test_every_kept_line_is_the_original_slice():
    for text in DOCS.values():
        for line in clean(text):
            assert text[line.start:line.end] == line.text


def test_related_headlines_and_everything_under_them_are_dropped():
    body = kept(DOCS["001"])
    for gone in ("Có thể bạn quan tâm", "Nên xem", "Tin khác", "Giá vàng", "Google Maps",
                 "Thời tiết miền Bắc chuyển rét", "thăng hạng chức danh nghề nghiệp giáo viên",
                 "phương án chữa cháy", "Liên hoan Ban nhạc", "Văn hóa 02/11/2024 20:28",
                 "Xem xét tạm dừng hoạt động quán bia hơi"):
        assert gone not in body
    assert "Thành phố vẫn đang kiểm soát tốt dịch" in body


def test_photo_captions_bylines_and_pull_quote_attributions_are_dropped():
    assert "(Ảnh:" not in kept(DOCS["001"])
    assert not kept(DOCS["000"]).endswith("Hải Hà")
    assert not kept(DOCS["003"]).startswith("TPO")
    assert kept(DOCS["003"]).startswith("Ngày 14/10")
    lines = kept(DOCS["002"]).split("\n")
    assert "Ông Nguyễn Văn Phong" not in lines and "Phó Bí thư Thành ủy Hà Nội" not in lines
    assert "Chủ tịch UBND TP. Hà Nội" not in lines


def test_recipients_and_signature_of_a_directive_are_dropped():
    body = kept(DOCS["004"])
    assert "Noi nhận" not in body and "Lưu Văn phòng Quận ủy" not in body and "T/M BAN THƯỜNG VỤ" not in body
    assert body.rstrip().endswith("Chỉ thị này phổ biến đến chi bộ để tổ chức thực hiện./.")


def test_synthetic_page_with_every_kind_of_boilerplate():
    page = ("VOV - Người dân chỉ ra ngoài khi cần thiết.\n"
            "Quang cảnh cuộc họp. (Ảnh: Minh Anh) |\n"
            "Các chốt hoạt động 24/24h.\n"
            "Nguyễn Văn A\n"
            "Tin liên quan\nGiá vàng tăng mạnh\n")
    assert kept(page) == "Người dân chỉ ra ngoài khi cần thiết.\nCác chốt hoạt động 24/24h."
