"""Real document files built for the tests: a Word decision, a PDF directive, a news web page.

The texts are written for the tests (a bird-flu decision, a dengue directive, a flu report), so
nothing in the shipped corpus answers their questions. The PDF uses Debian's DejaVu font
(fonts-dejavu-core), which has every Vietnamese letter.
"""
from __future__ import annotations

from pathlib import Path

DEJAVU = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")

DECISION_ARTICLE_1 = "Điều 1. Biện pháp phòng, chống dịch cúm gia cầm"
BAN_LIVE_POULTRY = "Cấm buôn bán, giết mổ gia cầm sống tại các chợ trong khu vực nội thành."
REPORT_SICK_BIRDS = "Người chăn nuôi phát hiện gia cầm ốm, chết bất thường phải báo ngay cho UBND cấp xã trong vòng 24 giờ."


def decision_docx(path: Path, extra: str | None = None) -> Path:
    """A legal text: articles ("Điều"), clauses typed as "1.", points "a)", and in Điều 2 a list
    numbered by Word itself (the numbers are not in the paragraphs' text)."""
    import docx

    d = docx.Document()
    d.core_properties.title = "Quyết định về phòng, chống dịch cúm gia cầm"
    for text in ("ỦY BAN NHÂN DÂN THÀNH PHỐ HÀ NỘI", "QUYẾT ĐỊNH",
                 "Về việc áp dụng biện pháp phòng, chống dịch cúm gia cầm trên địa bàn Thành phố",
                 "CHỦ TỊCH ỦY BAN NHÂN DÂN THÀNH PHỐ HÀ NỘI",
                 "Căn cứ Luật Thú y ngày 19 tháng 6 năm 2015; xét đề nghị của Sở Nông nghiệp và Môi trường.",
                 "QUYẾT ĐỊNH:", DECISION_ARTICLE_1,
                 "1. Các quận, huyện tổ chức tiêu độc, khử trùng chuồng trại chăn nuôi định kỳ.",
                 "2. Tại khu vực nội thành:",
                 f"a) {BAN_LIVE_POULTRY}",
                 "b) Gia cầm vận chuyển vào Thành phố phải có giấy chứng nhận kiểm dịch.",
                 "Điều 2. Trách nhiệm của người chăn nuôi"):
        d.add_paragraph(text)
    d.add_paragraph(REPORT_SICK_BIRDS, style="List Number")
    d.add_paragraph("Người chăn nuôi không được vứt xác gia cầm ra môi trường.", style="List Number")
    d.add_paragraph("Điều 3. Hiệu lực thi hành")
    d.add_paragraph("Quyết định này có hiệu lực kể từ ngày ký.")
    if extra:
        d.add_paragraph(extra)
    d.save(str(path))
    return path


LARVAE_OLD = ("Mỗi hộ gia đình tự kiểm tra, diệt lăng quăng, bọ gậy trong các dụng cụ chứa nước quanh nhà "
              "mỗi tuần một lần; úp ngược các vật dụng có thể đọng nước mưa như lốp xe, chai lọ, chậu cảnh.")
LARVAE_NEW = ("Mỗi hộ gia đình tự kiểm tra, diệt lăng quăng, bọ gậy trong các dụng cụ chứa nước quanh nhà "
              "mỗi tuần hai lần vào thứ Tư và Chủ nhật; thả cá vào bể chứa nước lớn.")


def directive_pdf(path: Path, larvae: str = LARVAE_OLD, number: str = "05/CT-UBND") -> Path:
    """A numbered directive ("1.", "2.") typeset by fpdf2 with DejaVu, so its lines wrap and the
    extractor has to join them back into clauses."""
    from fpdf import FPDF

    pdf = FPDF()
    pdf.add_page()
    pdf.add_font("DejaVu", "", str(DEJAVU))
    pdf.set_font("DejaVu", size=11)
    pdf.multi_cell(0, 6, "ỦY BAN NHÂN DÂN THÀNH PHỐ HÀ NỘI", align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(4)
    pdf.multi_cell(0, 6, "CHỈ THỊ", align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.multi_cell(0, 6, f"Số {number} về tăng cường phòng, chống dịch sốt xuất huyết", align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(4)
    for text in (
        "Để chủ động phòng, chống dịch sốt xuất huyết trong mùa mưa, Chủ tịch UBND Thành phố yêu cầu các "
        "sở, ngành, UBND các quận, huyện, thị xã thực hiện nghiêm các nội dung sau:",
        "1. Các phường, xã tổ chức chiến dịch vệ sinh môi trường, thu gom, tiêu hủy vật dụng phế thải có thể "
        "chứa nước tại các khu dân cư, công trình xây dựng, trường học và cơ quan.",
        f"2. {larvae}",
        "3. Người có biểu hiện sốt cao đột ngột, xuất huyết dưới da phải đến cơ sở y tế để được khám và điều "
        "trị kịp thời, không tự ý điều trị tại nhà.",
    ):
        pdf.multi_cell(0, 6, text, new_x="LMARGIN", new_y="NEXT")
        pdf.ln(3)
    pdf.output(str(path))
    return path


def scanned_pdf(path: Path, tmp: Path) -> Path:
    """A page that is only a picture: what a scanner gives, with no text layer."""
    from fpdf import FPDF

    png = tmp / "scan.png"
    _tiny_png(png)
    pdf = FPDF()
    pdf.add_page()
    pdf.image(str(png), x=10, y=10, w=150)
    pdf.output(str(path))
    return path


def _tiny_png(path: Path) -> None:
    import struct
    import zlib

    w, h = 40, 20
    raw = b"".join(b"\x00" + bytes([200, 200, 200] * w) for _ in range(h))

    def chunk(tag: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + tag + data + struct.pack(">I", zlib.crc32(tag + data) & 0xFFFFFFFF)

    path.write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0))
                     + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))


SCHOOL_SICK = ("Các trường học theo dõi sức khỏe học sinh hằng ngày; học sinh có biểu hiện sốt, ho được nghỉ "
               "học ở nhà và phụ huynh thông báo cho nhà trường.")
NAV_WORDS = ("Trang chủ", "Thể thao", "Giá vàng hôm nay", "Giấy phép số 123/GP-BTTTT")


def report_html(path: Path) -> Path:
    """A news page: menu, article, a related-news box and a footer; only the article is content."""
    path.write_text(f"""<!doctype html><html lang="vi"><head><meta charset="utf-8">
<title>Hà Nội ban hành Chỉ thị số 22/CT-UBND về phòng, chống cúm mùa</title>
<meta property="article:published_time" content="2026-11-20T08:00:00+07:00"></head><body>
<header><nav><ul><li><a href="/">Trang chủ</a></li><li><a href="/thoi-su">Thời sự</a></li>
<li><a href="/the-thao">Thể thao</a></li><li><a href="/kinh-te">Kinh tế</a></li></ul></nav></header>
<main><article><h1>Hà Nội ban hành Chỉ thị số 22/CT-UBND về phòng, chống cúm mùa</h1>
<p>Ngày 20/11/2026, Chủ tịch UBND thành phố Hà Nội đã ký ban hành Chỉ thị số 22/CT-UBND về tăng cường
phòng, chống dịch cúm mùa trên địa bàn thành phố trong mùa đông xuân.</p>
<p>Theo Chỉ thị, từ ngày 01/12/2026, người dân đeo khẩu trang khi đến bệnh viện và khi đi trên phương
tiện giao thông công cộng.</p>
<p>{SCHOOL_SICK}</p>
<p>Chỉ thị có hiệu lực đến hết ngày 28/02/2027.</p></article>
<aside><h3>Tin liên quan</h3><ul><li><a href="/a">Hà Nội ghi nhận thêm 300 ca cúm trong tuần</a></li>
<li><a href="/b">Giá vàng hôm nay tăng mạnh</a></li><li><a href="/c">Đội tuyển bóng đá thắng đậm</a></li></ul></aside></main>
<footer><p>© 2026 Báo Điện tử Thủ đô. Giấy phép số 123/GP-BTTTT. Địa chỉ: 1 Phố Huế, Hà Nội.</p></footer>
</body></html>""", encoding="utf-8")
    return path
