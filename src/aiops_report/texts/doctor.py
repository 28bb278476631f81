"""`doctor`'s words in Korean and English, and its `Finding`: a level, the key of its words and
their values, read in either language.

A value may itself be words (`Phrase`) or a list of them (`Listed`), each read in the same
language as the line; other values (names, numbers, an exception's text) are shown as they are.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

from aiops_report.language import Language, in_language

Level = Literal["ok", "warn", "error"]

DOCTOR_WORDS: Mapping[Language, Mapping[str, str]] = {
    "ko": {
        # how words are joined in a list
        "and": " 및 ",
        "or": " 또는 ",
        "then": "; ",
        "comma": ", ",
        # an error's own text (from the exception that said it)
        "error": "{error}",
        # the database
        "connected": "{dialect} 연결됨: {url}",
        "mapping_read": "스키마 매핑을 {path}에서 읽음",
        "table": "테이블 {table} ({role}): created_at = {column} ({time}); {details}",
        "time_epoch_s": "정수 epoch, 초 단위",
        "time_epoch_ms": "정수 epoch, 밀리초 단위",
        "time_aware": "시간대가 있는 timestamp",
        "time_instant": "시간대가 있는 ClickHouse DateTime (시각 그대로 비교)",
        "time_naive": "시간대 없는 timestamp, {zone}({setting}) 시각으로 읽음",
        "time_sqlite_text": "SQLite 텍스트, {zone}({setting}) 시각으로 읽음",
        "filter": "테이블 {table}: where {where} — 최근 {weeks}주의 {rows}행 중 {kept}행을 "
        "남기고 {removed}행을 뺌",
        "feedback_as": "피드백은 {kind}({type})로 비교",
        "value_text": "텍스트",
        "value_integer": "정수",
        "value_number": "숫자",
        "value_boolean": "참/거짓",
        "scores_scale": "점수 {low}~{high} ({type})",
        "columns": "열: {columns}",
        "absent": "없는 열 (해당 리포트 섹션은 빠짐): {columns}",
        "insights": "인사이트: {parts}",
        "part_available": "{part}: 사용 가능",
        "part_left_out": "{part}: 빠짐, {columns} 필요",
        "part_needs_extra": "{part}: 빠짐, 설치 필요: {hint}",
        "part_changes": "변화 검정",
        "part_anomalies": "이상 징후",
        "part_by_model": "모델별",
        "part_agreement": "피드백과 평가의 일치",
        "part_themes": "불만 주제",
        "role_conversations": "대화",
        "role_feedback": "피드백",
        "role_evaluations": "평가",
        "no_index": "테이블 {table}: created_at 열에 인덱스가 없어 리포트마다 테이블 전체를 "
        "읽습니다. 해결: {statement}",
        # what the columns hold
        "no_feedback": "최근 {weeks}주에 피드백 행이 없습니다",
        "feedback_values": "최근 {weeks}주의 피드백 값: {values}",
        "feedback_value": "{value} ×{count} {kind}",
        "like": "좋아요",
        "dislike": "싫어요",
        "neither": "해당 없음",
        "more_values": "그 밖의 값 {count}개",
        "none": "없음",
        "neither_share": "피드백 {total}행 중 {neither}행이 좋아요도 싫어요도 아닙니다 ({odd}). "
        "좋아요는 {likes}, 싫어요는 {dislikes}입니다: 다른 값도 세려면 SCHEMA_FILE의 "
        "[feedback]에 like = [...]와 dislike = [...]로 적으세요{hint}",
        "words_hint": " (이 열의 값이라면 like = {likes}, dislike = {dislikes})",
        "scores": "최근 {weeks}주의 점수: 숫자 {numbers}개 ({low} 미만 {below}개, "
        "{high} 초과 {above}개)",
        "not_numbers": "{column}의 값 {count}개는 숫자가 아닙니다 ({examples}): 모든 점수에서 "
        "빠집니다",
        "out_of_range": "점수 {count}개가 {low}~{high} 밖에 있습니다: 척도가 다르면 "
        "SCHEMA_FILE의 [evaluations]에 score_range = [최저, 최고]를 적으세요",
        "segments": "세그먼트 열 {column}: 최근 {weeks}주의 값 {count}개: {values}",
        "segment_value": "{value} ×{count}",
        "no_segment": "세그먼트 없음 ×{count}",
        "segments_empty": "세그먼트 열 {column}: 최근 {weeks}주의 대화 {count}건 중 값이 있는 "
        "대화가 없습니다 (모두 NULL): 세그먼트별 리포트와 표는 (unknown)만 보여 줍니다",
        "trial_run": "리포트의 쿼리를 {day}(하루)에 대해 {seconds}초 만에 실행함",
        "proof_watermark": "{table}의 보관된 합계는 증가하는 키 {key}로 확인합니다 (그 뒤에 "
        "추가된 행만 읽음; 지운 행은 forget-totals가 필요)",
        "proof_counts": "{table}의 보관된 합계는 날마다 행 수를 세어 확인합니다 (증가하는 정수 "
        "기본 키가 없음)",
        "proof_counts_set": "{table}의 보관된 합계는 날마다 행 수를 세어 확인합니다 "
        "(KEPT_TOTALS_PROOF=counts)",
        "proof_none": "{table}은(는) ClickHouse {engine} 테이블이라 보관된 합계를 쓰지 않고 "
        "리포트마다 모든 날을 다시 읽습니다 (행 수로 변화를 알 수 있는 것은 일반 MergeTree뿐: "
        "ReplacingMergeTree는 갱신을 병합 전까지 다시 넣은 행으로 갖고, "
        "뷰는 그런 테이블을 읽을 수 있음)",
        # time columns read far from now, and weeks a report would get wrong
        "time_far": "테이블 {table}: created_at 값이 {first}~{last}로 읽혀 지금과 동떨어집니다 "
        "(2000년 이전 또는 {year}년 이후): {fix}",
        "fix_unit": '{unit}로 읽으면 {first}~{last}입니다: {setting} = "{value}"로 고치세요',
        "fix_unit_unknown": "어느 단위로도 맞지 않습니다: {setting}와 열을 확인하세요",
        "fix_column": "{setting}이(가) 각 행의 시각을 담은 열인지 확인하세요",
        "unit_s": "초",
        "unit_ms": "밀리초",
        "time_stale": "테이블 {table}에 행이 있지만 최근 {weeks}주에는 없습니다 (마지막 {last}): "
        "새 행이 다른 곳에 쌓인다면 {keys}를 고치세요",
        "wrong_feedback": "이 주의 피드백 {count}행 중 좋아요나 싫어요가 하나도 없습니다 "
        "(좋아요 {likes}, 싫어요 {dislikes}): {setting} = [...]와 dislike = [...]를 열의 값에 "
        "맞게 고치세요",
        "wrong_scores": "이 주의 점수 {count}개 중 {outside}개가 {low}~{high} 밖에 있습니다: "
        "{setting} = [최저, 최고]를 고치세요",
        "wrong_week": "{table}에 이 주의 대화가 없지만 앞뒤 {weeks}주에는 있습니다: {keys}를 "
        "확인하세요",
        # the font
        "font": "리포트 글꼴 {name} ({path})은 한글을 포함하며 PDF에 내장됩니다",
        "font_no_hangul": "리포트 글꼴 {path}에 한글 글리프가 없습니다",
        # destinations
        "delivery_file": "DELIVERY_FILE {path}: 받는 곳 {count}개",
        "destination": "{destination}: {said}",
        "smtp": "SMTP 서버 {server} 응답 ({tls}); 보내는 주소 {sender}",
        "smtp_login": "SMTP 서버 {server} 응답 ({tls}, {user}(으)로 로그인); 보내는 주소 {sender}",
        "tls": "TLS",
        "no_tls": "TLS 없음",
        "webhook_signed": "{destination}: WEBHOOK_SECRET으로 서명함 (호출하지 않음)",
        "slack_token": "Slack 토큰 정상: 팀 {team}, 봇 @{bot}",
        "slack_scopes": "Slack 권한: {scopes}",
        "slack_scopes_unknown": "Slack이 토큰의 권한(scope)을 알려 주지 않았습니다",
        "slack_scopes_missing": "Slack 토큰에 권한 {scopes}이(가) 없습니다: OAuth & "
        "Permissions에서 추가하고 앱을 다시 설치하세요",
        "slack_channel": "Slack {channel}의 ID는 {id}",
        "slack_member": "봇이 {channel}에 들어가 있습니다",
        "slack_not_member": "봇이 {channel}에 없습니다: /invite @{bot}로 초대하세요",
        # alerts
        "alerts_file": "ALERTS_FILE {path}: 규칙 {count}개 ({names})",
        "schedule_never": "{setting} {expression!r}: 해당하는 날짜가 오지 않아 실행되지 않습니다 "
        "(예: 2월 31일); 날짜를 고치세요",
        "schedule_far": "{setting} {expression!r}: 다음 실행이 {next}, 1년 넘게 뒤입니다; "
        "의도한 일정인지 확인하세요",
        "state_connected": "STATE_DATABASE_URL: {dialect} 연결됨: {url}",
    },
    "en": {
        "and": " and ",
        "or": " or ",
        "then": "; ",
        "comma": ", ",
        "error": "{error}",
        "connected": "connected to {dialect} at {url}",
        "mapping_read": "schema mapping read from {path}",
        "table": "table {table} ({role}): created_at = {column} ({time}); {details}",
        "time_epoch_s": "integer epoch in seconds",
        "time_epoch_ms": "integer epoch in milliseconds",
        "time_aware": "timestamp with time zone",
        "time_instant": "ClickHouse DateTime with a time zone (compared as instants)",
        "time_naive": "timestamp without time zone read in {zone} ({setting})",
        "time_sqlite_text": "SQLite text read in {zone} ({setting})",
        "filter": "table {table}: where {where} keeps {kept} of the {rows} rows of the last "
        "{weeks} weeks and removes {removed}",
        "feedback_as": "feedback as {kind} ({type})",
        "value_text": "text",
        "value_integer": "integer",
        "value_number": "number",
        "value_boolean": "boolean",
        "scores_scale": "scores {low} to {high} ({type})",
        "columns": "columns: {columns}",
        "absent": "absent (their report sections are left out): {columns}",
        "insights": "insights: {parts}",
        "part_available": "{part}: available",
        "part_left_out": "{part}: left out, needs {columns}",
        "part_needs_extra": "{part}: left out, install it: {hint}",
        "part_changes": "changes",
        "part_anomalies": "anomalies",
        "part_by_model": "by_model",
        "part_agreement": "agreement",
        "part_themes": "themes",
        "role_conversations": "conversations",
        "role_feedback": "feedback",
        "role_evaluations": "evaluations",
        "no_index": "table {table}: no index on its created_at column, so every report scans "
        "the whole table; to fix: {statement}",
        "no_feedback": "no feedback rows in the last {weeks} weeks",
        "feedback_values": "feedback values of the last {weeks} weeks: {values}",
        "feedback_value": "{value} ×{count} {kind}",
        "like": "like",
        "dislike": "dislike",
        "neither": "neither",
        "more_values": "{count} more values",
        "none": "none",
        "neither_share": "{neither} of {total} feedback rows are neither a like nor a dislike "
        "({odd}); likes are {likes}, dislikes {dislikes}: to count others, list them in "
        "like = [...] and dislike = [...] under [feedback] in SCHEMA_FILE{hint}",
        "words_hint": " (for this column's values, e.g. like = {likes} and dislike = {dislikes})",
        "scores": "scores of the last {weeks} weeks: {numbers} numbers ({below} below {low}, "
        "{above} above {high})",
        "not_numbers": "{count} values of {column} are not numbers ({examples}): they are left "
        "out of every score",
        "out_of_range": "{count} scores lie outside {low} to {high}: if the scale differs, set "
        "score_range = [lowest, highest] under [evaluations] in SCHEMA_FILE",
        "segments": "segment column {column}: {count} values in the last {weeks} weeks: {values}",
        "segment_value": "{value} ×{count}",
        "no_segment": "no segment ×{count}",
        "segments_empty": "segment column {column}: none of the {count} conversations of the "
        "last {weeks} weeks has a value (all NULL): reports by segment would show only "
        "(unknown)",
        "trial_run": "the report's queries ran on {day} (one day) in {seconds} s",
        "proof_watermark": "kept totals of {table} are proven current by its increasing key "
        "{key} (only the rows added since are read; a deleted row needs forget-totals)",
        "proof_counts": "kept totals of {table} are proven current by counting each kept day's "
        "rows (no increasing integer primary key)",
        "proof_counts_set": "kept totals of {table} are proven current by counting each kept "
        "day's rows (KEPT_TOTALS_PROOF=counts)",
        "proof_none": "no kept totals are used while {table} is a ClickHouse {engine} table: "
        "every day is read for each report (only a plain MergeTree's rows are counted: a "
        "ReplacingMergeTree holds an update as the row inserted again until a merge, and a view "
        "may read such tables, so no count of rows tells a change)",
        "time_far": "table {table}: its created_at values read as {first} to {last}, far from "
        "today (before 2000 or after {year}): {fix}",
        "fix_unit": 'read in {unit} they fall from {first} to {last}: set {setting} = "{value}"',
        "fix_unit_unknown": "no unit makes them fit: check {setting} and the column",
        "fix_column": "check that {setting} names the column of each row's time",
        "unit_s": "seconds",
        "unit_ms": "milliseconds",
        "time_stale": "table {table} has rows, but none in the last {weeks} weeks (the last on "
        "{last}): if its new rows go elsewhere, fix {keys}",
        "wrong_feedback": "none of the week's {count} feedback rows is a like or a dislike "
        "(likes are {likes}, dislikes {dislikes}): make {setting} = [...] and dislike = [...] "
        "the column's values",
        "wrong_scores": "{outside} of the week's {count} scores lie outside {low} to {high}: "
        "set {setting} = [lowest, highest] to their scale",
        "wrong_week": "{table} has no conversation in the week, but has some in the {weeks} "
        "weeks around it: check {keys}",
        "font": "report font {name} ({path}) covers Hangul; it is embedded",
        "font_no_hangul": "the report font {path} has no Hangul glyphs",
        "delivery_file": "DELIVERY_FILE {path}: {count} destinations",
        "destination": "{destination}: {said}",
        "smtp": "SMTP server {server} answers ({tls}); mail comes from {sender}",
        "smtp_login": "SMTP server {server} answers ({tls}, logged in as {user}); mail comes "
        "from {sender}",
        "tls": "TLS",
        "no_tls": "no TLS",
        "webhook_signed": "{destination}: signed with WEBHOOK_SECRET (not called)",
        "slack_token": "Slack token works: team {team}, bot @{bot}",
        "slack_scopes": "Slack scopes: {scopes}",
        "slack_scopes_unknown": "Slack did not say which scopes the token has",
        "slack_scopes_missing": "the Slack token lacks the scopes {scopes}: add them under "
        "OAuth & Permissions and reinstall the app",
        "slack_channel": "Slack {channel} has the ID {id}",
        "slack_member": "the bot is a member of {channel}",
        "slack_not_member": "the bot is not in {channel}: invite it with /invite @{bot}",
        "alerts_file": "ALERTS_FILE {path}: {count} rules ({names})",
        "schedule_never": "{setting} {expression!r} never runs: no date matches it (e.g. the "
        "31st of February); correct the date",
        "schedule_far": "{setting} {expression!r} next runs on {next}, more than a year from "
        "now: check that this is the schedule meant",
        "state_connected": "STATE_DATABASE_URL: connected to {dialect} at {url}",
    },
}


@dataclass(frozen=True)
class Phrase:
    """Words of DOCTOR_WORDS (`key`) with the values of their placeholders."""

    key: str
    values: Mapping[str, object] = field(default_factory=dict)

    def line(self, language: str) -> str:
        """The words in `language` (Korean unless "en"), their values filled in."""
        words = in_language(DOCTOR_WORDS, language)
        return words[self.key].format(
            **{name: _shown(value, language) for name, value in self.values.items()}
        )


@dataclass(frozen=True)
class Listed:
    """Items (phrases or plain text) joined by the words of `joiner` ("and", "then", ...)."""

    items: tuple[object, ...]
    joiner: str = "then"


@dataclass(frozen=True)
class Finding:
    """One line of `doctor`: how it went, and what it says in either language."""

    level: Level
    key: str
    values: Mapping[str, object] = field(default_factory=dict)

    def line(self, language: str) -> str:
        """The line in `language` (Korean unless "en")."""
        return Phrase(self.key, self.values).line(language)


def error_finding(error: Exception | str, level: Level = "error") -> Finding:
    """A finding that is an exception's own one-line message."""
    return Finding(level, "error", {"error": str(error)})


def _shown(value: object, language: str) -> object:
    if isinstance(value, Phrase):
        return value.line(language)
    if isinstance(value, Listed):
        joiner = in_language(DOCTOR_WORDS, language)[value.joiner]
        return joiner.join(str(_shown(item, language)) for item in value.items)
    return value
