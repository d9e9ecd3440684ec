"""The health score (docs/metrics.md, "Health score"): its inputs, their default weights and
curves, and the arithmetic that turns measured values into a 0-100 score with its reasons.

Pure code over plain values: the selector (`dashboard.metrics.health`) measures each input per
project and reads the admin's overrides (`HealthWeight` rows); everything here is the same for
the page, its CSV and JSON, and the badge. The defaults live here, not in a data migration, so
a fresh database scores projects before anyone opens the admin; a row overrides only the fields
it fills in.
"""

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass


def _people(n: float) -> str:
    n = int(n)
    return "one person" if n == 1 else f"{n} people"


def _hours(h: float) -> str:
    return f"{h:.0f} h" if h < 48 else f"{h / 24:.1f} days"


@dataclass(frozen=True)
class HealthInput:
    key: str
    label: str  # what is measured, as the admin and the reasons table name it
    unit: str
    weight: float  # default weight
    good: float  # default: the value at and beyond which the input scores 100
    bad: float  # default: the value at and beyond which the input scores 0
    # One line saying what the measured value means; gets the value and the project's other
    # measures (some inputs carry details, e.g. how many pull requests wait).
    describe: Callable[[float, Mapping], str]
    missing: str  # why an input without a value is left out
    # False for the inputs that read 0 on a project where nothing happens (nothing waits,
    # nothing is flagged): a score needs at least one input that measures activity.
    measures_activity: bool = True


HEALTH_INPUTS: tuple[HealthInput, ...] = (
    HealthInput(
        "absence_merges",
        "Absence factor of merges",
        "people",
        15,
        3,
        1,
        lambda v, m: f"merges depend on {_people(v)}",
        "no pull request was merged in the period",
    ),
    HealthInput(
        "absence_reviews",
        "Absence factor of reviews",
        "people",
        10,
        3,
        1,
        lambda v, m: f"reviews depend on {_people(v)}",
        "no review was given in the period",
    ),
    HealthInput(
        "absence_authored",
        "Absence factor of authored work",
        "people",
        10,
        3,
        1,
        lambda v, m: f"authored work (commits and pull requests) depends on {_people(v)}",
        "nothing was authored in the period",
    ),
    HealthInput(
        "response_issues",
        "Median first response to issues",
        "hours",
        15,
        24,
        168,
        lambda v, m: f"issues get a first response in {_hours(v)} (median)",
        "no issue opened in the period has a response",
    ),
    HealthInput(
        "response_prs",
        "Median first response to pull requests",
        "hours",
        15,
        24,
        168,
        lambda v, m: f"pull requests get a first response in {_hours(v)} (median)",
        "no pull request opened in the period has a response",
    ),
    HealthInput(
        "newcomer_retention",
        "Newcomers retained after 90 days",
        "%",
        15,
        35,
        5,
        lambda v, m: f"{v:.0f}% of newcomers contributed again 90 days or more later",
        "no newcomer of the period is 90 days old yet",
    ),
    HealthInput(
        "review_wait",
        "Median wait of open pull requests for a first review",
        "days",
        10,
        7,
        60,
        lambda v, m: (
            "no open pull request waits for a first review"
            if not m.get("review_wait_count")
            else f"{m['review_wait_count']} open pull request"
            f"{'s' if m['review_wait_count'] != 1 else ''} wait for a first review, "
            f"{v:.0f} days (median)"
        ),
        "no open pull request could be read",
        measures_activity=False,
    ),
    HealthInput(
        "gaming_flags",
        "KPI-gaming flags",
        "flags",
        10,
        0,
        3,
        lambda v, m: (
            "no KPI-gaming flag"
            if v == 0
            else f"{int(v)} KPI-gaming flag{'s' if v != 1 else ''} raised"
        ),
        "the KPI-gaming detectors did not run",
        measures_activity=False,
    ),
)
INPUTS_BY_KEY = {i.key: i for i in HEALTH_INPUTS}
HEALTH_INPUT_CHOICES = [(i.key, i.label) for i in HEALTH_INPUTS]

# Grades: the lowest score of each, its letter and the badge colour (shields.io's palette).
GRADES = (
    (90, "A", "#4c1"),
    (75, "B", "#97ca00"),
    (60, "C", "#dfb317"),
    (40, "D", "#fe7d37"),
    (0, "E", "#e05d44"),
)
NO_SCORE_COLOUR = "#9f9f9f"


@dataclass(frozen=True)
class Curve:
    weight: float
    good: float
    bad: float


def default_curves() -> dict[str, Curve]:
    return {i.key: Curve(i.weight, i.good, i.bad) for i in HEALTH_INPUTS}


def curves_with_overrides(overrides: Mapping[str, Mapping[str, float | None]]) -> dict:
    """The defaults with each admin row's filled-in fields (weight, good, bad) in their place."""
    curves = default_curves()
    for key, fields in overrides.items():
        if key not in curves:
            continue
        base = curves[key]
        curves[key] = Curve(
            *(
                base_value if fields.get(name) is None else float(fields[name])
                for name, base_value in (
                    ("weight", base.weight),
                    ("good", base.good),
                    ("bad", base.bad),
                )
            )
        )
    return curves


def sub_score(value: float, curve: Curve) -> float:
    """0-100: 100 at `good` and beyond it, 0 at `bad` and beyond it, a straight line between.
    Works both ways (good above bad: more is better; good below bad: less is better)."""
    if curve.good == curve.bad:  # the admin refuses this; a curve needs two ends
        return 100.0 if value == curve.good else 0.0
    share = (value - curve.bad) / (curve.good - curve.bad)
    return 100.0 * min(1.0, max(0.0, share))


def grade_of(score: int | None) -> tuple[str, str]:
    """The grade letter and badge colour of a score ("–" and grey without one)."""
    if score is None:
        return "–", NO_SCORE_COLOUR
    for lowest, letter, colour in GRADES:
        if score >= lowest:
            return letter, colour
    return GRADES[-1][1], GRADES[-1][2]


def health_score(*, measures: Mapping[str, float | None], curves: Mapping[str, Curve]) -> dict:
    """`{"score", "grade", "colour", "reasons"}` from measured values (None: no data).

    score = round(Σ wᵢ·sᵢ / Σ wᵢ) over the inputs with a value and a weight above 0; each
    reason's `effect` is the points that input costs, −wᵢ·(100 − sᵢ)/Σ wᵢ, so the effects add
    up to score − 100 (before rounding). Without any input that measures activity there is no
    score (None). Reasons are sorted by effect, largest loss first;
    inputs without a value come last with no effect."""
    active = any(i.measures_activity and measures.get(i.key) is not None for i in HEALTH_INPUTS)
    counted = [
        (i, measures[i.key], curves[i.key])
        for i in HEALTH_INPUTS
        if active and measures.get(i.key) is not None and curves[i.key].weight > 0
    ]
    total_weight = sum(curve.weight for _, _, curve in counted)
    reasons = []
    weighted = 0.0
    for item, value, curve in counted:
        sub = sub_score(value, curve)
        weighted += curve.weight * sub
        effect = -curve.weight * (100.0 - sub) / total_weight
        reasons.append(
            {
                "key": item.key,
                "input": item.label,
                "value": round(value, 1),
                "unit": item.unit,
                "sub_score": round(sub, 1),
                "weight": curve.weight,
                "effect": round(effect, 1),
                "reason": item.describe(value, measures),
            }
        )
    reasons.sort(key=lambda r: (r["effect"], r["key"]))
    for item in HEALTH_INPUTS:
        curve = curves[item.key]
        if not active or measures.get(item.key) is None or curve.weight <= 0:
            if not active:
                why = "no activity in the period"
            elif curve.weight <= 0:
                why = "weight 0 in the admin"
            else:
                why = item.missing
            reasons.append(
                {
                    "key": item.key,
                    "input": item.label,
                    "value": None,
                    "unit": item.unit,
                    "sub_score": None,
                    "weight": curve.weight,
                    "effect": None,
                    "reason": f"not counted: {why}",
                }
            )
    # Halves round up (Python's round() would take 87.5 to 88 but 86.5 to 86).
    score = math.floor(weighted / total_weight + 0.5) if total_weight else None
    grade, colour = grade_of(score)
    return {"score": score, "grade": grade, "colour": colour, "reasons": reasons}


def reason_line(reason: Mapping) -> str:
    """A reason as one line, e.g. "merges depend on one person: −15" (whole points)."""
    if reason["effect"] is None:
        return reason["reason"]
    points = math.floor(abs(reason["effect"]) + 0.5)
    return f"{reason['reason']}: −{points}" if points else f"{reason['reason']}: ±0"
