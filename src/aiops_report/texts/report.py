"""The report's words in Korean and English (the PDF, its Slack message, the metric names the
dashboard shares)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

from aiops_report.language import Language, in_language

if TYPE_CHECKING:
    pass


NONE = "–"  # what a missing value (None) reads as: never 0
UP, DOWN = "▲", "▼"  # both are in NanumGothic
ELLIPSIS = "…"

RATES = frozenset({"satisfaction_rate"})  # shown in percent, changes in percentage points
SCORES = frozenset({"avg_score"})
DURATIONS = frozenset({"latency_p50_ms", "latency_p95_ms"})


@dataclass(frozen=True)
class InsightTexts:
    """The words of the report's Insights section, its highlights and Slack's significant lines."""

    heading: str
    changes_heading: str
    changes_columns: tuple[str, str, str, str, str]  # metric, change, interval, p, verdict
    significant: str  # the word a highlight or verdict uses for a significant change
    verdicts: Mapping[str, str]  # significant, not_significant, not_enough_data
    changes_tested: str  # against what the changes are tested: the first sentence of the note
    changes_tested_partial: str  # the same, in a week-to-date report
    changes_note: str
    models_heading: str
    # model, conversations, satisfaction, avg score, p95 latency, tokens; cost and cost per
    # like (templates: {currency})
    models_columns: tuple[str, str, str, str, str, str, str, str]
    worst_model: str  # template: {model} {rate} {rated}
    segments_heading: str
    # segment, conversations, feedback, satisfaction, evaluations, avg score
    segments_columns: tuple[str, str, str, str, str, str]
    segments_other: str  # the row of the segments past the PDF's largest; template: {count}
    unpriced: str  # template: {models}
    anomalies_heading: str
    anomalies_intro: str
    anomaly: str  # template: {day} {metric} {value} {baseline} {z}
    no_anomalies: str
    not_enough_history: str  # template: {have} {needed}
    partly_judged: str  # template: {judged} {days} {needed}
    no_whole_day: str  # a week-to-date report cut on its first day: nothing judged yet
    cut_day_not_judged: str  # template: {day}
    agreement_heading: str
    agreement: str  # template: {rate} {kappa}
    agreement_strengths: tuple[str, str, str, str, str]  # kappa <0.2, <0.4, <0.6, <0.8, higher
    score_good: str  # template: {threshold}
    score_bad: str  # template: {threshold}
    disagreements: str
    themes_heading: str
    themes_intro: str
    themes_columns: tuple[str, str, str, str]  # term, count, previous count, example
    highlight_worst_model: str  # template: {model} {rate} {overall}
    highlight_rising_theme: str  # template: {term} {count} {previous}
    slack_significant: str  # template: {metric} {change} {p}


@dataclass(frozen=True)
class Texts:
    """The words of one language."""

    title: str
    partial_mark: str  # what marks a week-to-date report, after its title
    partial_note: str  # template: {through} {previous} {end}
    restated_mark: str  # what marks a delivered week's report made again, after its title
    restated_note: str  # template: {generated}
    weekdays: tuple[str, str, str, str, str, str, str]  # Monday first
    metrics: Mapping[str, str]  # KPI table labels
    subjects: Mapping[str, str]  # the metric as the subject of a highlight sentence
    point_unit: str  # percentage points
    kpi_heading: str
    kpi_columns: tuple[str, str, str, str]
    kpi_columns_partial: tuple[str, str, str, str]  # a week-to-date report's
    new: str  # the change of a metric that had nothing to compare with last week
    highlight_new: str  # template: {metrics}
    slack_partial: str  # template: {through}
    highlights_heading: str
    highlight: str  # template: {subject} {amount} {verb} {before} {after}
    verbs: Mapping[str, tuple[str, str]]  # kind of metric -> (went up, went down)
    subject: Callable[[str], str]  # adds the Korean subject particle
    no_comparison: str
    versus_previous: str  # how a change is introduced in a sentence
    generate_now: str  # the Slack button under a delivered report
    generate_hint: str  # the text beside it
    daily_heading: str
    chart_conversations: str
    chart_feedback: str
    chart_score: str
    chart_distribution: str
    this_week: str
    last_week: str
    last_week_average: str
    likes: str
    dislikes: str
    like: str  # the feedback of one conversation
    dislike: str
    lowest_heading: str
    disliked_heading: str
    excerpt_columns: tuple[str, str, str, str]  # score, feedback, model, conversation
    # The time column of each excerpt table says whose time it is: the lowest-scored list shows
    # when the evaluation was written, the disliked list when the dislike was given.
    scored_at: str
    rated_at: str
    question: str
    answer: str
    comment: str
    reason: str
    empty_heading: str
    empty_body: str  # template: {start} {end}
    empty_previous: str  # template: {conversations}
    page: str  # template: {page} {total}
    generated: str  # template: {time}
    insights: InsightTexts
    highlight_significant: str  # `highlight` for a significant change


def korean_subject(word: str) -> str:
    """`word` with 이 after a final consonant, 가 otherwise (대화 수가, 피드백이)."""
    last = word[-1]
    has_final = "가" <= last <= "힣" and (ord(last) - ord("가")) % 28 != 0
    return word + ("이" if has_final else "가")


KO = Texts(
    title="AI 챗봇 주간 운영 리포트",
    partial_mark="중간 집계",
    partial_note=(
        "이 주가 아직 끝나지 않아 {through}까지의 중간 집계입니다. 지난주의 같은 구간"
        "({previous})과 비교하므로 변화와 검정은 같은 시간을 견줍니다. 주간 리포트는 "
        "{end}에 이 주가 끝난 뒤 나옵니다."
    ),
    restated_mark="정정본",
    restated_note=(
        "이미 보낸 이 주의 리포트를 다시 만든 정정본입니다. 리포트를 보낸 뒤에 도착한 "
        "데이터가 숫자를 바꾸었으며, 아래는 {generated} 기준의 숫자입니다."
    ),
    weekdays=("월", "화", "수", "목", "금", "토", "일"),
    metrics={
        "conversations": "대화 수",
        "unique_users": "사용자 수",
        "feedback_total": "피드백 수",
        "likes": "좋아요",
        "dislikes": "싫어요",
        "satisfaction_rate": "만족도",
        "evaluations": "평가 수",
        "avg_score": "평균 점수",
        "latency_p50_ms": "응답 시간 p50",
        "latency_p95_ms": "응답 시간 p95",
        "total_tokens": "토큰 사용량",
    },
    subjects={
        "conversations": "대화 수",
        "unique_users": "사용자 수",
        "feedback_total": "피드백 수",
        "likes": "좋아요 수",
        "dislikes": "싫어요 수",
        "satisfaction_rate": "만족도",
        "evaluations": "평가 수",
        "avg_score": "평균 점수",
        "latency_p50_ms": "p50 응답 시간",
        "latency_p95_ms": "p95 응답 시간",
        "total_tokens": "토큰 사용량",
    },
    point_unit="%p",
    kpi_heading="주요 지표",
    kpi_columns=("지표", "이번 주", "지난주", "변화"),
    kpi_columns_partial=("지표", "이번 주 (지금까지)", "지난주 같은 구간", "변화"),
    new="신규",
    highlight_new="신규 (지난주 기록 없음): {metrics}",
    slack_partial="_중간 집계: {through}까지, 지난주 같은 구간과 비교_",
    highlights_heading="이번 주 요약",
    highlight="{subject} 지난주보다 {amount} {verb} ({before} → {after})",
    verbs={
        "count": ("늘었습니다", "줄었습니다"),
        "level": ("높아졌습니다", "낮아졌습니다"),
        "duration": ("길어졌습니다", "짧아졌습니다"),
    },
    subject=korean_subject,
    no_comparison="지난주와 비교해 달라진 지표가 없습니다.",
    versus_previous="지난주 대비",
    generate_now="지금 리포트 생성",
    generate_hint="이 주의 리포트를 지금 다시 만들려면 버튼을 누르세요 "
    "(다른 주는 `/ai-report YYYY-MM-DD`).",
    daily_heading="일별 추이",
    chart_conversations="일별 대화 수",
    chart_feedback="일별 좋아요 / 싫어요",
    chart_score="일별 평균 점수",
    chart_distribution="점수 분포",
    this_week="이번 주",
    last_week="지난주",
    last_week_average="지난주 평균",
    likes="좋아요",
    dislikes="싫어요",
    like="좋아요",
    dislike="싫어요",
    lowest_heading="점수가 가장 낮은 대화",
    disliked_heading="싫어요를 받은 대화",
    excerpt_columns=("점수", "피드백", "모델", "대화"),
    scored_at="평가 시각",
    rated_at="피드백 시각",
    question="질문",
    answer="답변",
    comment="의견",
    reason="평가 사유",
    empty_heading="이 기간에는 데이터가 없습니다",
    empty_body=(
        "{start} – {end} 기간에 기록된 대화, 피드백, 평가가 하나도 없어 지표와 차트를 만들지 "
        "않았습니다. 챗봇이 이 기간에 운영되었다면 데이터베이스 연결(DATABASE_URL)과 "
        "테이블 설정을 확인해 주세요."
    ),
    empty_previous="지난주에는 대화 {conversations}건이 기록되었습니다.",
    page="페이지 {page} / {total}",
    generated="생성 {time}",
    insights=InsightTexts(
        heading="인사이트",
        changes_heading="변화는 진짜인가?",
        changes_columns=("지표", "변화", "95% 신뢰구간", "p-값", "판정"),
        significant="유의함",
        verdicts={
            "significant": "유의함 — 우연으로 보기 어려움",
            "not_significant": "유의한 변화 없음 — 우연일 수 있음",
            "not_enough_data": "데이터 부족 — 한 기간이 30건 미만",
        },
        changes_tested="지난주와 비교한 검정입니다.",
        changes_tested_partial="지난주의 같은 구간과 비교한 검정입니다.",
        changes_note=(
            "p-값이 0.05보다 작고 두 기간 모두 30건 이상일 때만 유의하다고 봅니다. "
            "대화 수의 구간은 지난주 대비 증감률의 구간입니다."
        ),
        models_heading="모델별",
        models_columns=(
            "모델",
            "대화 수",
            "만족도",
            "평균 점수",
            "응답 시간 p95",
            "토큰",
            "비용 ({currency})",
            "좋아요당 비용",
        ),
        worst_model="만족도가 가장 낮은 모델: {model} ({rate}, 피드백 {rated}건)",
        segments_heading="세그먼트별",
        segments_other="그 밖의 세그먼트 {count}개",
        segments_columns=("세그먼트", "대화 수", "피드백", "만족도", "평가 수", "평균 점수"),
        unpriced="가격표에 없는 모델: {models}",
        anomalies_heading="평소와 다른 날",
        anomalies_intro="지난 8주의 같은 요일과 크게 다른 날 (robust z의 절댓값 3.5 초과)",
        anomaly="{day} {metric} {value} — 같은 요일 기준 {baseline}, z = {z}",
        no_anomalies="평소와 크게 다른 날이 없습니다.",
        not_enough_history=(
            "이력 부족: 같은 요일 {needed}일 중 {have}일뿐이라 평소와 다른 날인지 판단할 수 "
            "없습니다."
        ),
        partly_judged=(
            "{days}일 중 같은 요일 이력이 {needed}일 이상인 {judged}일만 판단했습니다. "
            "나머지 날은 이력이 부족해 판단하지 않았습니다."
        ),
        no_whole_day="아직 하루 전체가 지난 날이 없어 평소와 다른 날을 판단하지 않았습니다.",
        cut_day_not_judged="{day}은(는) 아직 진행 중이라 판단하지 않았습니다.",
        agreement_heading="좋아요·싫어요와 평가 점수",
        agreement="일치율 {rate} · Cohen's kappa {kappa}",
        agreement_strengths=(
            "거의 일치하지 않음",
            "약한 일치",
            "보통 수준의 일치",
            "상당한 일치",
            "거의 완전한 일치",
        ),
        score_good="점수 좋음 (≥ {threshold})",
        score_bad="점수 나쁨 (< {threshold})",
        disagreements="사용자와 평가가 가장 크게 엇갈린 대화",
        themes_heading="주요 불만",
        themes_intro="싫어요 의견과 낮은 점수의 평가 사유에 자주 나온 단어",
        themes_columns=("단어", "이번 주", "지난주", "예시"),
        highlight_worst_model="만족도가 가장 낮은 모델은 {model}입니다 ({rate}, 전체 {overall})",
        highlight_rising_theme="늘어난 불만: ‘{term}’ {count}건 (지난주 {previous}건)",
        slack_significant="유의한 변화: {metric} {change} ({p})",
    ),
    highlight_significant="{subject} 지난주보다 {amount} {verb} ({before} → {after}, 유의함)",
)

EN = Texts(
    title="AI chatbot weekly operations report",
    partial_mark="week to date",
    partial_note=(
        "This week is not over: these are its numbers until {through}, compared with the "
        "same span of the week before ({previous}), so that changes and tests compare equal "
        "time. The weekly report comes once the week is over, on {end}."
    ),
    restated_mark="restated",
    restated_note=(
        "This report restates the week's report already delivered: rows that arrived after "
        "it went out changed its numbers. Below are the numbers as of {generated}."
    ),
    weekdays=("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"),
    metrics={
        "conversations": "Conversations",
        "unique_users": "Unique users",
        "feedback_total": "Feedback",
        "likes": "Likes",
        "dislikes": "Dislikes",
        "satisfaction_rate": "Satisfaction rate",
        "evaluations": "Evaluations",
        "avg_score": "Average score",
        "latency_p50_ms": "Latency p50",
        "latency_p95_ms": "Latency p95",
        "total_tokens": "Total tokens",
    },
    subjects={
        "conversations": "Conversations",
        "unique_users": "Unique users",
        "feedback_total": "Feedback",
        "likes": "Likes",
        "dislikes": "Dislikes",
        "satisfaction_rate": "The satisfaction rate",
        "evaluations": "Evaluations",
        "avg_score": "The average score",
        "latency_p50_ms": "The p50 latency",
        "latency_p95_ms": "The p95 latency",
        "total_tokens": "Token usage",
    },
    point_unit=" pp",
    kpi_heading="Key metrics",
    kpi_columns=("Metric", "This week", "Last week", "Change"),
    kpi_columns_partial=("Metric", "This week so far", "Last week, same span", "Change"),
    new="new",
    highlight_new="New this week (nothing last week): {metrics}.",
    slack_partial="_Week to date: until {through}, compared with the same span of last week_",
    highlights_heading="This week in brief",
    highlight="{subject} {verb} by {amount} from last week ({before} → {after}).",
    verbs={
        "count": ("rose", "fell"),
        "level": ("rose", "fell"),
        "duration": ("rose", "fell"),
    },
    subject=str,
    no_comparison="No metric changed from last week.",
    versus_previous="vs last week",
    generate_now="Generate report now",
    generate_hint="Press the button to build this week's report again now "
    "(`/ai-report YYYY-MM-DD` for another week).",
    daily_heading="Day by day",
    chart_conversations="Conversations per day",
    chart_feedback="Likes and dislikes per day",
    chart_score="Average score per day",
    chart_distribution="Score distribution",
    this_week="This week",
    last_week="Last week",
    last_week_average="Last week's average",
    likes="Likes",
    dislikes="Dislikes",
    like="Like",
    dislike="Dislike",
    lowest_heading="Lowest-scored conversations",
    disliked_heading="Disliked conversations",
    excerpt_columns=("Score", "Feedback", "Model", "Conversation"),
    scored_at="Scored at",
    rated_at="Rated at",
    question="Q",
    answer="A",
    comment="Comment",
    reason="Reason",
    empty_heading="No data in this period",
    empty_body=(
        "No conversation, feedback or evaluation was recorded between {start} and {end}, so "
        "there are no "
        "metrics or charts. If the chatbot was running, check the database connection "
        "(DATABASE_URL) and the table settings."
    ),
    empty_previous="The week before had {conversations} conversations.",
    page="Page {page} / {total}",
    generated="Generated {time}",
    insights=InsightTexts(
        heading="Insights",
        changes_heading="Is it real?",
        changes_columns=("Metric", "Change", "95% interval", "p-value", "Verdict"),
        significant="significant",
        verdicts={
            "significant": "significant — unlikely to be chance",
            "not_significant": "no significant change — may be chance",
            "not_enough_data": "not enough data — under 30 in a week",
        },
        changes_tested="Tested against last week.",
        changes_tested_partial="Tested against the same span of last week.",
        changes_note=(
            "A change is significant only when its p-value is below 0.05 and both weeks have "
            "at least 30 observations. For conversations the interval is that of the change "
            "in percent."
        ),
        models_heading="By model",
        models_columns=(
            "Model",
            "Conversations",
            "Satisfaction",
            "Avg score",
            "Latency p95",
            "Tokens",
            "Cost ({currency})",
            "Cost per like",
        ),
        worst_model="Lowest satisfaction: {model} ({rate}, {rated} ratings)",
        segments_heading="By segment",
        segments_other="{count} other segments",
        segments_columns=(
            "Segment",
            "Conversations",
            "Feedback",
            "Satisfaction",
            "Evaluations",
            "Avg score",
        ),
        unpriced="Models without a price: {models}",
        anomalies_heading="Anomalous days",
        anomalies_intro=(
            "Days far from the same weekday of the 8 weeks before (|robust z| above 3.5)"
        ),
        anomaly="{day} {metric} {value} — same-weekday baseline {baseline}, z = {z}",
        no_anomalies="No day stood out from its usual level.",
        not_enough_history=(
            "Not enough history: {have} of {needed} same-weekday days, too few to tell an "
            "unusual day."
        ),
        partly_judged=(
            "Only {judged} of the {days} days had {needed} same-weekday days of history and "
            "were judged; the others had too little history to tell."
        ),
        no_whole_day="No whole day has passed yet: days are judged once they are over.",
        cut_day_not_judged="{day} is still in progress and is not judged.",
        agreement_heading="Thumbs vs evaluator",
        agreement="Agreement {rate} · Cohen's kappa {kappa}",
        agreement_strengths=(
            "hardly any agreement",
            "fair agreement",
            "moderate agreement",
            "substantial agreement",
            "almost perfect agreement",
        ),
        score_good="Score good (≥ {threshold})",
        score_bad="Score bad (< {threshold})",
        disagreements="Where users and the evaluator disagree most",
        themes_heading="Top complaints",
        themes_intro="Words that recur in dislike comments and in the reasons for low scores",
        themes_columns=("Term", "This week", "Last week", "Example"),
        highlight_worst_model=(
            "The model with the lowest satisfaction is {model} ({rate} vs {overall} overall)."
        ),
        highlight_rising_theme=(
            "Rising complaint: “{term}” in {count} texts ({previous} last week)."
        ),
        slack_significant="Significant change: {metric} {change} ({p})",
    ),
    highlight_significant=(
        "{subject} {verb} by {amount} from last week ({before} → {after}, significant)."
    ),
)

TEXTS: Mapping[Language, Texts] = {"ko": KO, "en": EN}


def texts_for(language: str) -> Texts:
    """The report's words in `language` (Korean unless "en")."""
    return in_language(TEXTS, language)
