"""Which questions ask for a figure, and which clauses give one (retrieval.answer_kind)."""
import pytest

from retrieval.answer_kind import DURATION, MONEY, asked_for, states


@pytest.mark.parametrize("question, kind", [
    ("Không đeo khẩu trang bị phạt bao nhiêu tiền?", MONEY),
    ("khong deo khau trang bi phat bao nhieu tien", MONEY),
    ("xet nghiem PCR het bn tien", MONEY),
    ("Kit test nhanh giá bao nhiêu?", MONEY),
    ("ra đường không lý do bị phạt bao nhiêu", MONEY),
    ("Cách ly tại nhà mấy ngày?", DURATION),
    ("gian cach bao lau", DURATION),
    ("F1 phải cách ly bao nhiêu ngày thì được về", DURATION),
])
def test_a_question_asking_for_a_sum_or_a_length_of_time_is_recognised(question, kind):
    assert asked_for(question) == kind


@pytest.mark.parametrize("question", [
    "Tôi có được ra ngoài không?",
    "Đã có bao nhiêu người bị phạt vì ra đường sai quy định?",  # a count, which clauses do give
    "Công nhân mất thu nhập vì dịch có được nhận tiền hỗ trợ không?",  # whether, not how much
    "xe cho hang thiet yeu co duoc uu tien khong",  # "ưu tiên" folds to "tien"
    "nghi lam ko co luong may thang nay thi co dc tro cap j ko",  # "mấy tháng nay": lately
    "Bao giờ thì được tiêm mũi 2?",  # a date, not a length of time
])
def test_other_questions_are_not_checked(question):
    assert asked_for(question) is None


def test_a_clause_gives_a_sum_only_with_an_amount_of_money():
    assert states(MONEY, "mức hỗ trợ 1.500.000 đồng/người")
    assert states(MONEY, "hỗ trợ 3 triệu đồng mỗi hộ")
    assert not states(MONEY, "Bước đầu đã xử phạt 1.359 trường hợp vi phạm ra ngoài không đúng quy định")


def test_a_clause_gives_a_length_of_time_with_a_number_of_days_or_hours():
    assert states(DURATION, "không chỉ 15 ngày giãn cách xã hội")
    assert states(DURATION, "cách ly mười bốn ngày")
    assert states(DURATION, "trả kết quả trong vòng 24 giờ")
    assert not states(DURATION, "Chiều 10/5, Thường trực Thành ủy Hà Nội đã làm việc")
    assert not states(DURATION, "bảo đảm 22/22 chốt hoạt động 24/24h")  # round the clock, not how long


def test_a_clause_gives_a_length_of_time_in_words_too():
    assert states(DURATION, "phải có báo cáo giờ, thậm chí từng phút theo diễn biến của dịch")
    assert states(DURATION, "cập nhật hằng ngày")
    assert states(DURATION, "trả kết quả xét nghiệm trong thời gian ngắn nhất")
    assert states(DURATION, "tiêm mũi 2 ngay lập tức")
    assert not states(DURATION, "thực hiện khẩn trương, tốc độ")  # how fast, not how long
    assert not states(DURATION, "ngày 23/7/2021")


def test_no_kind_asks_nothing_of_the_clause():
    assert states(None, "bất kỳ đoạn nào")
