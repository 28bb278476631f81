"""The dashboard's words in Korean and English (its metric names, number and date formats are
the report's: `texts.report`, `texts.formats`)."""

from __future__ import annotations

from collections.abc import Mapping

from aiops_report.language import Language

KO: Mapping[str, str] = {
    "title": "AI 챗봇 운영 대시보드",
    "navigation": "메뉴",
    "page_overview": "개요",
    "page_performance": "AI 성능",
    "page_insights": "인사이트",
    "page_feedback": "피드백",
    "page_conversations": "대화",
    "page_reports": "리포트",
    "page_status": "상태",
    # access
    "login_heading": "관리자 로그인",
    "password": "비밀번호",
    "login": "로그인",
    "login_sso": "SSO로 로그인",
    "logout": "로그아웃",
    "wrong_password": "비밀번호가 맞지 않습니다.",
    "locked_out": "로그인 실패가 반복되었습니다. {seconds}초 후({time})에 다시 시도하세요.",
    "locked_out_everyone": (
        "이 대시보드에 로그인 실패가 너무 많아 모든 접속의 로그인을 막았습니다. "
        "{seconds}초 후({time})에 다시 시도하세요."
    ),
    "no_password": (
        "ADMIN_PASSWORD가 설정되지 않아 로그인 없이 열려 있습니다. "
        "`aiops-report dashboard`는 이 경우 이 컴퓨터(127.0.0.1)에서만 접속을 받습니다."
    ),
    "signed_in_as": "{user}(으)로 로그인됨",
    # filters
    "date_range": "기간",
    "granularity": "단위",
    "gran_day": "일별",
    "gran_week": "주별",
    "pick_end": "기간의 마지막 날짜를 선택하세요.",
    "range_capped": "기간은 최대 {days}일까지 볼 수 있어 {start}부터로 줄였습니다.",
    "versus_previous": "{period} · 변화는 직전 같은 길이의 기간({previous}) 대비",
    "versus_previous_partial": "{period} (오늘은 진행 중: 중간 집계) · 변화는 직전 기간의 "
    "같은 구간({previous}) 대비",
    "previous_value": "직전 기간: {value}",
    "badge_not_comparable": "비교 불가",
    "not_comparable": "비교 기간은 {days}일 중 {covered}일({share})에만 데이터가 있어(첫 대화 "
    "{first}) 변화를 비교하지 않습니다. 비교하려면 기간을 줄이세요.",
    "empty": "이 기간에는 기록된 대화, 피드백, 평가가 없습니다.",
    "segment": "세그먼트",
    "segment_all": "전체",
    "segment_help": (
        "SCHEMA_FILE의 segment 열의 값 가운데 최근 {days}일 안에 대화가 있는 값입니다. "
        "하나를 고르면 모든 페이지가 그 세그먼트의 대화와 그 대화의 피드백, 평가만 보여 줍니다."
    ),
    "segment_only": "세그먼트 {segment}만",
    # overview
    "trend_conversations": "대화 수 추이",
    "trend_satisfaction": "만족도 추이",
    "trend_score": "평균 점수 추이",
    "period": "기간",
    "value": "값",
    # AI performance
    "score_over_time": "평균 점수 추이",
    "previous_average": "직전 기간 평균",
    "distribution": "점수 분포",
    "score_range": "점수 구간",
    "count": "건수",
    "this_range": "이번 기간",
    "previous_range": "직전 기간",
    "no_latency": "conversation_log에 latency_ms, prompt_tokens, completion_tokens 열이 없어 "
    "응답 시간과 토큰 지표를 표시하지 않습니다.",
    "by_model": "모델별",
    "score_by_model": "모델별 평균 점수",
    # why it changed (mix and rate)
    "explain_heading": "왜 변했나",
    "explain_caption": (
        "직전 기간 대비 변화를 트래픽이 그룹 사이로 옮겨간 몫(mix)과 그룹 자체가 좋아지거나 "
        "나빠진 몫(rate)으로 정확히 나눕니다. 두 몫의 합은 변화와 같습니다."
    ),
    "explain_none": (
        "나눌 변화가 없습니다: 두 기간 모두 관측이 있어야 하고, 피드백과 평가가 "
        "conversation_id로 대화에 이어져야 합니다."
    ),
    "explain_metric": "지표",
    "explain_dimension": "기준",
    "explain_change": "변화",
    "explain_mix": "트래픽 이동 (mix)",
    "explain_rate": "그룹 자체 변화 (rate)",
    "explain_most": "가장 잘 설명하는 기준",
    "col_group": "그룹",
    "col_share_previous": "직전 비중",
    "col_share_current": "이번 비중",
    "col_value_previous": "직전 값",
    "col_value_current": "이번 값",
    "col_part": "합계",
    "explain_part": "몫",
    # insights
    "changes_heading": "변화는 진짜일까",
    "changes_caption": (
        "직전 같은 길이의 기간과 비교한 검정입니다. p < 0.05이고 두 기간 모두 관측이 "
        "{minimum}건 이상일 때만 '유의함'으로 표시합니다."
    ),
    "interval": "95% 구간: {interval}",
    "badge_significant": "유의함",
    "badge_chance": "우연일 수 있음",
    "badge_not_enough": "데이터 부족",
    "not_enough_help": "두 기간 모두 관측이 {minimum}건 이상이어야 판단합니다.",
    "worst_model": "평균 점수가 가장 낮은 모델: {model} (평균 점수 {score}, 만족도 {rate})",
    "col_cost": "비용",
    "col_cost_per_like": "좋아요당 비용",
    "total_cost": "기간 총비용: {cost}",
    "unpriced": "MODEL_PRICES에 가격이 없는 모델 (비용 –): {models}",
    "no_prices": "MODEL_PRICES가 설정되지 않아 비용을 계산하지 않습니다. "
    "문서의 가격표 예시(docs/insights.md)를 참고하세요.",
    "anomalies_heading": "평소와 다른 날",
    "anomalies_caption": (
        "같은 요일의 직전 {weeks}주와 비교해 robust z의 절댓값이 {limit}를 넘은 날 "
        "(그날 관측 {day_minimum}건 이상, 비교할 날 {baseline_minimum}일 이상)"
    ),
    "no_anomalies": "이 기간에는 평소와 다른 날이 없습니다.",
    "col_date": "날짜",
    "col_metric": "지표",
    "col_baseline": "기준 중앙값",
    "col_z": "robust z",
    "col_direction": "방향",
    "direction_up": "높음",
    "direction_down": "낮음",
    "agreement_heading": "사용자 평가와 자동 평가",
    "agreement_caption": (
        "이 기간의 좋아요·싫어요 중 점수가 있는 대화에 달린 것. 대화의 평균 점수가 "
        "{threshold} 이상이면 좋은 답변으로 봅니다."
    ),
    "agreement_rate": "일치율",
    "kappa": "카파 (Cohen's κ)",
    "kappa_help": "0은 우연히 맞는 수준, 1은 완전히 일치",
    "score_good": "좋은 점수 (≥ {threshold})",
    "score_bad": "낮은 점수 (< {threshold})",
    "disagreements": "어긋난 평가",
    "disagreements_caption": (
        "좋아요인데 점수가 가장 낮은 대화와 싫어요인데 점수가 가장 높은 대화: "
        "자동 평가가 놓치는 곳입니다."
    ),
    "no_disagreements": "어긋난 평가가 없습니다.",
    "themes_heading": "주요 불만",
    "themes_caption": (
        "싫어요 코멘트와, 싫어요를 받았거나 점수가 낮은 대화의 평가 사유에 자주 나온 단어"
    ),
    "no_themes": "이 기간에는 불만 코멘트가 없습니다.",
    "col_term": "단어",
    "col_examples": "예시",
    "part_cost": "비용",
    "needs": "{part}: {columns} 열이 있어야 표시됩니다.",
    # feedback
    "likes_dislikes": "좋아요 / 싫어요 추이",
    "feedback_kind": "피드백",
    "latest_dislike_comments": "최근 싫어요 코멘트",
    "no_dislike_comments": "이 기간에는 코멘트가 달린 싫어요가 없습니다.",
    # conversations
    "conversations_caption": "이 기간의 모든 대화 중 조건에 맞는 {total}건 · {page} / {pages} 쪽",
    "page": "쪽",
    "not_linkable": "대화에 id가 없거나 피드백·평가에 conversation_id가 없어 점수와 피드백으로는 "
    "찾을 수 없습니다.",
    "feedback_given": "받은 피드백",
    "evaluations_given": "받은 평가",
    "score_filter": "점수 범위",
    "feedback_filter": "피드백",
    "feedback_any": "전체",
    "feedback_like": "좋아요",
    "feedback_dislike": "싫어요",
    "feedback_none": "없음",
    "model_filter": "모델",
    "model_any": "모든 모델",
    "search": "검색 (질문, 답변, 코멘트, 평가 사유)",
    "no_match": "조건에 맞는 대화가 없습니다.",
    "select_conversation": "자세히 볼 대화",
    "col_time": "시간",
    "col_score": "점수",
    "col_feedback": "피드백",
    "col_model": "모델",
    "col_question": "질문",
    "col_answer": "답변",
    "col_comment": "코멘트",
    "col_reason": "평가 사유",
    "conversation_id": "대화 ID",
    "evaluator": "평가자",
    "text_cut": "처음 {shown}자만 보입니다 (전체 {total}자).",
    "download_text": "전체 내려받기 (.txt)",
    # reports
    "generate_heading": "리포트 만들기와 보내기",
    "week": "주",
    "last_week_mark": "{period} (지난주)",
    "generate_now": "지금 리포트 생성",
    "send_to_slack": "Slack으로 보내기",
    "generating": "{period} 리포트를 만드는 중…",
    "generated": "리포트를 만들었습니다: {name}",
    "sending": "{period} 리포트를 Slack으로 보내는 중…",
    "sent": "{file}을(를) {channel}에 보냈습니다",
    "skipped_delivered": "보내지 않았습니다: 이 주의 리포트는 이미 {channel}에 보냈습니다",
    "skipped_running": "보내지 않았습니다: 다른 실행이 {channel}에 보내고 있습니다",
    "failed": "실패했습니다",
    "slack_not_configured": "SLACK_BOT_TOKEN이 설정되지 않아 Slack으로 보낼 수 없습니다.",
    "segment_report": (
        "지금 리포트 생성은 세그먼트 {segment}의 리포트를 만듭니다. Slack으로 보내기는 고른 "
        "세그먼트와 관계없이 SLACK_CHANNEL과 DELIVERY_FILE의 설정대로 보냅니다."
    ),
    "send_again_heading": "이미 보낸 주를 다시 보내기",
    "send_again_confirm": "이 주의 리포트를 {channel}에 한 번 더 올리는 것을 확인합니다",
    "send_again": "다시 보내기",
    "history_heading": "발송 기록",
    "no_history": "아직 발송 기록이 없습니다.",
    "col_period": "기간",
    "col_status": "상태",
    "col_channel": "채널",
    "col_attempts": "시도",
    "col_error": "오류",
    "col_updated": "갱신",
    "col_file": "파일",
    "figures_heading": "발송한 수치와 지금의 수치",
    "figures_caption": (
        "최근 4주 동안 발송한 리포트의 주요 수치와 지금 데이터로 다시 센 수치입니다. 발송 뒤 "
        "늦게 들어온 데이터로 RESTATE_THRESHOLD({threshold})보다 크게 바뀌면 받은 곳마다 정정이 "
        "한 번 발송됩니다."
    ),
    "no_figures": "최근 4주 동안 발송한 리포트가 없습니다.",
    "col_delivered": "{metric} (발송)",
    "col_current": "{metric} (지금)",
    "col_moved": "기준을 넘게 바뀐 수치",
    "unchanged": "변화 없음",
    "within_threshold": "기준 이내",
    "status_running": "진행 중",
    "status_generated": "생성됨",
    "status_delivered": "발송됨",
    "status_failed": "실패",
    "download_heading": "PDF 내려받기",
    "report_file": "리포트 파일",
    "download": "내려받기",
    "no_files": "{dir}에 리포트 PDF가 없습니다.",
    # status
    "database_heading": "데이터베이스",
    "slack_heading": "Slack",
    "slack_recheck": "다시 확인",
    "slack_off": "SLACK_BOT_TOKEN이 설정되지 않았습니다: 리포트는 만들어지지만 Slack으로 올라가지 "
    "않습니다.",
    "schedule_heading": "예약 실행",
    "next_run": "다음 실행: {time}",
    "schedule_text": "SCHEDULE `{schedule}` ({zone}), 늦어진 실행은 {grace} 안에 실행",
    "settings_heading": "설정",
    "col_setting": "설정",
    "col_value": "값",
}

EN: Mapping[str, str] = {
    "title": "AI chatbot operations",
    "navigation": "Menu",
    "page_overview": "Overview",
    "page_performance": "AI performance",
    "page_insights": "Insights",
    "page_feedback": "Feedback",
    "page_conversations": "Conversations",
    "page_reports": "Reports",
    "page_status": "Status",
    "login_heading": "Admin login",
    "password": "Password",
    "login": "Log in",
    "login_sso": "Log in with SSO",
    "logout": "Log out",
    "wrong_password": "Wrong password.",
    "locked_out": "Too many failed logins. Try again in {seconds} s (at {time}).",
    "locked_out_everyone": (
        "Too many failed logins on this dashboard, from all addresses: logins are closed for "
        "everyone. Try again in {seconds} s (at {time})."
    ),
    "no_password": (
        "ADMIN_PASSWORD is not set, so there is no login. "
        "`aiops-report dashboard` then accepts connections from this machine (127.0.0.1) only."
    ),
    "signed_in_as": "Signed in as {user}",
    "date_range": "Date range",
    "granularity": "Granularity",
    "gran_day": "Day",
    "gran_week": "Week",
    "pick_end": "Pick the last day of the range.",
    "range_capped": "A range holds at most {days} days; it now starts on {start}.",
    "versus_previous": "{period} · changes vs the previous range of equal length ({previous})",
    "versus_previous_partial": "{period} (today is in progress: to date) · changes vs the same "
    "span of the previous range ({previous})",
    "previous_value": "Previous range: {value}",
    "badge_not_comparable": "not comparable",
    "not_comparable": "The comparison range has data on {covered} of its {days} days ({share}; "
    "the first conversation is of {first}): no change is shown. Pick a shorter range to "
    "compare.",
    "empty": "No conversation, feedback or evaluation was recorded in this range.",
    "segment": "Segment",
    "segment_all": "All segments",
    "segment_help": (
        "The values of SCHEMA_FILE's segment column with conversations in the last {days} "
        "days. Pick one and every page shows that segment's conversations, and their feedback "
        "and evaluations, only."
    ),
    "segment_only": "segment {segment} only",
    "trend_conversations": "Conversations",
    "trend_satisfaction": "Satisfaction rate",
    "trend_score": "Average score",
    "period": "Period",
    "value": "Value",
    "score_over_time": "Average score over time",
    "previous_average": "Previous range's average",
    "distribution": "Score distribution",
    "score_range": "Score",
    "count": "Count",
    "this_range": "This range",
    "previous_range": "Previous range",
    "no_latency": "conversation_log has no latency_ms, prompt_tokens or completion_tokens "
    "column, so latency and token metrics are not shown.",
    "by_model": "By model",
    "score_by_model": "Average score by model",
    # why it changed (mix and rate)
    "explain_heading": "Why it changed",
    "explain_caption": (
        "The change from the previous range, split exactly into traffic that moved between "
        "groups (mix) and groups that got better or worse (rate); the parts sum to the change."
    ),
    "explain_none": (
        "Nothing to split: both ranges need observations, and feedback and evaluations must "
        "name their conversation (conversation_id)."
    ),
    "explain_metric": "Metric",
    "explain_dimension": "By",
    "explain_change": "Change",
    "explain_mix": "Traffic moved (mix)",
    "explain_rate": "Groups' own change (rate)",
    "explain_most": "explains most",
    "col_group": "Group",
    "col_share_previous": "Share before",
    "col_share_current": "Share now",
    "col_value_previous": "Value before",
    "col_value_current": "Value now",
    "col_part": "Sum",
    "explain_part": "Part",
    "changes_heading": "Which changes are real",
    "changes_caption": (
        "Each change is tested against the previous range of equal length. It is called "
        "significant only when p < 0.05 and both ranges have at least {minimum} observations."
    ),
    "interval": "95% interval: {interval}",
    "badge_significant": "Significant",
    "badge_chance": "Could be chance",
    "badge_not_enough": "Not enough data",
    "not_enough_help": "A test needs at least {minimum} observations in each range.",
    "worst_model": "Lowest average score: {model} (average score {score}, satisfaction {rate})",
    "col_cost": "Cost",
    "col_cost_per_like": "Cost per like",
    "total_cost": "Total cost of the range: {cost}",
    "unpriced": "No price in MODEL_PRICES (cost –): {models}",
    "no_prices": "MODEL_PRICES is not set, so no cost is computed. "
    "The docs show an example price table (docs/insights.md).",
    "anomalies_heading": "Anomalous days",
    "anomalies_caption": (
        "Days more than {limit} robust z from the same weekday of the {weeks} weeks before "
        "(at least {day_minimum} observations that day and {baseline_minimum} days to compare)"
    ),
    "no_anomalies": "No anomalous day in this range.",
    "col_date": "Date",
    "col_metric": "Metric",
    "col_baseline": "Baseline median",
    "col_z": "Robust z",
    "col_direction": "Direction",
    "direction_up": "up",
    "direction_down": "down",
    "agreement_heading": "Thumbs vs evaluator",
    "agreement_caption": (
        "The range's likes and dislikes of conversations that have a score. A conversation "
        "is good when its mean score is at least {threshold}."
    ),
    "agreement_rate": "Agreement rate",
    "kappa": "Cohen's kappa",
    "kappa_help": "0 is the agreement of chance, 1 is full agreement",
    "score_good": "Good score (≥ {threshold})",
    "score_bad": "Low score (< {threshold})",
    "disagreements": "Disagreements",
    "disagreements_caption": (
        "Liked but scored lowest, and disliked but scored highest: where the evaluator is blind."
    ),
    "no_disagreements": "No disagreement.",
    "themes_heading": "Top complaints",
    "themes_caption": (
        "Words that recur in dislike comments and in the evaluator's reasons for disliked "
        "or low-scored conversations"
    ),
    "no_themes": "No complaint text in this range.",
    "col_term": "Term",
    "col_examples": "Examples",
    "part_cost": "Cost",
    "needs": "{part} needs {columns}.",
    "likes_dislikes": "Likes and dislikes",
    "feedback_kind": "Feedback",
    "latest_dislike_comments": "Latest dislike comments",
    "no_dislike_comments": "No dislike with a comment in this range.",
    "conversations_caption": "{total} of the range's conversations match · page {page} of {pages}",
    "page": "Page",
    "not_linkable": "The conversations have no id, or feedback and evaluations no "
    "conversation_id: score and feedback cannot narrow the search.",
    "feedback_given": "Feedback given",
    "evaluations_given": "Evaluations",
    "score_filter": "Score range",
    "feedback_filter": "Feedback",
    "feedback_any": "All",
    "feedback_like": "Like",
    "feedback_dislike": "Dislike",
    "feedback_none": "None",
    "model_filter": "Model",
    "model_any": "Every model",
    "search": "Search (question, answer, comment, reason)",
    "no_match": "No conversation matches.",
    "select_conversation": "Conversation to open",
    "col_time": "Time",
    "col_score": "Score",
    "col_feedback": "Feedback",
    "col_model": "Model",
    "col_question": "Question",
    "col_answer": "Answer",
    "col_comment": "Comment",
    "col_reason": "Evaluator's reason",
    "conversation_id": "Conversation ID",
    "evaluator": "Evaluator",
    "text_cut": "Showing the first {shown} of {total} characters.",
    "download_text": "Download the whole text (.txt)",
    "generate_heading": "Generate and send",
    "week": "Week",
    "last_week_mark": "{period} (last week)",
    "generate_now": "Generate report now",
    "send_to_slack": "Send to Slack",
    "generating": "Generating the report of {period}…",
    "generated": "Report written: {name}",
    "sending": "Sending the report of {period} to Slack…",
    "sent": "{file} sent to {channel}",
    "skipped_delivered": "Not sent: this week's report was delivered to {channel} already",
    "skipped_running": "Not sent: another run is sending this week's report to {channel}",
    "failed": "Failed",
    "slack_not_configured": "SLACK_BOT_TOKEN is not set, so nothing can be sent to Slack.",
    "segment_report": (
        "Generate now writes the report of segment {segment}; Send to Slack delivers as "
        "SLACK_CHANNEL and DELIVERY_FILE say, whatever the segment picked."
    ),
    "send_again_heading": "Send an already delivered week again",
    "send_again_confirm": "I want this week's report posted to {channel} once more",
    "send_again": "Send again",
    "history_heading": "Delivery history",
    "no_history": "No report has been delivered yet.",
    "col_period": "Period",
    "col_status": "Status",
    "col_channel": "Channel",
    "col_attempts": "Attempts",
    "col_error": "Error",
    "col_updated": "Updated",
    "col_file": "File",
    "figures_heading": "Delivered and current figures",
    "figures_caption": (
        "The headline figures of the reports delivered in the last 4 weeks, beside the same "
        "figures counted on today's data. A week that rows landing late moved by more than "
        "RESTATE_THRESHOLD ({threshold}) gets one correction at each destination."
    ),
    "no_figures": "No report was delivered in the last 4 weeks.",
    "col_delivered": "{metric} (delivered)",
    "col_current": "{metric} (now)",
    "col_moved": "Moved past the threshold",
    "unchanged": "unchanged",
    "within_threshold": "within the threshold",
    "status_running": "running",
    "status_generated": "generated",
    "status_delivered": "delivered",
    "status_failed": "failed",
    "download_heading": "Download a PDF",
    "report_file": "Report file",
    "download": "Download",
    "no_files": "No report PDF in {dir} yet.",
    "database_heading": "Database",
    "slack_heading": "Slack",
    "slack_recheck": "Check again",
    "slack_off": "SLACK_BOT_TOKEN is not set: reports are written but not uploaded to Slack.",
    "schedule_heading": "Schedule",
    "next_run": "Next run: {time}",
    "schedule_text": "SCHEDULE `{schedule}` ({zone}); a late run still runs within {grace}",
    "settings_heading": "Settings",
    "col_setting": "Setting",
    "col_value": "Value",
}

UI: Mapping[Language, Mapping[str, str]] = {"ko": KO, "en": EN}
