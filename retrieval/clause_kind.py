"""Does a clause state a rule, report results, or narrate?

A resident asking "may I go out?" needs the rule ("chỉ ra ngoài khi thật sự cần thiết"), not the
enforcement tally next to it ("đã xử phạt 1.359 trường hợp ..."), even when the tally shares
more words with the question. Official texts mark the difference in their grammar, so the cues
here are generic Vietnamese administrative language, not facts about any one document:

* rule: deontic modals ("phải", "không được", "cần", "nghiêm cấm", "cho phép", "chỉ … khi"),
  directive verbs ("yêu cầu", "đề nghị", "chỉ đạo", "giao"), measures ("tạm dừng", "giãn cách"),
  and a clause that opens with a bare directive verb ("Tăng cường…", "Rà soát…"): the imperative
  of directives, which leave the addressee implicit;
* report: the perfective "đã" followed by a figure, counts and percentages, achievements
  ("đạt", "so với"), findings of inspections ("vẫn còn", "chưa thực sự"), assessments and praise
  ("nhận định", "ghi nhận", "biểu dương", "cảm ơn");
* other: dated narration of a meeting ("Chiều 10/5, …"), attribution and rallying calls.

`rule_score` weighs the three and is graded, so ranking can prefer rules without hiding the
rest; `kind` is its reading as a label.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Literal

from .text import fold, has_diacritics, nfc

Kind = Literal["rule", "report", "other"]

# (pattern, weight). Patterns are matched on lower-cased NFC text, word-bounded.
_RULE: tuple[tuple[str, float], ...] = (
    (r"phải", 2.0), (r"không được", 2.5), (r"nghiêm cấm", 2.5), (r"cấm", 2.0),
    (r"bắt buộc", 2.0), (r"(?:không )?cho phép", 2.0), (r"được phép", 2.0), (r"chỉ được", 2.0),
    (r"chỉ\b[^.;:]{1,60}\bkhi", 2.0), (r"tạm dừng", 2.0), (r"dừng hoạt động", 2.0),
    (r"đóng cửa", 1.0), (r"yêu cầu", 1.5), (r"đề nghị", 1.5), (r"chỉ đạo", 1.0),
    (r"giao(?! (?:thông|hàng|dịch|tiếp|lưu))", 1.0), (r"không để", 2.0), (r"tuyệt đối", 1.5),
    (r"chịu trách nhiệm", 1.5), (r"cần(?! thiết)", 1.0), (r"lưu ý", 1.0), (r"kêu gọi", 1.0),
    (r"khuyến cáo", 1.5), (r"hạn chế", 1.0), (r"giãn cách", 0.5), (r"khẩn trương", 1.0),
    (r"kiên quyết", 1.0), (r"nghiêm(?! trọng)", 0.5), (r"quán triệt", 1.0),
    (r"(?:xử lý|xử phạt) nghiêm", 1.0), (r"theo quy định", 0.5), (r"có trách nhiệm", 1.5),
)
# A clause opening with one of these verbs (no subject) is an imperative in a directive.
_IMPERATIVE_VERBS = (
    "tăng cường", "đẩy mạnh", "rà soát", "tổ chức", "triển khai", "thực hiện", "bảo đảm",
    "đảm bảo", "nâng cao", "huy động", "phân công", "tiếp tục", "khẩn trương", "chủ động",
    "quán triệt", "hoàn thiện", "thiết lập", "duy trì", "siết chặt", "kiểm tra", "xử lý",
    "quan tâm", "phối hợp", "nêu cao", "phát huy", "tập trung", "cập nhật", "vận động",
    "công khai", "xây dựng", "bổ sung", "giám sát", "theo dõi", "khoanh vùng", "truy vết",
    "cách ly", "xét nghiệm", "hạn chế", "dừng", "tạm dừng", "không", "nghiêm túc", "kịp thời",
    "sẵn sàng", "chuẩn bị", "hỗ trợ", "đôn đốc", "ưu tiên", "coi", "gắn", "lập", "bố trí",
    "yêu cầu", "đề nghị", "giao", "chấp hành", "tuân thủ", "đeo", "khai báo", "mở",
)
_REPORT: tuple[tuple[str, float], ...] = (
    (r"đã\s+(?:[^\s]+\s+){0,4}?\d+", 2.5),  # "đã xử phạt 1.359", "đã lập 29 chốt"
    (r"bước đầu", 1.0), (r"kết quả", 1.0), (r"đạt(?: được)?", 1.0), (r"so với", 1.0),
    (r"(?:tăng|giảm) \d+", 1.0), (r"ghi nhận", 2.0), (r"biểu dương", 2.0), (r"cảm ơn", 2.0),
    (r"tuyên dương", 2.0), (r"khen ngợi", 2.0), (r"đánh giá cao", 2.0), (r"trân trọng", 1.0),
    (r"nhận định", 1.5), (r"cho thấy", 1.5), (r"vẫn còn", 1.0),
    (r"chưa (?:thực sự|thực hiện|sâu sát|nghiêm|chủ động)", 1.5), (r"tình trạng", 0.5),
    (r"đã được", 1.0), (r"đang kiểm soát", 1.5), (r"thành công", 0.5),
)
_OTHER: tuple[tuple[str, float], ...] = (
    (r"^(?:ngày|sáng|trưa|chiều|tối|đêm) \d{1,2}/\d{1,2}", 2.0), (r"chủ trì", 1.5),
    (r"phát biểu", 1.0), (r"cho biết", 1.0), (r"bày tỏ", 1.0), (r"(?:ông|bà) [^.;,]{2,30} nói", 1.0),
    (r"hiện nay", 0.5), (r"diễn biến (?:hết sức |rất )?phức tạp", 1.0), (r"chung sức", 1.0),
    (r"đồng lòng", 1.0), (r"quyết tâm", 0.5), (r"truyền thống", 1.0), (r"xứng đáng", 1.0),
)
_COUNT = re.compile(r"\d{1,3}(?:\.\d{3})+|\d+(?:,\d+)?\s?%")  # 1.359 ; 40% ; 99,5 %
_CLAUSE_SPLIT = re.compile(r"[.;:!?…]+\s+|\n+")
_LEAD = re.compile(r"^[\s\-–•*+\"“”'(\[]*(?:\d{1,2}\s*[.)]\s*)?[\s\"“”'(\[]*")

# Folded patterns can collide ("cấm" and "cảm" both fold to "cam"): those are left out on
# text typed without diacritics.
_AMBIGUOUS_FOLDED = {r"cấm", r"giao(?! (?:thông|hàng|dịch|tiếp|lưu))", r"đạt(?: được)?"}


@dataclass(frozen=True)
class Cues:
    """Weighted evidence for each kind; exposed so ranking and reports can show why."""
    rule: float
    report: float
    other: float


def _compile(pairs, folded: bool):
    out = []
    for pat, w in pairs:
        if folded and pat in _AMBIGUOUS_FOLDED:
            continue
        p = fold(pat) if folded else pat
        out.append((re.compile(r"(?<!\w)" + p + r"(?!\w)" if not p.startswith("^") else p), w))
    return tuple(out)


_TABLES = {
    folded: (_compile(_RULE, folded), _compile(_REPORT, folded), _compile(_OTHER, folded),
             re.compile("(?:" + "|".join(sorted((re.escape(fold(v) if folded else v)
                                                 for v in _IMPERATIVE_VERBS), key=len, reverse=True))
                        + r")(?!\w)"))
    for folded in (False, True)
}


@lru_cache(maxsize=1 << 12)  # the shown clauses' cues are read for question after question
def cues(text: str) -> Cues:
    text = " ".join(nfc(text or "").split())
    folded = not has_diacritics(text)
    low = fold(text) if folded else text.lower()
    rule_pats, report_pats, other_pats, verbs = _TABLES[folded]

    def weigh(pats) -> float:
        return sum(w * min(len(p.findall(low)), 2) for p, w in pats)

    rule, report, other = weigh(rule_pats), weigh(report_pats), weigh(other_pats)
    for clause in _CLAUSE_SPLIT.split(low):
        head = _LEAD.sub("", clause)
        if verbs.match(head):
            rule += 2.0
    report += 0.75 * min(len(_COUNT.findall(low)), 3)
    return Cues(rule=rule, report=report, other=other)


def rule_score(text: str) -> float:
    """0..1: how surely the clause states a rule; about 0.3 with no cue either way."""
    c = cues(text)
    return (c.rule + 0.5) / (c.rule + c.report + c.other + 1.5)


def kind(text: str) -> Kind:
    c = cues(text)
    if (c.rule + 0.5) / (c.rule + c.report + c.other + 1.5) >= 0.5:
        return "rule"
    if c.report > 0 and c.report >= c.other:
        return "report"
    return "other"
