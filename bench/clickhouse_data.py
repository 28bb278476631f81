"""The benchmark's weeks made by ClickHouse itself: `INSERT … SELECT … FROM numbers(…)`, a day
of each table per statement, in time order.

The same shapes as shapes.py's `day_batches` (which would take hours at 10M a week in
Python): the same columns, models, users (a third of a week's conversations), four
conversations a session, latencies lognormal around e^6.8 (NULL every 97th of a day), tokens,
feedback values with a comment on every dislike, scores from 0 to 10 (NULL every 41st) and
Korean texts each made distinct as `detail()` makes them. Random draws are hashes of a seed,
the row and the draw (cityHash64), so a build is reproducible; they are not Python's, so the
rows differ from the Python generator's, not their distributions.

All eight weeks are full size: the reported week and the week before are what the report
reads, and the six before are the insights' baseline, which Monday's report takes from the kept
totals after proving them current by counting each of their days (ClickHouse numbers no row,
so there is no watermark to read from).
"""

from __future__ import annotations

import time
from datetime import datetime, timedelta
from typing import Any

from shapes import (
    ANSWERS,
    COMMENTS,
    DETAILS,
    FEEDBACK,
    MODELS,
    QUESTIONS,
    REASONS,
    WEEK_START,
    WEEKS,
    ZONE,
)

SEED = 1
TABLES = ("conversation_log", "feedback_log", "conversation_evaluation")
DAY_MICROS = 86_400_000_000
FEEDBACK_DELAY_MICROS = 30_000_000  # a rating follows its conversation by 30 seconds


def strings(values: list[str]) -> str:
    """A ClickHouse array literal of `values`."""
    quoted = ("'" + v.replace("\\", "\\\\").replace("'", "\\'") + "'" for v in values)
    return "[" + ", ".join(quoted) + "]"


def draw(stream: int) -> str:
    """The row's random UInt64 of `stream` (a different number for each draw of a row)."""
    return f"cityHash64({SEED}, number, {stream})"


def uniform(stream: int) -> str:
    """A uniform draw in (0, 1]."""
    return f"((toFloat64({draw(stream)}) + 1) / 18446744073709551616)"


def pick(values: list[str], stream: int) -> str:
    return f"{strings(values)}[1 + {draw(stream)} % {len(values)}]"


def with_detail(texts: list[str], stream: int) -> str:
    """A text of `texts` and a detail (as shapes.detail), trimmed: a text of its own."""
    detail = (
        f"replaceOne(replaceOne(replaceOne({pick(DETAILS, stream + 1)}, "
        f"'{{n}}', toString(number + 1)), "
        f"'{{k}}', toString(2 + {draw(stream + 2)} % 898)), "
        f"'{{h}}', toString(1 + {draw(stream + 3)} % 11))"
    )
    return f"trimBoth(concat({pick(texts, stream)}, ' ', {detail}))"


def statements(per_week: int, day: int) -> dict[str, str]:
    """{table: INSERT … SELECT of the rows of `day` (0 the first)}, each row a conversation
    (`number` + 1 its id) with its feedback and its evaluation."""
    per_day = per_week // 7
    start = datetime.combine(WEEK_START - timedelta(weeks=WEEKS - 2), datetime.min.time(), ZONE)
    start_micros = round(start.timestamp() * 1_000_000)
    # Row i of a day at i / per_day of the day, in microseconds.
    at = (
        f"{start_micros} + intDiv(number, {per_day}) * {DAY_MICROS} "
        f"+ intDiv(number % {per_day} * {DAY_MICROS}, {per_day})"
    )
    rated = f"fromUnixTimestamp64Micro(toInt64({at} + {FEEDBACK_DELAY_MICROS}))"
    latency = f"exp(6.8 + 0.4 * sqrt(-2 * log({uniform(5)})) * cos(2 * pi() * {uniform(6)}))"
    rows = f"FROM numbers({day * per_day}, {per_day})"
    feedback = pick(FEEDBACK, 9)
    return {
        "conversation_log": (
            "INSERT INTO conversation_log (id, user_id, session_id, user_message, ai_response, "
            "model, latency_ms, prompt_tokens, completion_tokens, created_at) SELECT "
            "number + 1, "
            f"concat('user-', toString({draw(1)} % {per_week // 3 + 1})), "
            "concat('s-', toString(intDiv(number + 1, 4))), "
            f"replaceOne({pick(QUESTIONS, 2)}, '{{n}}', toString(number + 1)), "
            f"replaceOne({pick(ANSWERS, 3)}, '{{n}}', toString(number + 1)), "
            f"{pick(MODELS, 4)}, "
            f"if(number % {per_day} % 97 = 0, NULL, toInt32({latency})), "
            f"toInt32(100 + {draw(7)} % 1400), "
            f"toInt32(20 + {draw(8)} % 580), "
            f"fromUnixTimestamp64Micro(toInt64({at})) {rows}"
        ),
        "feedback_log": (
            "INSERT INTO feedback_log (id, conversation_id, feedback, comment, created_at) "
            f"SELECT number + 1, number + 1, {feedback}, "
            f"if(positionCaseInsensitive({feedback}, 'dislike') > 0, "
            f"{with_detail(COMMENTS, 10)}, NULL), {rated} {rows}"
        ),
        "conversation_evaluation": (
            "INSERT INTO conversation_evaluation (id, conversation_id, score, evaluator, "
            "reason, created_at) "
            f"SELECT number + 1, number + 1, "
            f"if(number % {per_day} % 41 = 0, NULL, round({uniform(20)} * 10, 1)), "
            f"'llm-judge', {with_detail(REASONS, 21)}, {rated} {rows}"
        ),
    }


def fill(client: Any, per_week: int, log: Any) -> None:
    """Fill the three tables with `per_week` conversations a week for WEEKS weeks, a
    day per statement, then merge each table's parts (OPTIMIZE … FINAL) as ClickHouse's
    background merges leave a table that has been appended to for weeks."""
    for table in TABLES:  # a build stopped half-way starts over
        client.command(f"TRUNCATE TABLE {table}")
    for day in range(WEEKS * 7):
        started = time.perf_counter()
        for statement in statements(per_week, day).values():
            client.command(statement)
        log(f"day {day + 1}/{WEEKS * 7}: {time.perf_counter() - started:.1f} s")
    for table in TABLES:
        started = time.perf_counter()
        client.command(f"OPTIMIZE TABLE {table} FINAL")
        log(f"merged {table}: {time.perf_counter() - started:.1f} s")
