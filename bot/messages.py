"""Every sentence a resident reads, in one place: short, natural Vietnamese.

Channels and the renderer take their wording from here and never write their own, so a
change of tone or a fix of a typo happens once for Telegram, Zalo and the console alike.
"""
from __future__ import annotations

import os

from retrieval.input_check import EMPTY, MAX_QUESTION_CHARS, NO_LETTERS, TOO_LONG
from retrieval.answer_kind import DURATION, MONEY

# --- conversation ---------------------------------------------------------------------------

EXAMPLES = (
    "Tôi có được ra ngoài không?",
    "Phương châm “4 tại chỗ” là gì?",
    "Người về từ vùng dịch có phải xét nghiệm không?",
)
GREETING = (
    "Xin chào! Mình là trợ lý tra cứu quy định phòng, chống dịch Covid-19 của Hà Nội.\n"
    "Bạn hỏi, mình trả lời bằng đúng câu chữ trong văn bản và ghi rõ nguồn: tên văn bản, "
    "cơ quan ban hành, ngày, mục.\n"
    "Mình không tư vấn sức khỏe và không trả lời những gì văn bản không nói; khi đó mình sẽ chỉ "
    "bạn nơi hỏi chính thức."
)
HELP_LINES = (
    "Cách dùng: gõ câu hỏi bằng tiếng Việt, có dấu hay không dấu đều được.",
    "/nguon — các văn bản mình đang tra cứu",
    "/help — hướng dẫn này",
)
FEEDBACK_HELP = "Dưới mỗi câu trả lời có nút 👍 / 👎 để bạn góp ý; cán bộ sẽ xem lại các câu trả lời."
TRY_EXAMPLES = "Bạn có thể bấm thử một câu hỏi dưới đây, hoặc tự gõ câu hỏi của mình."
EXAMPLES_TEXT = "Bạn có thể gõ thử một câu hỏi, ví dụ:\n" + "\n".join(f"• {q}" for q in EXAMPLES)
UNKNOWN_COMMAND = "Mình không có lệnh này."

FLOOD = "Bạn gửi hơi nhanh, mình chưa kịp trả lời. Bạn đợi vài giây rồi hỏi tiếp nhé."
ERROR = "Xin lỗi, mình đang gặp sự cố nên chưa trả lời được. Bạn vui lòng thử lại sau ít phút."
NON_TEXT = "Mình chỉ đọc được tin nhắn chữ. Bạn hãy gõ câu hỏi, ví dụ: “Tôi có được ra ngoài không?”"

FEEDBACK_THANKS = "Cảm ơn bạn đã góp ý!"
FEEDBACK_AGAIN = "Bạn đã góp ý cho câu trả lời này rồi, cảm ơn bạn!"
FEEDBACK_UNKNOWN = "Câu trả lời này đã cũ nên mình chưa ghi nhận được góp ý. Bạn thử hỏi lại nhé."
FEEDBACK_DONE = "Đã ghi nhận góp ý"
FEEDBACK_UP, FEEDBACK_DOWN = "👍 Đúng", "👎 Chưa đúng"
SOURCES_COMMANDS = ("nguon", "nguồn")  # /nguon, also typed with its diacritics
COMMAND_MENU = {"start": "Giới thiệu và câu hỏi ví dụ", "help": "Cách dùng", "nguon": "Các văn bản đang tra cứu"}


def help_text(buttons: bool) -> str:
    """The help; the feedback line only where the channel shows 👍/👎 buttons."""
    return "\n".join(HELP_LINES + ((FEEDBACK_HELP,) if buttons else ()))


# --- small talk (retrieval.smalltalk kinds) -------------------------------------------------

SMALL_TALK_OPENING = {
    "greeting": "Chào bạn!",
    "thanks": "Không có gì, rất vui được giúp bạn!",
    "identity": "Mình là trợ lý tra cứu quy định phòng, chống dịch Covid-19 của Hà Nội.",
    "ack": "Vâng ạ.",
    "bye": "Chào bạn, chúc bạn luôn khỏe mạnh!",
    "laughter": "😊",
    "emoji": "😊",
}
SMALL_TALK_CAN_DO = ("Bạn cứ hỏi về quy định chống dịch, mình sẽ trả lời bằng đúng câu chữ trong văn bản "
                     "và ghi rõ nguồn.")


def small_talk(kind: str | None) -> list[str]:
    """A short, friendly reply to small talk: what the bot can do, and two example questions."""
    opening = SMALL_TALK_OPENING.get(kind or "", "Chào bạn!")
    examples = "Bạn có thể hỏi, ví dụ:\n" + "\n".join(f"• {q}" for q in EXAMPLES[:2])
    return [f"{opening} {SMALL_TALK_CAN_DO}", examples]


# --- answers --------------------------------------------------------------------------------

DEFAULT_HOTLINE = "đường dây nóng của Bộ Y tế 1900 9095, hoặc UBND phường, xã nơi bạn ở"
# What a no_match answer says is missing when a question asked for a figure (retrieval.answer_kind).
FIGURES = {MONEY: "số tiền cụ thể", DURATION: "thời hạn cụ thể (bao nhiêu ngày, bao lâu)"}
LEAD_NEWEST = "Văn bản mới nhất về việc này (ngày {date}) nêu:"
LEAD = "Quy định liên quan nhất mình tìm được:"
MORE = "Các đoạn liên quan khác:"
SOURCES_HEAD = "Các văn bản mình đang tra cứu (mới nhất trước):"
NO_SOURCES = "Hiện mình chưa có văn bản nào để tra cứu."
UNKNOWN_DATE = "không rõ ngày"


def hotline() -> str:
    return os.environ.get("RULEBOT_HOTLINE") or DEFAULT_HOTLINE


def not_found(scope: str, missing: str | None, other: tuple[str, str] | None = None) -> list[str]:
    """An honest "not in the documents", and where to ask instead. `other`: what was asked and
    what the closest clause names instead ("mũi 3", "mũi 2")."""
    if other:
        first = (f"Mình chưa tìm thấy quy định về {other[0]} trong các văn bản đang có{scope}; "
                 f"đoạn gần nhất nói về {other[1]}.")
    elif missing in FIGURES:
        first = f"Các văn bản mình đang có{scope} không nêu {FIGURES[missing]} cho việc này."
    else:
        first = f"Mình chưa tìm thấy quy định nào về việc này trong các văn bản đang có{scope}."
    return [first, f"Bạn vui lòng liên hệ {hotline()} để được hướng dẫn."]


def scope(as_of: str | None) -> str:
    return f" (tính đến ngày {as_of})" if as_of else ""


def invalid_question(reason: str | None, length: int = 0) -> str:
    """Why an input was not treated as a question (reason codes of retrieval.answer.check_question)."""
    if reason == EMPTY:
        return ("Bạn chưa nhập câu hỏi. Hãy gõ câu hỏi về quy định phòng, chống dịch, "
                "ví dụ: “Tôi có được ra ngoài không?”")
    if reason == TOO_LONG:
        return (f"Câu hỏi dài quá ({_thousands(length)} ký tự). Bạn vui lòng hỏi ngắn gọn, "
                f"tối đa {_thousands(MAX_QUESTION_CHARS)} ký tự, mỗi lần một ý.")
    if reason == NO_LETTERS:
        return "Mình chưa hiểu câu hỏi. Bạn hãy gõ câu hỏi bằng chữ, ví dụ: “Tôi có được ra ngoài không?”"
    return "Mình chưa hiểu câu hỏi."


def _thousands(n: int) -> str:
    """Vietnamese groups thousands with a dot: 20.000."""
    return f"{n:,}".replace(",", ".")
