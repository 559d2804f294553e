"""Rule-stating clauses are told from reports and narration, on hand-made sentences; and on 60
clauses of the five texts labelled by hand before the classifier was written."""
import json
from pathlib import Path

import pytest

from retrieval.clause_kind import cues, kind, rule_score

LABELS = Path(__file__).resolve().parent / "data" / "clause_kind_labels.jsonl"

RULES = [
    "Người dân chỉ ra ngoài khi thật sự cần thiết như mua lương thực, thực phẩm, khám chữa bệnh.",
    "Tạm dừng hoạt động các cơ sở cắt tóc, gội đầu, spa kể từ 0 giờ ngày 10/8.",
    "Nghiêm cấm tụ tập quá 5 người ở nơi công cộng.",
    "Không được tổ chức tiệc cưới, đám cưới trong thời gian giãn cách.",
    "Các nhà hàng chỉ được bán mang về, không phục vụ tại chỗ.",
    "Yêu cầu mọi người dân đeo khẩu trang khi ra khỏi nhà.",
    "Cho phép các cửa hàng bán lẻ xăng dầu hoạt động bình thường.",
    "Đề nghị người dân khai báo y tế trung thực khi đi qua chốt.",
    "Thực hiện giãn cách xã hội toàn thành phố trong 15 ngày.",
    "Tăng cường kiểm tra, giám sát việc chấp hành quy định tại các chợ dân sinh.",
    "3. Rà soát, bố trí đủ giường bệnh tại các cơ sở thu dung.",
    "Các doanh nghiệp phải bố trí cho người lao động ăn, nghỉ tại chỗ.",
    "UBND các quận chịu trách nhiệm nếu để dịch lây lan trên địa bàn.",
    "Người về từ vùng dịch cần tự cách ly tại nhà và theo dõi sức khỏe 14 ngày.",
    "nguoi dan chi ra ngoai khi that su can thiet",
    "khong duoc tu tap dong nguoi noi cong cong",
]
REPORTS = [
    "Bước đầu đã xử phạt 1.359 trường hợp vi phạm không đeo khẩu trang.",
    "Trong tuần qua, lực lượng chức năng đã kiểm tra 2.450 cơ sở, lập biên bản 87 trường hợp.",
    "Tỷ lệ người trên 18 tuổi được tiêm mũi 1 đạt 95,6%, tăng 12% so với tuần trước.",
    "Thành phố ghi nhận, biểu dương sự nỗ lực của đội ngũ y bác sĩ tuyến đầu.",
    "Ban Chỉ đạo trân trọng cảm ơn sự đồng lòng ủng hộ của nhân dân.",
    "Kết quả kiểm tra cho thấy vẫn còn một số phường chưa thực hiện nghiêm việc khai báo y tế.",
    "Công an quận đã lập 12 chốt kiểm soát và huy động 300 cán bộ tham gia.",
    "Thu ngân sách đến hết tháng 6 đạt 52% dự toán.",
]
OTHERS = [
    "Chiều 12/8, Chủ tịch UBND thành phố đã chủ trì cuộc họp trực tuyến với các quận, huyện.",
    "Hiện nay tình hình dịch trên địa bàn vẫn diễn biến hết sức phức tạp.",
    "Với truyền thống đoàn kết, toàn thể nhân dân chung sức, đồng lòng vượt qua khó khăn.",
    "Buổi làm việc được truyền hình trực tuyến tới 30 quận, huyện, thị xã.",
]


@pytest.mark.parametrize("text", RULES)
def test_rules(text):
    assert kind(text) == "rule"
    assert rule_score(text) >= 0.5


@pytest.mark.parametrize("text", REPORTS)
def test_reports(text):
    assert kind(text) == "report"
    assert rule_score(text) < 0.5


@pytest.mark.parametrize("text", OTHERS)
def test_narration(text):
    assert kind(text) == "other"


def test_a_rule_outscores_the_tally_that_enforces_it():
    rule = "Người dân chỉ ra ngoài khi thật sự cần thiết; không tụ tập quá 2 người ngoài nơi công cộng."
    tally = "Bước đầu đã xử phạt 1.359 trường hợp vi phạm ra ngoài không đúng quy định, không đeo khẩu trang."
    assert rule_score(rule) > 0.7 > 0.2 > rule_score(tally)


def test_score_is_graded_and_bounded():
    weak = "Tiếp tục triển khai kế hoạch tiêm vắc xin."
    strong = "Các cơ sở phải đóng cửa; nghiêm cấm mọi hoạt động tụ tập, không được mở lại khi chưa có cho phép."
    assert 0.5 <= rule_score(weak) < rule_score(strong) <= 1.0
    for t in ["", "   ", "Hà Nội", "1.359", "?" * 5000]:
        assert 0.0 <= rule_score(t) <= 1.0
        assert kind(t) in ("rule", "report", "other")


def test_folded_text_does_not_read_cam_on_as_a_ban():
    # "cấm" and "cảm" fold alike: without diacritics only the thanks may count
    assert cues("cam on nhan dan").rule == 0


def _labelled():
    return [json.loads(line) for line in LABELS.read_text(encoding="utf-8").splitlines()]


def test_labelled_sample_is_what_was_promised():
    rows = _labelled()
    assert len(rows) == 60 and {r["label"] for r in rows} <= {"rule", "report", "other"}


def test_accuracy_on_hand_labelled_clauses():
    """Floors set from the first and only scoring of the classifier on these labels."""
    rows = _labelled()
    pred = [kind(r["text"]) for r in rows]
    acc = sum(p == r["label"] for p, r in zip(pred, rows)) / len(rows)
    reports = [(p, r["label"]) for p, r in zip(pred, rows) if r["label"] == "report"]
    report_recall = sum(p == "report" for p, _ in reports) / len(reports)
    rules_flagged = sum(p != "rule" for p, r in zip(pred, rows) if r["label"] == "rule")
    assert acc >= ACC_FLOOR
    assert report_recall >= REPORT_RECALL_FLOOR
    assert rules_flagged <= RULES_MISSED_CEILING


# First scoring (commit 8ba8d34): accuracy 56/60 = 0.933 (always "rule": 0.817); reports 9/9,
# narration 2/2; 4 of 49 rules missed (verbless list fragments of a longer item, a closing
# "phổ biến ... để tổ chức thực hiện", and "biểu dương, khen thưởng" as a task within a directive).
ACC_FLOOR = 0.9
REPORT_RECALL_FLOOR = 0.85
RULES_MISSED_CEILING = 5
