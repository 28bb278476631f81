"""What every page shares: the session's context, the date-range filter and the KPI cards."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Literal

import streamlit as st
from streamlit.delta_generator import DeltaGenerator

from aiops_report.analysis.metrics import ReportNumbers
from aiops_report.data.config import Settings
from aiops_report.data.periods import Period
from aiops_report.faces.dashboard import data
from aiops_report.faces.dashboard.charts import Granularity, Point, series
from aiops_report.faces.dashboard.display import card_delta, delta_text, plain
from aiops_report.language import Language, in_language
from aiops_report.texts.dashboard import UI
from aiops_report.texts.formats import format_value, period_label
from aiops_report.texts.report import Texts, texts_for

# A rise of these is bad news: their cards show it in red.
LOWER_IS_BETTER = frozenset({"dislikes", "latency_p50_ms", "latency_p95_ms"})


@dataclass(frozen=True)
class Context:
    settings: Settings
    language: Language
    t: Mapping[str, str]  # the dashboard's words
    rt: Texts  # the report's words: metric names, weekdays
    segment: str | None = None  # the segment every page shows (the filter's); None: all

    @classmethod
    def of(cls, settings: Settings) -> Context:
        language = settings.report_language
        return cls(settings, language, in_language(UI, language), texts_for(language))

    def now(self) -> datetime:
        return datetime.now(self.settings.report_zone)


@dataclass(frozen=True)
class Coverage:
    """How many days of the comparison range the data covers (from the first conversation
    on). A range covered in part is not comparable: its change would compare a full range with
    a fraction of one ("+114%"). One not covered at all is compared as "new"."""

    days_with_data: int
    days: int
    first: datetime | None

    @property
    def comparable(self) -> bool:
        return self.days_with_data in (0, self.days)


def comparison_coverage(ctx: Context, period: Period) -> Coverage:
    """The coverage of the range `period` is compared with (`period.previous`)."""
    first = data.first_conversation_at(ctx.settings)
    previous = period.previous
    return Coverage(previous.days_since(first), len(previous.days), first)


@dataclass(frozen=True)
class Selection:
    period: Period
    granularity: Granularity


def heading(text: str) -> None:
    """A section heading (our own words only: it is Markdown)."""
    st.markdown(f"#### {text}")


def range_filter(ctx: Context, *, granularity: bool = True) -> Selection | None:
    """The date range and granularity pickers; None while the range is half picked.

    Their values survive a visit to another page (persist_state="session").
    """
    t = ctx.t
    default = data.default_range(ctx.settings, ctx.now())
    today = ctx.now().date()
    left, right, _ = st.columns([2, 1.3, 2.7])
    picked = left.date_input(
        t["date_range"],
        value=(default.start, default.end - timedelta(days=1)),
        max_value=today,
        format="YYYY-MM-DD",
        key="aiops_range",
        persist_state="session",
    )
    chosen: Granularity = "day"
    if granularity:
        chosen = right.segmented_control(
            t["granularity"],
            options=["day", "week"],
            format_func=lambda g: t[f"gran_{g}"],
            default="day",
            required=True,
            key="aiops_granularity",
            persist_state="session",
        )
    if not isinstance(picked, Sequence) or len(picked) != 2:
        st.info(t["pick_end"])
        return None
    start, last = picked
    assert isinstance(start, date) and isinstance(last, date)
    if (last - start).days + 1 > data.MAX_RANGE_DAYS:
        start = last - timedelta(days=data.MAX_RANGE_DAYS - 1)
        st.warning(t["range_capped"].format(days=data.MAX_RANGE_DAYS, start=start))
    period = Period(start, last + timedelta(days=1), ctx.settings.report_zone)
    return Selection(data.range_as_of(period, ctx.now()), chosen)


def range_caption(ctx: Context, period: Period) -> None:
    """The range and the one it is compared with; a range cut today says it is partial, one
    of a segment names it."""
    key = "versus_previous_partial" if period.partial else "versus_previous"
    caption = ctx.t[key].format(
        period=period_label(period, ctx.rt),
        previous=period_label(period.previous, ctx.rt).rsplit(",", 1)[0],
    )
    if ctx.segment is not None:
        caption += " · " + ctx.t["segment_only"].format(segment=plain(ctx.segment))
    st.caption(caption)
    coverage = comparison_coverage(ctx, period)
    if not coverage.comparable:
        assert coverage.first is not None  # some days have data
        st.warning(
            ctx.t["not_comparable"].format(
                covered=coverage.days_with_data,
                days=coverage.days,
                share=f"{coverage.days_with_data / coverage.days:.0%}",
                first=coverage.first.astimezone(period.zone).date().isoformat(),
            ),
            icon=":material/compare_arrows:",
        )


def kpi_cards(
    ctx: Context,
    numbers: ReportNumbers,
    names: Sequence[str],
    *,
    later: Sequence[str] = (),
) -> dict[str, DeltaGenerator]:
    """One st.metric per metric, with its change vs the previous range.

    The metrics in `later` get an empty card, returned by name, for `kpi_card` to fill once
    their number is known.
    """
    slots = {}
    columns = st.columns(len(names))
    for column, name in zip(columns, names, strict=True):
        if name in later:
            slots[name] = column.empty()
            slots[name].metric(ctx.rt.metrics[name], "…", border=True)
        else:
            kpi_card(ctx, column, name, numbers)
    return slots


def kpi_card(ctx: Context, where: DeltaGenerator, name: str, numbers: ReportNumbers) -> None:
    """The card of metric `name`: its value, its change and the previous range's value."""
    current, previous = getattr(numbers.current, name), getattr(numbers.previous, name)
    change = numbers.change[name]
    color: Literal["normal", "inverse", "off"] = "inverse" if name in LOWER_IS_BETTER else "normal"
    comparable = comparison_coverage(ctx, numbers.period).comparable
    delta = card_delta(name, change, ctx.rt)
    whole = delta_text(name, change, ctx.rt)
    help_text = ctx.t["previous_value"].format(value=format_value(name, previous))
    if comparable and whole != delta:
        help_text += f" · {whole}"
    where.metric(
        ctx.rt.metrics[name],
        format_value(name, current),
        # A comparison range covered in part has no change to show (range_caption says why).
        delta=delta if comparable else None,
        # "new" (nothing in the previous range) is neither good nor bad, nor a rise.
        delta_color="off" if change.new else color,
        delta_arrow="off" if change.new else "auto",
        help=help_text,
        border=True,
    )


def chosen_range(
    ctx: Context, *, with_conversations: bool = False
) -> tuple[ReportNumbers, list[Point]] | None:
    """The numbers of the range the user picked (its caption shown) and their points by day
    or by week; None until a complete range is picked.

    Without the unique users, and with the worst conversations only when asked for: the
    rest comes from kept per-day totals, fast for any range.
    """
    selection = range_filter(ctx)
    if selection is None:
        return None
    read = data.numbers if with_conversations else data.totals
    numbers = read(ctx.settings, selection.period, segment=ctx.segment)
    range_caption(ctx, numbers.period)
    return numbers, series(numbers, selection.granularity)
