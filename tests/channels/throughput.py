"""Whole-bot throughput: the real model and index behind a real `rulebot telegram|zalo` process,
against the fake Bot API, answers per second. A benchmark (printed, never asserted):

    .venv/bin/python tests/channels/throughput.py [--channel telegram|zalo|both] [--questions 200]
        [--repo DIR]    # the checkout whose code runs the bot
        [--baseline DIR --baseline-index DIR]   # an older checkout run in the same session, interleaved,
                                                # and the ratio of answers/s printed per channel

Questions come from the gold set (every k-th), spread over enough chats that the flood limit
(5 per 10 s per resident) never applies. Time runs from the first question pushed to the last
reply received; latency is per question, push to reply.
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
sys.path.insert(0, str(HERE))

from fake_telegram import FakeTelegram  # noqa: E402
from fake_zalo import FakeZalo  # noqa: E402


def questions(n: int) -> list[str]:
    gold = REPO / "data" / "gold" / "questions.jsonl"
    qs = [json.loads(line)["question"] for line in gold.read_text(encoding="utf-8").splitlines() if line.strip()]
    step = max(1, len(qs) // n)
    return (qs[::step] * (n // len(qs[::step]) + 1))[:n]


def run(channel: str, n: int, repo: Path, index: str | None, model: str | None) -> dict:
    fake = (FakeTelegram() if channel == "telegram" else FakeZalo()).start()
    prefix = channel.upper()
    work = Path(tempfile.mkdtemp(prefix="rulebot-throughput-"))
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "ZALO_"))}
    env.update({f"{prefix}_BOT_TOKEN": fake.token, f"{prefix}_API_BASE_URL": fake.api_url,
                "RULEBOT_LOG": str(work / "log.db"), "RULEBOT_LOG_LEVEL": "WARNING", "PYTHONPATH": str(repo),
                "HF_HUB_OFFLINE": "1"})
    if index:
        env["RULEBOT_INDEX"] = index
    if model:
        env["RULEBOT_MODEL"] = model
    err = (work / "bot.stderr").open("wb")
    bot = subprocess.Popen([sys.executable, "-m", "bot.cli", channel], cwd=repo, env=env,
                           stdout=subprocess.DEVNULL, stderr=err)
    try:
        fake.wait_until(lambda: fake.called("getUpdates") or bot.poll() is not None, 300, "the bot polling")
        if bot.poll() is not None:
            raise SystemExit((work / "bot.stderr").read_text())
        qs = questions(n)
        chat = (lambda i: 100_000 + i) if channel == "telegram" else (lambda i: f"t{i}")
        pushed = {}
        t0 = time.perf_counter()
        for i, q in enumerate(qs):  # one question per chat: the flood limit never applies
            pushed[i] = time.perf_counter()
            fake.text(chat(i), q) if channel == "telegram" else fake.push(q, chat_id=chat(i))
        fake.wait_until(lambda: all(fake.to(chat(i)) for i in range(n)), 600, f"{n} replies", every=0.05)
        total = time.perf_counter() - t0
        latency = sorted((fake.to(chat(i))[0].at - pushed[i]) * 1000 for i in range(n))
        messages = sum(len(fake.to(chat(i))) for i in range(n))  # a long answer goes out in parts
        typing = len(fake.called("sendChatAction"))  # each one spends the platform's per-bot budget too
    finally:
        bot.terminate()
        try:
            bot.wait(20)
        except subprocess.TimeoutExpired:
            bot.kill()
        err.close()
        fake.stop()
    return {"channel": channel, "questions": n, "seconds": total, "per_second": n / total,
            "messages_per_second": messages / total, "typing": typing,
            "p50_ms": statistics.median(latency), "p95_ms": latency[int(0.95 * (n - 1))]}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--channel", choices=("telegram", "zalo", "both"), default="both")
    ap.add_argument("--questions", type=int, default=200)
    ap.add_argument("--repo", default=str(REPO), help="the checkout whose code runs the bot")
    ap.add_argument("--index", help="index directory (default: the bot's own default)")
    ap.add_argument("--model", help="model (default: the bot's own default)")
    ap.add_argument("--baseline", help="another checkout to run interleaved with this one, for ratios")
    ap.add_argument("--baseline-index", help="the index the baseline serves (default: its own default)")
    args = ap.parse_args()
    channels = ("telegram", "zalo") if args.channel == "both" else (args.channel,)
    runs = [("this", Path(args.repo).resolve(), args.index)]
    if args.baseline:
        runs.append(("baseline", Path(args.baseline).resolve(), args.baseline_index))
    for name, repo, _ in runs:
        print(f"{name}: {repo}")
    print(f"{'code':<10}{'channel':<10}{'questions':>10}{'seconds':>9}{'answers/s':>11}{'messages/s':>12}{'p50 ms':>9}{'p95 ms':>9}{'typing':>8}")
    rate: dict = {}
    for c in channels:
        for name, repo, index in runs:
            r = run(c, args.questions, repo, index, args.model)
            rate[name, c] = r["per_second"]
            print(f"{name:<10}{r['channel']:<10}{r['questions']:>10}{r['seconds']:>9.1f}{r['per_second']:>11.2f}"
                  f"{r['messages_per_second']:>12.2f}{r['p50_ms']:>9.0f}{r['p95_ms']:>9.0f}{r['typing']:>8}", flush=True)
    if args.baseline:
        for c in channels:
            print(f"{c}: {rate['this', c] / rate['baseline', c]:.2f}x the baseline's answers/s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
