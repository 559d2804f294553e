"""A number after a noun names which one; a clause naming that thing only by other numbers is
about another one (retrieval/numbered.py)."""
import pytest

from retrieval.numbered import as_said, named, other_one

DOSE_2 = "Tiếp tục triển khai tiêm chủng mũi 2 ngay khi được phân bổ vắc xin"


@pytest.mark.parametrize("question", ["Tiêm mũi 3 ở đâu?", "tiem mui 3 o dau", "Bao giờ được tiêm mũi thứ 3?"])
def test_a_clause_about_the_second_dose_does_not_answer_the_third(question):
    assert other_one(question, DOSE_2) == ("mui", "3")


@pytest.mark.parametrize("question", [
    "tiem mui 1 r thi khi nao tiem mui 2",  # one of the numbers asked is the clause's
    "Bao giờ thì được tiêm mũi 2?",
    "Em mới chích 1 mũi, bao giờ tới lượt?",  # "1 mũi" is how many, not which
    "Ai được tiêm vắc xin?",  # no number at all
])
def test_questions_that_name_the_clauses_one_or_none_pass(question):
    assert other_one(question, DOSE_2) is None


def test_a_clause_that_names_no_number_for_the_thing_passes():
    assert other_one("Cấp độ 4 thì sao?", "thực hiện việc xác định cấp độ dịch theo hướng dẫn") is None


def test_a_clause_naming_several_passes_when_one_is_asked():
    clause = "lớp lõi có dịch giãn cách theo Chỉ thị 16, lớp tiếp theo thực hiện theo chỉ thị 15"
    assert other_one("Chỉ thị 16 có cho ra đường không?", clause) is None
    assert other_one("chỉ thị 19 là gì", clause) == ("chi thi", "19")


def test_numbers_are_read_whatever_the_spelling():
    assert named("Chỉ thị số 08-CT/TU") == named("chi thi 8") == {("chi thi", "8")}
    assert named("F0 cách ly ở đâu") == named("f0 cach ly o dau") == {("f", "0")}


@pytest.mark.parametrize("text", ["ngày 23/7/2021", "xử phạt 1.359 trường hợp", "cách ly 14 ngày",
                                  "huy động 789 tổ công tác", "hỗ trợ 500 nghìn đồng", "tiêm 2 mũi"])
def test_dates_figures_and_quantities_name_nothing(text):
    assert named(text) == frozenset()


@pytest.mark.parametrize("question, clause", [
    ("chỉ số glucose mỗi ngày dưới 100", "chỉ số đường dưới 7 mmol/l"),  # a comparison
    ("Tôi đã đặt 4 stent", "Anh/Chị đã đặt 2 stent mạch vành"),  # a count of a noun not listed
    ("Tầng 1 gồm cơ sở nào?", "Tầng 1 là cơ sở thu dung; tầng 3 là bệnh viện"),  # the clause names it too
])
def test_only_nouns_that_name_one_of_a_series_are_checked(question, clause):
    assert other_one(question, clause) is None


def test_a_tier_and_a_contact_group_are_named_too():
    assert other_one("Tầng 1 gồm cơ sở nào?", "cơ sở điều trị thuộc tầng 3 của tháp") == ("tang", "1")
    assert other_one("F0 có phải cách ly không?", "F1 phải cách ly tập trung") == ("f", "0")


def test_an_unaccented_question_reads_ngay_as_a_unit_but_a_clause_does_not():
    assert named("cach ly 14 ngay") == frozenset()
    assert named("tiêm chủng mũi 2 ngay khi có vắc xin") == {("mui", "2")}


def test_what_was_asked_and_what_the_clause_names_are_said_as_the_clause_writes_them():
    assert as_said("tiem mui 3 o dau", DOSE_2) == ("mũi 3", "mũi 2")
    assert as_said("chi thi 19 la gi", "theo Chỉ thị 16, lớp tiếp theo theo chỉ thị 15") == ("chỉ thị 19",
                                                                                            "chỉ thị 15, 16")
    assert as_said("Bao giờ thì được tiêm mũi 2?", DOSE_2) is None
