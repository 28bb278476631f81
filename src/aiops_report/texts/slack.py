"""Slack's words in Korean and English: the answers of the `/ai-report` command and the
alerts' messages (which email and webhooks carry too, without Slack's markup)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from aiops_report.language import Language

COMMAND_WORDS: Mapping[Language, Mapping[str, str]] = {
    "ko": {
        "working": "{week} 주간 리포트를 만들고 있습니다. 잠시 후 이 채널에 올라옵니다.",
        "working_partial": "{week} 주는 아직 진행 중이라 {through}까지의 중간 집계 리포트를 "
        "만들고 있습니다. 잠시 후 이 채널에 올라옵니다 (주간 리포트는 주가 끝난 뒤 나옵니다).",
        "not_a_date": "'{text}'은(는) 날짜가 아닙니다. `{command} YYYY-MM-DD` 형식으로 원하는 주의 "
        "아무 날짜나 입력하세요 (예: `{command} 2026-11-16`).",
        "out_of_range": "'{text}'은(는) 리포트할 수 있는 범위 밖의 날짜입니다. "
        "{earliest}부터 오늘까지의 날짜를 입력하세요.",
        "future": "{week} 주는 아직 시작되지 않았습니다.",
        "failed": "{week} 주간 리포트를 보내지 못했습니다: {error}",
        "not_in_channel": "봇이 이 채널에 없습니다 — `/invite {bot}`로 초대한 뒤 다시 시도하세요",
        "unexpected": "예기치 못한 오류입니다 (서비스 로그를 확인하세요)",
        "unrecorded": "요청을 기록하지 못해 처리하지 않았습니다: {error}",
    },
    "en": {
        "working": "Building the report of the week {week}; it will be posted here shortly.",
        "working_partial": "The week {week} is not over: building its week-to-date report "
        "(until {through}); it will be posted here shortly (the weekly report comes once the "
        "week is over).",
        "not_a_date": "'{text}' is not a date: use `{command} YYYY-MM-DD` with any day of the week "
        "wanted (e.g. `{command} 2026-11-16`).",
        "out_of_range": "'{text}' is out of the range reports cover: use a date from {earliest} "
        "to today.",
        "future": "The week {week} has not started yet.",
        "failed": "The report of the week {week} could not be delivered: {error}",
        "not_in_channel": "the bot is not in this channel — `/invite {bot}`, then try again",
        "unexpected": "an unexpected error (see the service's log)",
        "unrecorded": "The request could not be recorded, so it was not acted on: {error}",
    },
}


@dataclass(frozen=True)
class AlertWords:
    """An alert's words, without markup: Slack's bold and emoji are added where it is sent."""

    title: str  # {name}
    so_far: str  # {time}
    line_value: str  # {metric} {value} {observations}
    baseline: str  # {median} {days}
    no_baseline: str
    anomaly: str  # {z} {limit}
    above: str  # {value}
    below: str  # {value}
    worst: str
    score: str
    comment: str
    built_in: Mapping[str, str]  # the names of the built-in rules, by their metric


ALERT_WORDS: Mapping[Language, AlertWords] = {
    "ko": AlertWords(
        title="알림: {name}",
        so_far="오늘 {time}까지",
        line_value="• {metric}: {value} (관측 {observations}건)",
        baseline="• 기준선: {median} (최근 8주 같은 요일 {days}일의 중앙값)",
        no_baseline="• 기준선: – (최근 8주 같은 요일의 기록 없음)",
        anomaly="• robust z = {z} (±{limit:g}를 넘으면 이상)",
        above="• 기준: {value} 초과",
        below="• 기준: {value} 미만",
        worst="이 날의 가장 나쁜 대화:",
        score="점수",
        comment="의견",
        built_in={
            "satisfaction_rate": "만족도 이상 징후",
            "avg_score": "평균 점수 이상 징후",
            "conversations": "대화 수 이상 징후",
            "latency_p95_ms": "응답 시간 p95 이상 징후",
        },
    ),
    "en": AlertWords(
        title="Alert: {name}",
        so_far="today until {time}",
        line_value="• {metric}: {value} ({observations} observations)",
        baseline="• baseline: {median} (median of the same weekday, {days} of the 8 weeks before)",
        no_baseline="• baseline: – (no same weekday in the 8 weeks before)",
        anomaly="• robust z = {z} (beyond ±{limit:g} is anomalous)",
        above="• threshold: above {value}",
        below="• threshold: below {value}",
        worst="The day's worst conversations:",
        score="score",
        comment="comment",
        built_in={
            "satisfaction_rate": "satisfaction rate anomaly",
            "avg_score": "average score anomaly",
            "conversations": "conversations anomaly",
            "latency_p95_ms": "p95 latency anomaly",
        },
    ),
}
