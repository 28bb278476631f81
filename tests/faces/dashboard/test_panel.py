"""The admin panel through Streamlit's AppTest, on real databases filled with demo data.

The app reads its settings from the environment, as `aiops-report dashboard` hands them over.
"""

from __future__ import annotations

import re
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
import streamlit as st
import time_machine
from sqlalchemy.engine import Engine
from streamlit.testing.v1 import AppTest

from aiops_report.analysis.formulas import Change
from aiops_report.analysis.insight_parts import Insights
from aiops_report.analysis.insights import CHANGE_METRICS, compute_insights
from aiops_report.analysis.metrics import compute
from aiops_report.analysis.prices import load_prices
from aiops_report.data.config import Settings, load_settings
from aiops_report.data.conversations import first_conversation_at
from aiops_report.data.demo import DIP_MODEL, fill_demo_data
from aiops_report.data.periods import Period
from aiops_report.data.tables import reflect_tables
from aiops_report.faces.dashboard import auth, data
from aiops_report.faces.dashboard.display import card_delta, delta_text, plain
from aiops_report.faces.dashboard.views import conversations
from aiops_report.jobs import default_week
from aiops_report.texts.dashboard import KO
from aiops_report.texts.formats import (
    format_cost,
    format_day,
    format_p_value,
    format_value,
    period_label,
    short_period,
)
from aiops_report.texts.report import KO as REPORT_KO
from chatbot_tables import Rows, create_tables, insert
from dashboard_app import (  # noqa: F401
    app_env_fixture,
    fresh_caches_fixture,
    sqlite_only_fixture,
)
from slack_server import TOKEN, SlackServer, slack_server_fixture  # noqa: F401

APP = Path(auth.__file__).with_name("app.py")
PAGES = [
    "overview",
    "performance",
    "insights",
    "feedback",
    "conversations",
    "reports",
    "status",
]
PASSWORD = "correct horse battery staple"
MARKUP = "<script>alert('x')</script> **굵게** <b>태그</b> 😀\n두 번째 줄"
PRICES = """currency = "USD"
[models."gpt-4o-mini"]
input = 0.15
output = 0.60
[models."gpt-4o.*"]
input = 2.50
output = 10.00
"""


@pytest.fixture
def demo(app_env: Settings, engine: Engine) -> Settings:
    fill_demo_data(engine, app_env, weeks=6, per_day=20, now=datetime.now(app_env.report_zone))
    return app_env


def minimal_rows(settings: Settings) -> Rows:
    """A few rows in each of the last seven days, for the tables with required columns only."""
    now = datetime.now(settings.report_zone)
    rows = Rows()
    for day in range(1, 8):
        at = now - timedelta(days=day, hours=1)
        rows.conversations += [{"created_at": at}, {"created_at": at}]
        rows.feedback += [{"feedback": "like", "created_at": at}]
        rows.feedback += [{"feedback": " Dislike", "created_at": at}]
        rows.evaluations += [
            {"score": 2.5 + day, "created_at": at},
            {"score": None, "created_at": at},
        ]
    return rows


@pytest.fixture(params=["demo", "minimal"])
def any_schema(request: pytest.FixtureRequest, app_env: Settings, engine: Engine) -> Settings:
    if request.param == "demo":
        fill_demo_data(engine, app_env, weeks=6, per_day=20, now=datetime.now(app_env.report_zone))
    else:
        create_tables(engine, app_env, style="naive", minimal=True)
        insert(engine, app_env, minimal_rows(app_env), style="naive")
    return app_env


def started() -> AppTest:
    at = AppTest.from_file(str(APP), default_timeout=60)
    at.run()
    return at


def open_page(at: AppTest, page: str) -> AppTest:
    at.segmented_control(key="aiops_page").set_value(page).run()
    return at


def log_in(at: AppTest, password: str) -> AppTest:
    at.text_input(key="aiops_password").input(password)
    at.button[0].click().run()  # the form's submit button
    return at


def badges(at: AppTest) -> list[str]:
    """The labels of the st.badge elements shown."""
    return [m.value.split("]")[0].split(": ")[-1] for m in at.markdown if "-badge[" in m.value]


def captions(at: AppTest) -> list[str]:
    return [c.value for c in at.caption]


def assert_clean(at: AppTest) -> None:
    assert not at.exception, at.exception
    assert not at.error, [e.value for e in at.error]


# --- access -----------------------------------------------------------------------------------


def test_wrong_password_is_refused_and_the_right_one_admitted(
    demo: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ADMIN_PASSWORD", PASSWORD)
    at = started()
    assert not at.metric
    assert at.text_input(key="aiops_password").label == KO["password"]

    log_in(at, "wrong")
    assert [e.value for e in at.error] == [KO["wrong_password"]]
    assert not at.metric

    log_in(at, PASSWORD)
    assert_clean(at)
    assert len(at.metric) >= 4
    # The no-password banner is for open dashboards only (the other warning: the demo's six
    # weeks cover half the default range's comparison range).
    assert [w.icon for w in at.warning] == [":material/compare_arrows:"]

    at.button(key="aiops_logout").click().run()
    assert not at.metric
    assert at.text_input(key="aiops_password")


def locked_out(settings: Settings, seconds: int) -> str:
    """The lockout message of a wait of `seconds` from now."""
    until = datetime.fromtimestamp(time.time() + seconds, settings.report_zone)
    return KO["locked_out"].format(seconds=seconds, time=f"{until:%H:%M:%S %Z}")


def test_repeated_failures_lock_the_session_out_for_longer_each_time(
    demo: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ADMIN_PASSWORD", auth.hash_password(PASSWORD, iterations=1_000))
    with time_machine.travel(datetime(2026, 11, 25, 10, 0), tick=False) as clock:
        at = started()
        for _ in range(auth.FREE_ATTEMPTS):
            log_in(at, "guess")
        assert at.error[0].value == locked_out(demo, 5)
        assert "(19:00:05 KST)" in at.error[0].value  # the time to try again, in Asia/Seoul

        log_in(at, PASSWORD)  # right, but too soon
        assert not at.metric
        assert at.error[0].value == locked_out(demo, 5)

        clock.shift(timedelta(seconds=6))
        log_in(at, PASSWORD)
        assert len(at.metric) >= 4


def test_failures_are_counted_across_sessions(
    demo: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ADMIN_PASSWORD", auth.hash_password(PASSWORD, iterations=1_000))
    with time_machine.travel(datetime(2026, 11, 25, 10, 0), tick=False) as clock:
        first = started()
        for _ in range(auth.FREE_ATTEMPTS - 1):
            log_in(first, "guess")
        assert [e.value for e in first.error] == [KO["wrong_password"]]

        second = log_in(started(), "guess")  # a reload, or another browser: the same address
        assert [e.value for e in second.error] == [locked_out(demo, 5)]

        third = log_in(started(), PASSWORD)  # right, but too soon
        assert not third.metric
        assert [e.value for e in third.error] == [locked_out(demo, 5)]

        clock.shift(timedelta(seconds=6))
        assert len(log_in(started(), PASSWORD).metric) >= 4
        assert [e.value for e in log_in(started(), "guess").error] == [KO["wrong_password"]]


def test_without_a_password_the_panel_is_open_with_a_warning(demo: Settings) -> None:
    at = started()
    assert_clean(at)
    assert at.warning[0].value == KO["no_password"]
    assert len(at.metric) >= 4


def test_oidc_login_is_used_when_streamlit_auth_is_configured(
    demo: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ADMIN_PASSWORD", PASSWORD)  # OIDC takes precedence
    at = AppTest.from_file(str(APP), default_timeout=60)
    at.secrets["auth"] = {
        "redirect_uri": "http://localhost:8501/oauth2callback",
        "cookie_secret": "test-cookie-secret",
        "client_id": "aiops",
        "client_secret": "secret",
        "server_metadata_url": "https://accounts.example.com/.well-known/openid-configuration",
    }
    at.user = {"is_logged_in": False}
    at.run()
    assert at.button(key="aiops_login_sso").label == KO["login_sso"]
    assert not at.metric and not at.text_input

    at.user = {"is_logged_in": True, "email": "ops@example.com"}
    at.run()
    assert_clean(at)
    assert len(at.metric) >= 4
    assert at.button(key="aiops_logout")


def test_the_panel_embeds_in_a_tab_of_another_app(demo: Settings) -> None:
    def host_app() -> None:
        import streamlit as st

        from aiops_report.faces.dashboard import admin_panel

        chat, admin = st.tabs(["Chat", "Admin"])
        chat.write("the chatbot")
        with admin:
            admin_panel()
        st.write("host footer")

    at = AppTest.from_function(host_app, default_timeout=60)
    at.run()
    assert_clean(at)
    assert len(at.tabs[1].get("metric")) >= 4
    assert at.markdown[-1].value == "host footer"


# --- pages ------------------------------------------------------------------------------------


def test_every_page_renders(any_schema: Settings) -> None:
    at = started()
    assert_clean(at)
    for page in PAGES:
        open_page(at, page)
        assert_clean(at)
    open_page(at, "overview")
    at.segmented_control(key="aiops_granularity").set_value("week").run()
    assert_clean(at)
    open_page(at, "conversations")
    assert at.selectbox(key="aiops_conversation").value is not None
    assert_clean(at)


def test_kpi_cards_show_the_metrics_engine_numbers(demo: Settings, engine: Engine) -> None:
    """Six weeks of data: the default four weeks are compared with four weeks of which two
    have data, which is said and compares nothing; two weeks are compared with two whole
    weeks."""
    names = ["conversations", "unique_users", "satisfaction_rate", "avg_score", "latency_p95_ms"]
    at = started()
    for weeks, comparable in ((4, False), (2, True)):
        last = default_week(demo)
        period = Period(last.start - timedelta(weeks=weeks - 1), last.end, last.zone)
        at = pick_range(at, period)
        assert_clean(at)
        numbers = compute(engine, reflect_tables(engine, demo), period)
        shown = {m.label: (m.value, m.delta) for m in at.metric}

        assert shown == {
            REPORT_KO.metrics[name]: (
                format_value(name, getattr(numbers.current, name)),
                (card_delta(name, numbers.change[name], REPORT_KO) or "") if comparable else "",
            )
            for name in names
        }
        assert len(at.get("vega_lite_chart")) == 3
        coverage = [w.value for w in at.warning if w.icon == ":material/compare_arrows:"]
        if comparable:
            assert coverage == []
        else:
            first = first_conversation_at(engine, reflect_tables(engine, demo))
            assert first is not None
            assert coverage == [
                KO["not_comparable"].format(
                    covered=14,
                    days=28,
                    share="50%",
                    first=first.astimezone(period.zone).date().isoformat(),
                )
            ]


def test_a_long_change_shows_its_relative_part_on_the_card() -> None:
    change = Change(absolute=323_236, relative=1.138)

    assert delta_text("total_tokens", change, REPORT_KO) == "+323,236 (+113.8%)"
    assert card_delta("total_tokens", change, REPORT_KO) == "+113.8%"
    assert card_delta("conversations", Change(263, 1.169), REPORT_KO) == "+263 (+116.9%)"


def test_english_when_report_language_is_en(
    demo: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every page in English (the browser test looks at them in Korean): our own words, the
    headings and the cards' labels, hold no Hangul; the demo's conversations may."""
    monkeypatch.setenv("REPORT_LANGUAGE", "en")
    at = started()
    assert_clean(at)
    assert at.metric[0].label == "Conversations"
    assert at.header[0].value == "AI chatbot operations"
    hangul = re.compile("[\uac00-\ud7a3]")
    for page in PAGES:
        open_page(at, page)
        assert_clean(at)
        headings = [m.value for m in at.markdown if m.value.startswith("#### ")]
        widgets = [*at.metric, *at.button, *at.text_input, *at.selectbox, *at.date_input]
        labels = [w.label for w in widgets]
        assert headings or labels, page
        assert not [text for text in headings + labels if hangul.search(text)], page


def test_conversations_are_searched_filtered_and_shown_as_text(
    app_env: Settings, engine: Engine
) -> None:
    create_tables(engine, app_env, style="naive", minimal=False)
    at_time = datetime.now(app_env.report_zone) - timedelta(days=8)
    rows = Rows(
        conversations=[
            {
                "id": 1,
                "user_id": "u1",
                "user_message": MARKUP,
                "ai_response": "<i>답</i>",
                "model": "model-a",
                "created_at": at_time,
            },
            {
                "id": 2,
                "user_id": "u2",
                "user_message": "배송 문의",
                "ai_response": "내일 도착",
                "model": "model-b",
                "created_at": at_time,
            },
        ],
        feedback=[
            {
                "id": 1,
                "conversation_id": 1,
                "feedback": "dislike",
                "comment": "[링크](http://x)",
                "created_at": at_time,
            },
        ],
        evaluations=[
            {
                "id": 1,
                "conversation_id": 1,
                "score": 1.5,
                "reason": "# 제목",
                "created_at": at_time,
            },
            {"id": 2, "conversation_id": 2, "score": 8.0, "reason": "ok", "created_at": at_time},
        ],
    )
    insert(engine, app_env, rows, style="naive")
    at = open_page(started(), "conversations")
    assert len(at.dataframe[0].value) == 2

    at.text_input(key="aiops_search").input("script").run()
    assert len(at.dataframe[0].value) == 1
    texts = [t.value for t in at.text]
    assert MARKUP in texts and "<i>답</i>" in texts and "# 제목" in texts
    assert "[링크](http://x)" in texts
    assert not any("<script>" in m.value for m in at.markdown)

    at.text_input(key="aiops_search").input("").run()
    at.multiselect(key="aiops_model_filter").select("model-b").run()
    assert len(at.dataframe[0].value) == 1
    at.multiselect(key="aiops_model_filter").unselect("model-b").run()
    at.slider(key="aiops_score_filter").set_range(5.0, 10.0).run()
    assert len(at.dataframe[0].value) == 1
    at.slider(key="aiops_score_filter").set_range(0.0, 10.0).run()
    at.selectbox(key="aiops_feedback_filter").set_value("dislike").run()
    assert len(at.dataframe[0].value) == 1

    # Neither low-scored nor disliked, found by its words, and opened.
    at.selectbox(key="aiops_feedback_filter").set_value("any").run()
    at.text_input(key="aiops_search").input("배송").run()
    assert len(at.dataframe[0].value) == 1
    assert "내일 도착" in [t.value for t in at.text]


def test_the_search_reaches_every_conversation_page_by_page(
    app_env: Settings, engine: Engine
) -> None:
    create_tables(engine, app_env, style="naive", minimal=False)
    at_time = datetime.now(app_env.report_zone) - timedelta(days=8)
    rows = Rows(
        conversations=[
            {"id": i, "user_message": f"질문 {i}", "model": "m", "created_at": at_time}
            for i in range(1, 1 + conversations.PAGE_SIZE + 5)
        ],
        evaluations=[  # every one scored well: none is among the lowest-scored
            {"id": i, "conversation_id": i, "score": 9.0, "created_at": at_time}
            for i in range(1, 1 + conversations.PAGE_SIZE + 5)
        ],
    )
    insert(engine, app_env, rows, style="naive")
    at = open_page(started(), "conversations")
    assert len(at.dataframe[0].value) == conversations.PAGE_SIZE
    at.number_input(key="aiops_conversation_page").set_value(2).run()
    assert_clean(at)
    assert len(at.dataframe[0].value) == 5


def test_a_megabyte_answer_is_shown_shortened_with_a_download_of_the_whole(
    app_env: Settings, engine: Engine
) -> None:
    create_tables(engine, app_env, style="naive", minimal=False)
    # (That every database gives a megabyte back whole: tests/data/test_conversations.py.)
    answer = ("한 줄의 긴 답변입니다. " * 80 + "\n") * 1_000 + "끝"
    assert len(answer) > 1_000_000
    at_time = datetime.now(app_env.report_zone) - timedelta(days=8)
    conversation = {"id": 7, "user_message": "요약해 주세요", "ai_response": answer}
    rows = Rows(
        conversations=[{**conversation, "model": "model-a", "created_at": at_time}],
        evaluations=[{"id": 1, "conversation_id": 7, "score": 1.0, "created_at": at_time}],
    )
    insert(engine, app_env, rows, style="naive")

    at = open_page(started(), "conversations")
    assert_clean(at)
    assert at.selectbox(key="aiops_conversation").value == 0  # opened

    texts = [t.value for t in at.text]
    assert "요약해 주세요" in texts
    assert max(len(text) for text in texts) <= conversations.FULL_TEXT + 1
    assert answer[: conversations.FULL_TEXT] + "…" in texts
    shown = f"{conversations.FULL_TEXT:,}"
    assert KO["text_cut"].format(shown=shown, total=f"{len(answer):,}") in captions(at)
    (download,) = at.get("download_button")
    assert download.label == KO["download_text"]
    assert download.proto.url.endswith(".txt")


# --- insights ---------------------------------------------------------------------------------


@pytest.fixture
def rich_demo(app_env: Settings, engine: Engine, monkeypatch: pytest.MonkeyPatch) -> Settings:
    """Nine weeks of demo data (enough for the anomalies' baseline) and a price table."""
    prices = app_env.report_dir.parent / "prices.toml"
    prices.write_text(PRICES)
    monkeypatch.setenv("MODEL_PRICES", str(prices))
    fill_demo_data(engine, app_env, weeks=9, per_day=40, now=datetime.now(app_env.report_zone))
    return app_env.model_copy(update={"model_prices": prices})


def insights_of(engine: Engine, settings: Settings, period: Period) -> Insights:
    prices = load_prices(settings.model_prices) if settings.model_prices else None
    return compute_insights(engine, reflect_tables(engine, settings), period, prices=prices)


def pick_range(at: AppTest, period: Period) -> AppTest:
    last = period.end - timedelta(days=1)
    at.date_input(key="aiops_range").set_value((period.start, last)).run()
    return at


def test_insights_page_shows_the_library_numbers(rich_demo: Settings, engine: Engine) -> None:
    week = default_week(rich_demo)  # the demo's dip week
    expected = insights_of(engine, rich_demo, week)
    at = pick_range(open_page(started(), "insights"), week)
    assert_clean(at)
    shown = captions(at)

    # Changes: the p-values, and a "significant" badge for each significant change only.
    for name in CHANGE_METRICS:
        assert format_p_value(expected.changes[name].p_value) in shown
    significant = [n for n in CHANGE_METRICS if expected.changes[n].significant]
    assert significant  # the demo plants a real drop in satisfaction
    assert badges(at).count(KO["badge_significant"]) == len(significant)
    assert [m.label for m in at.metric][:3] == [REPORT_KO.metrics[n] for n in CHANGE_METRICS]

    # By model: the worst model named, the cost of priced models, the unpriced listed.
    assert expected.by_model is not None
    worst = expected.lowest_scored_model()
    assert worst is not None and worst.model == DIP_MODEL
    assert any(plain(worst.model) in line for line in shown)  # escaped: shown as written
    # The tables after the change cards' split of a change (explain): by model first.
    tables = [d.value for d in at.dataframe]
    first = next(i for i, v in enumerate(tables) if f"{KO['col_cost']} (USD)" in v.columns)
    models = tables[first]
    assert list(models[KO["col_model"]]) == [m.model for m in expected.by_model]
    costs = list(models[f"{KO['col_cost']} (USD)"])
    assert costs == [format_cost(m.cost) for m in expected.by_model]
    assert expected.unpriced_models and "–" in costs
    assert any(plain(", ".join(expected.unpriced_models)) in line for line in shown)

    # Anomalous days, agreement, complaints.
    assert expected.anomalies  # the demo plants one
    anomalies = tables[first + 1]
    assert list(anomalies[KO["col_date"]]) == [
        format_day(a.date, REPORT_KO) for a in expected.anomalies
    ]
    assert expected.agreement is not None
    rate = format_value("satisfaction_rate", expected.agreement.agreement_rate)
    assert rate in [m.value for m in at.metric]
    confusion = tables[first + 2]
    assert confusion.iloc[0, 1:].tolist() == [
        expected.agreement.like_good,
        expected.agreement.like_bad,
    ]
    disagreements = tables[first + 3]
    assert len(disagreements) == len(expected.agreement.disagreements)
    assert expected.themes
    themes = tables[first + 4]
    assert list(themes[KO["col_term"]]) == [theme.term for theme in expected.themes]


def test_insights_say_significant_only_for_significant_changes(
    rich_demo: Settings, engine: Engine
) -> None:
    at = open_page(started(), "insights")  # the default four weeks
    assert_clean(at)
    expected = insights_of(engine, rich_demo, data.default_range(rich_demo))
    significant = sum(expected.changes[n].significant for n in CHANGE_METRICS)
    assert badges(at).count(KO["badge_significant"]) == significant
    assert len(badges(at)) == len(CHANGE_METRICS)
    # Nine weeks of data: the range's first days have five weeks before them, its last eight.
    # One statement: the days judged, and the anomalies found on them; never "too short to
    # tell" above a list of anomalous days.
    status = expected.anomalies_status
    assert status is not None and not status.enough_history
    assert 0 < (status.days_with_history or 0) < status.days_judged
    judged = REPORT_KO.insights.partly_judged.format(
        judged=status.days_with_history, days=status.days_judged, needed=status.needed
    )
    assert judged in [i.value for i in at.info]
    # Neither "too short to tell" nor a comparison range covered in part (the only warning:
    # no ADMIN_PASSWORD).
    assert [w.icon for w in at.warning] == [":material/lock_open:"]
    assert expected.anomalies  # on the judged days

    last = default_week(rich_demo)
    before_any_data = Period.week_of(last.start - timedelta(weeks=12), last.zone)
    at = pick_range(at, before_any_data)
    assert_clean(at)
    assert badges(at) == [KO["badge_not_enough"]] * len(CHANGE_METRICS)


def test_insights_on_the_minimal_schema_say_which_columns_they_need(
    app_env: Settings, engine: Engine
) -> None:
    create_tables(engine, app_env, style="naive", minimal=True)
    insert(engine, app_env, minimal_rows(app_env), style="naive")
    at = open_page(started(), "insights")
    assert_clean(at)
    needs = [line for line in captions(at) if "열이 있어야" in line]
    assert [line.split(":")[0] for line in needs] == [
        KO["by_model"],
        KO["agreement_heading"],
        KO["themes_heading"],
    ]
    assert f"{app_env.conversation_table}.model" in needs[0]
    assert len(badges(at)) == len(CHANGE_METRICS)


def test_performance_page_shows_the_models(demo: Settings, engine: Engine) -> None:
    at = open_page(started(), "performance")
    assert_clean(at)
    expected = insights_of(engine, demo, data.default_range(demo)).by_model
    assert expected is not None
    table = at.dataframe[0].value
    assert list(table[KO["col_model"]]) == [m.model for m in expected]
    assert list(table[REPORT_KO.metrics["avg_score"]]) == [
        format_value("avg_score", m.avg_score) for m in expected
    ]
    assert len(at.get("vega_lite_chart")) == 3  # score over time, distribution, by model


# --- reports ----------------------------------------------------------------------------------


def test_generate_report_now_writes_the_pdf(demo: Settings, engine: Engine) -> None:
    at = open_page(started(), "reports")
    week = at.selectbox(key="aiops_report_week").value
    # The weeks offered start at that of the first conversation.
    first = first_conversation_at(engine, reflect_tables(engine, demo))
    assert first is not None
    first_week = Period.week_of(first.astimezone(demo.report_zone).date(), demo.report_zone)
    offered = at.selectbox(key="aiops_report_week").options
    assert len(offered) == (week.start - first_week.start).days // 7 + 1 <= 7
    at.button(key="aiops_generate").click().run()

    assert_clean(at)
    pdf = demo.report_dir / f"weekly_report_{week.end:%Y_%m_%d}.pdf"
    assert pdf.read_bytes().startswith(b"%PDF")
    assert at.status[0].state == "complete"
    assert at.get("download_button")


@pytest.fixture
def slack_env(demo: Settings, monkeypatch: pytest.MonkeyPatch, slack_server: SlackServer) -> None:
    monkeypatch.setenv("SLACK_BOT_TOKEN", TOKEN)
    monkeypatch.setenv("SLACK_API_URL", slack_server.api_url)
    monkeypatch.setenv("SLACK_CHANNEL", "#ai-reports")


def test_send_to_slack_reaches_slack_once(slack_env: None, slack_server: SlackServer) -> None:
    at = open_page(started(), "reports")

    at.button(key="aiops_send").click().run()
    assert_clean(at)
    assert [f.channel_id for f in slack_server.shared_files()] == ["C0AIREPORTS"]
    assert at.status[0].state == "complete"
    week = default_week(load_settings())
    sent = KO["sent"].format(file=f"weekly_report_{week.end:%Y_%m_%d}.pdf", channel="#ai-reports")
    assert at.status[0].label == sent  # in Korean, every word
    history = at.dataframe[0].value
    assert list(history.iloc[0])[1:4] == [KO["status_delivered"], "#ai-reports", 1]
    updated = history.iloc[0][KO["col_updated"]]
    assert updated.endswith(" KST") and "UTC" not in updated  # in REPORT_TIMEZONE

    at.button(key="aiops_send").click().run()  # idempotent: the week went out already
    assert len(slack_server.shared_files()) == 1
    assert at.status[0].label == KO["skipped_delivered"].format(channel="#ai-reports")

    open_page(at, "status")
    assert_clean(at)
    assert any("Acme Korea" in s.value for s in at.success)


def test_send_again_needs_a_confirmation_and_posts_again(
    slack_env: None, slack_server: SlackServer
) -> None:
    at = open_page(started(), "reports")
    at.button(key="aiops_send").click().run()
    assert len(slack_server.shared_files()) == 1

    assert at.button(key="aiops_send_again").disabled
    at.checkbox(key="aiops_send_again_confirm").check().run()
    at.button(key="aiops_send_again").click().run()
    assert_clean(at)
    assert len(slack_server.shared_files()) == 2
    history = at.dataframe[0].value
    assert list(history.iloc[0])[1:4] == [KO["status_delivered"], "#ai-reports", 2]


def test_the_reports_page_shows_delivered_and_current_figures_side_by_side(
    slack_env: None, slack_server: SlackServer, engine: Engine
) -> None:
    at = open_page(started(), "reports")
    at.button(key="aiops_send").click().run()
    week = default_week(load_settings())
    figures = at.dataframe[1].value
    delivered = int(figures.iloc[0][KO["col_delivered"].format(metric="대화 수")].replace(",", ""))
    assert figures.iloc[0][KO["col_moved"]] == KO["unchanged"]

    late = (week.start_at + timedelta(days=2)).astimezone(UTC).replace(tzinfo=None)
    table = sa.Table("conversation_log", sa.MetaData(), autoload_with=engine)
    with engine.begin() as conn:
        conn.execute(sa.insert(table), [{"created_at": late}] * 10)
    st.cache_data.clear()  # the page's numbers are up to CACHE_TTL old
    open_page(at, "reports")

    assert_clean(at)
    row = at.dataframe[1].value.iloc[0]
    assert row[KO["col_period"]] == short_period(week)
    assert row[KO["col_channel"]] == "#ai-reports"
    assert row[KO["col_delivered"].format(metric="대화 수")] == f"{delivered:,}"
    assert row[KO["col_current"].format(metric="대화 수")] == f"{delivered + 10:,}"
    assert row[KO["col_moved"]] == "대화 수"

    at.button(key="aiops_send").click().run()  # a run: the week is restated, once
    assert_clean(at)
    _, correction = slack_server.shared_files()
    assert correction.filename == f"weekly_report_{week.end:%Y_%m_%d}_restated.pdf"
    row = at.dataframe[1].value.iloc[0]
    assert row[KO["col_delivered"].format(metric="대화 수")] == f"{delivered + 10:,}"
    assert row[KO["col_moved"]] == KO["unchanged"]


def test_without_slack_token_sending_is_disabled(demo: Settings) -> None:
    at = open_page(started(), "reports")
    assert at.button(key="aiops_send").disabled
    open_page(at, "status")
    assert at.info[0].value == KO["slack_off"]


# --- a range reaching today, a range with nothing before it, a short history -----------------


def test_a_range_reaching_today_is_compared_with_the_same_span_before(
    app_env: Settings, engine: Engine
) -> None:
    now = datetime(2026, 12, 1, 16, 47, tzinfo=app_env.report_zone)  # a Tuesday afternoon
    fill_demo_data(engine, app_env, weeks=3, per_day=20, now=now)
    today = now.date()
    with time_machine.travel(now, tick=False):
        at = started()
        at.date_input(key="aiops_range").set_value((today - timedelta(days=6), today)).run()
    assert_clean(at)

    # Cut at 16:45 (the caches' five minutes): today so far against last Tuesday until 16:45.
    cut = Period(today - timedelta(days=6), today + timedelta(days=1), app_env.report_zone)
    cut = cut.as_of(now.replace(minute=45))
    caption = KO["versus_previous_partial"].format(
        period=period_label(cut, REPORT_KO),
        previous=period_label(cut.previous, REPORT_KO).rsplit(",", 1)[0],
    )
    assert caption in captions(at)
    assert "16:45" in caption
    numbers = compute(engine, reflect_tables(engine, app_env), cut)
    shown = {m.label: m.value for m in at.metric}
    assert shown[REPORT_KO.metrics["conversations"]] == format_value(
        "conversations", numbers.current.conversations
    )


def test_a_range_with_nothing_before_it_shows_new_not_growth(
    demo: Settings, engine: Engine
) -> None:
    last = default_week(demo)
    first_week = Period.week_of(last.start - timedelta(weeks=5), last.zone)  # the demo's first
    at = pick_range(started(), first_week)
    assert_clean(at)

    deltas = {m.label: m.delta for m in at.metric}
    assert deltas[REPORT_KO.metrics["conversations"]] == REPORT_KO.new
    assert deltas[REPORT_KO.metrics["satisfaction_rate"]] == REPORT_KO.new


def test_the_insights_page_says_when_the_history_is_too_short(demo: Settings) -> None:
    """Six weeks of data: the default four weeks' first days have two weeks before them."""
    at = open_page(started(), "insights")
    assert_clean(at)

    short = REPORT_KO.insights.not_enough_history.format(have=2, needed=6)
    assert short in [w.value for w in at.warning]
    assert KO["no_anomalies"] not in [i.value for i in at.info]
