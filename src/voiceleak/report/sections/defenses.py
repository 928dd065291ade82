"""`voiceleak defend` in report.html and on the terminal: the privacy-utility table, the attackers' EER
and the trade-off chart (the figures: `analysis.defenses`)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from rich.console import Console
from rich.table import Table

from voiceleak.report.console import short
from voiceleak.report.html import esc, figure_tag, section, table_html
from voiceleak.transforms.base import IDENTITY

# -- flat rows shared by the console and the HTML table -------------------------------------------


def _columns(data: dict[str, Any]) -> list[str]:
    columns = ["defense"]
    for task in data["tasks"]:
        label = task.removeprefix("attribute:")
        columns.append(f"{label} · {data['model']}")
        if data["probe"] != data["model"]:
            columns.append(f"{label} · probe")
    columns += ["EER ignorant", "EER lazy-inf.", "minDCF lazy-inf.", "EER semi-inf. (eval. speakers)", "WER"]
    if data.get("utility_task"):
        columns.append(f"utility: {data['utility_task'].removeprefix('attribute:')}")
    return columns


def _cells(data: dict[str, Any], row: dict[str, Any]) -> list[object]:
    out: list[object] = [row["name"]]
    for task in data["tasks"]:
        for model in dict.fromkeys([data["model"], data["probe"]]):
            metric = row["attributes"].get(task, {}).get(model)
            out.append(short(metric["balanced_accuracy"]) if metric else "—")
    verification = row["verification"]
    lazy = verification.get("lazy_informed", {})
    out += [short(verification.get("ignorant", {}).get("eer")), short(lazy.get("eer")),
            _number(lazy.get("min_dcf")), short(verification.get("semi_informed", {}).get("eer")),
            short(row["wer"].get("wer"))]
    if data.get("utility_task"):
        out.append(short((row.get("utility_task") or {}).get("balanced_accuracy")))
    return out


def _number(value: dict[str, Any] | None) -> str:
    if not value or value.get("value") is None:
        return "—"
    text = f"{value['value']:.2f}"
    return text + (f" [{value['low']:.2f}–{value['high']:.2f}]" if value.get("low") is not None else "")


def _footnote(data: dict[str, Any]) -> str:
    settings = data.get("settings", {})
    first = data["rows"][0] if data["rows"] else {}
    wer_n = first.get("wer", {}).get("n_clips", 0)
    trials = first.get("verification", {}).get("lazy_informed", {})
    return (f"Attribute cells: balanced accuracy % [95% CI], refusals counted as wrong (n = "
            f"{_first_n(data)} clips per attribute and defense). EER % over {trials.get('n_trials', 0)} "
            f"trials ({trials.get('n_speakers', 0)} speakers, half target); higher EER = more privacy, 50 = "
            f"chance. WER % of {(data.get('asr') or {}).get('name', 'no recogniser')} on {wer_n} clips "
            f"with reference text; lower = more utility. Prompt and reply defenses leave the audio "
            f"unchanged, so their EER and WER equal the clean row. The probe is trained out of fold on "
            f"the defended clips themselves: an informed attribute attacker. Seed {settings.get('seed', 0)}.")


def _first_n(data: dict[str, Any]) -> str:
    sizes = {m["n"] for row in data["rows"] for task in row["attributes"].values() for m in task.values()}
    return "–".join(str(n) for n in sorted(sizes)[:1] + sorted(sizes)[-1:]) if len(sizes) > 1 else \
        str(next(iter(sizes), 0))


def print_defenses(results: dict[str, Any], console: Console | None = None) -> None:
    data = results.get("analyses", {}).get("defenses")
    if not data:
        return
    console = console or Console()
    table = Table(title="privacy vs utility per defense", header_style="bold", title_justify="left")
    for i, column in enumerate(_columns(data)):
        table.add_column(column, justify="left" if i == 0 else "right", no_wrap=i == 0)
    for row in data["rows"]:
        table.add_row(*(str(c) for c in _cells(data, row)))
    console.print(table)
    console.print(_footnote(data))
    if _attacker_rows(data):
        attackers = Table(title="the three attackers on the same evaluation trials", header_style="bold",
                          title_justify="left")
        for i, column in enumerate(ATTACKER_COLUMNS):
            attackers.add_column(column, justify="left" if i == 0 else "right", no_wrap=i == 0)
        for cells in _attacker_rows(data):
            attackers.add_row(*(str(c) for c in cells))
        console.print(attackers)
    console.print(_attacker_note(data))


@section("defenses")
def defenses_html(results: dict[str, Any]) -> str:
    data = (results.get("analyses") or {}).get("defenses")
    if not data:
        return ""
    rows = [_cells(data, row) for row in data["rows"]]
    attackers = _attacker_rows(data)
    return (f"<h2>Defenses: privacy against utility</h2><p class='note'>{esc(_footnote(data))}</p>"
            + table_html(_columns(data), rows)
            + "<h3>Speaker verification: ignorant, lazy-informed and semi-informed attackers</h3>"
            + f"<p class='note'>{esc(_attacker_note(data))}</p>"
            + (table_html(ATTACKER_COLUMNS, attackers) if attackers else "")
            + tradeoff_chart(data))


# -- the three attackers side by side ---------------------------------------------------------------

ATTACKERS = (("ignorant", "ignorant"), ("lazy_informed", "lazy-informed"), ("semi_informed", "semi-informed"))
ATTACKER_COLUMNS = ["defense", *(f"EER {label}" for _, label in ATTACKERS),
                    *(f"minDCF {label}" for _, label in ATTACKERS), "trials (speakers)"]


def _attacker_rows(data: dict[str, Any]) -> list[list[object]]:
    """Per condition, each attacker's EER % and minDCF on the evaluation speakers' trials."""
    out: list[list[object]] = []
    for row in data["rows"]:
        split = row["verification"].get("evaluation_split")
        if not split:
            continue
        first = split.get("semi_informed", {})
        out.append([row["name"], *(short(split.get(k, {}).get("eer")) for k, _ in ATTACKERS),
                    *(_number(split.get(k, {}).get("min_dcf")) for k, _ in ATTACKERS),
                    f"{first.get('n_trials', 0)} ({first.get('n_speakers', 0)})"])
    return out


def _attacker_note(data: dict[str, Any]) -> str:
    semi = (data.get("settings") or {}).get("semi_informed") or {}
    if semi.get("status") != "ok":
        return ("Semi-informed attacker: not run"
                + (f" ({semi['reason']})." if semi.get("reason") else "."))
    backend = {"logistic": "a logistic model on voiceprint pairs", "lda": "LDA, then cosine",
               "centred": "centring on its anonymized speakers' mean, then cosine",
               "wccn": "centring and within-speaker covariance normalisation, then cosine"}.get(
        semi.get("backend", ""), semi.get("backend", ""))
    return (f"Attackers (VoicePrivacy Challenge): ignorant enrols on clean speech; lazy-informed enrols on "
            f"speech passed through the same defense; semi-informed also trains a back-end ({backend}) on "
            f"{semi.get('n_train_clips', 0)} anonymized clips of its own {len(semi.get('train', []))} speakers "
            f"({', '.join(semi.get('train', []))}), disjoint from the {len(semi.get('evaluation', []))} "
            f"evaluation speakers ({', '.join(semi.get('evaluation', []))}; seeded split, fraction "
            f"{semi.get('train_fraction')}). In this table all three score the same {semi.get('n_trials', 0)} "
            f"trials of the evaluation speakers (half target); EER % [95% CI over enrolment speakers], higher = "
            f"more privacy, 50 = chance. The main table's ignorant and lazy-informed columns are over every "
            f"speaker, its semi-informed column over the evaluation speakers only. On the clean row the "
            f"semi-informed attacker is a trained back-end on clean speech.")


# -- the trade-off curves --------------------------------------------------------------------------

def _point(metric: dict[str, Any] | None) -> tuple[float, float, float] | None:
    if not metric or metric.get("value") is None:
        return None
    value = metric["value"] * 100
    low = metric["low"] * 100 if metric.get("low") is not None else value
    high = metric["high"] * 100 if metric.get("high") is not None else value
    return value, value - low, high - value


def _utility_axis(data: dict[str, Any]) -> tuple[str, Any] | None:
    if any(row["wer"].get("wer", {}).get("value") is not None for row in data["rows"]):
        return "WER % (utility cost; lower is better)", lambda row: row["wer"].get("wer")
    if data.get("utility_task"):
        return (f"{data['utility_task']} balanced accuracy % (utility)",
                lambda row: (row.get("utility_task") or {}).get("balanced_accuracy"))
    return None


def tradeoff_chart(data: dict[str, Any]) -> str:
    axis = _utility_axis(data)
    if axis is None:
        return "<p class='note'>No utility measure (no recogniser, no texts, no utility task): no curve.</p>"
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    x_label, x_of = axis
    model = data["model"]
    panels: list[tuple[str, Any, float | None]] = [
        ("speaker verification EER %: lazy-informed ●, ignorant ○,\nsemi-informed ■ (evaluation speakers); "
         "higher = more private",
         lambda row: row["verification"].get("lazy_informed", {}).get("eer"), 50.0),
    ]
    for task in data["tasks"]:
        chance = next((m.get("chance") for r in data["rows"]
                       if (m := r["attributes"].get(task, {}).get(model))), None)
        panels.append((f"{task.removeprefix('attribute:')}: {model} balanced acc. %; lower = more private",
                       _attribute_getter(task, model), None if chance is None else chance * 100))
    fig, axes = plt.subplots(1, len(panels), figsize=(4.6 * len(panels), 4.0), squeeze=False)
    clean = [r for r in data["rows"] if r["name"] == IDENTITY]
    families = list(dict.fromkeys(r["family"] for r in data["rows"] if r["name"] != IDENTITY))
    colours = plt.get_cmap("tab10")
    for index, (ax, (title, y_of, reference)) in enumerate(zip(axes[0], panels, strict=True)):
        for number, family in enumerate(families):
            # Ordered from the mildest setting out, so each curve walks away from the clean point.
            members = sorted((r for r in data["rows"] if r["family"] == family),
                             key=lambda r: r.get("severity") or 0)
            _curve(ax, [*clean, *members], x_of, y_of, colours(number % 10), family)
            if index == 0:
                _curve(ax, [*clean, *members], x_of, _ignorant_eer, colours(number % 10), None, hollow=True)
                _curve(ax, [*clean, *members], x_of, _semi_informed_eer, colours(number % 10), None,
                       hollow=True, marker="s")
        _curve(ax, clean, x_of, y_of, "black", "no defense")
        if reference is not None:
            ax.axhline(reference, color="#c0392b", lw=0.8, ls=":", label="chance")
        ax.set_title(title, fontsize=8)
        ax.set_xlabel(x_label, fontsize=8)
        ax.grid(alpha=0.3)
    axes[0][0].legend(fontsize=7)
    fig.tight_layout()
    return figure_tag(fig)


def _ignorant_eer(row: dict[str, Any]) -> Any:
    return row["verification"].get("ignorant", {}).get("eer")


def _semi_informed_eer(row: dict[str, Any]) -> Any:
    return row["verification"].get("semi_informed", {}).get("eer")


def _attribute_getter(task: str, model: str) -> Any:
    return lambda row: (row["attributes"].get(task, {}).get(model) or {}).get("balanced_accuracy")


def _curve(ax: Any, rows: Sequence[dict[str, Any]], x_of: Any, y_of: Any, colour: Any, label: str | None,
           hollow: bool = False, marker: str = "o") -> None:
    pairs = []
    for row in rows:
        x, y = _point(x_of(row)), _point(y_of(row))
        if x is not None and y is not None:
            pairs.append((x, y, row["name"]))
    if not pairs:
        return
    xs = [p[0][0] for p in pairs]
    ys = [p[1][0] for p in pairs]
    ax.errorbar(xs, ys, xerr=[[p[0][1] for p in pairs], [p[0][2] for p in pairs]],
                yerr=[[p[1][1] for p in pairs], [p[1][2] for p in pairs]], color=colour, capsize=2,
                fmt=f"{marker}--" if hollow else f"{marker}-", mfc="none" if hollow else colour,
                alpha=0.5 if hollow else 0.9, label=label, lw=1)
    if not hollow:
        for x_value, y_value, (_, _, name) in zip(xs, ys, pairs, strict=True):
            short_name = name.removeprefix(label or "").lstrip(": ") or name  # the legend names the family
            ax.annotate(short_name, (x_value, y_value), fontsize=6, xytext=(3, 3), textcoords="offset points")
