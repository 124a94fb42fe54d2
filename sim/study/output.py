"""A study's outputs: per-run rows streamed to CSV / JSON as they arrive, the per-point table
(CSV, JSON), the error-bar plots (one panel per metric, x the first key, one line per value of
the others) and the HTML page. Every file is written through sim.export.atomic_output: it
appears whole when the study ends, or not at all (Ctrl-C, an error)."""

from __future__ import annotations

import base64
import contextlib
import csv
import html
import io
import json
import math

from ..export import atomic_output
from ..plot import html_head

PANELS = (("handled_rate_hz", "handled rate (Hz)"), ("thread_progress", "thread progress"),
          ("p50_latency_ticks", "p50 latency (ticks)"),
          ("p99_latency_ticks", "p99 latency (ticks)"),
          ("max_latency_ticks", "max latency (ticks)"), ("coalesced_share", "coalesced share"),
          ("dropped_share", "dropped share"))


def _cell(v):
    return "" if v is None else v


@contextlib.contextmanager
def run_sinks(columns, csv_path=None, json_path=None):
    """Yields the sinks (callables taking a run's row) writing the per-run CSV and JSON
    ({"runs": [row, ...]}), streamed through atomic_output."""
    with contextlib.ExitStack() as stack:
        sinks = []
        if csv_path:
            f = stack.enter_context(atomic_output(csv_path))
            w = csv.DictWriter(f, fieldnames=columns, lineterminator="\n", extrasaction="ignore")
            w.writeheader()
            sinks.append(lambda row: w.writerow({k: _cell(row.get(k)) for k in columns}))
        if json_path:
            f = stack.enter_context(atomic_output(json_path))
            f.write('{"runs": [')
            first = [True]

            def put(row, f=f):
                f.write(("\n" if first[0] else ",\n") + json.dumps(
                    {k: row.get(k) for k in columns}))
                first[0] = False
            sinks.append(put)
        yield sinks
        if json_path:
            f.write("\n]}\n")


def point_columns(study) -> list[str]:
    cols = ["point", *study.keys, "rate_hz", "runs"]
    for m in study.metrics:
        cols += [m, f"{m}_lo", f"{m}_hi"]
    return cols


def write_points_csv(study, points, path) -> None:
    cols = point_columns(study)
    with atomic_output(path) as f:
        w = csv.DictWriter(f, fieldnames=cols, lineterminator="\n", extrasaction="ignore")
        w.writeheader()
        for p in points:
            w.writerow({k: _cell(p.get(k)) for k in cols})


def study_dict(study, points, knees) -> dict:
    return {"vary": study.vary, "seeds": study.seeds, "seed_list": study.seed_list,
            "level": study.level, "interval": "Student t on the per-run values of each point",
            "points": points, "knees": knees,
            "knee_rate_hz": knees[0]["knee_rate_hz"] if len(knees) == 1 else None}


def render_png(study, points, title: str) -> bytes:
    """One panel per metric of PANELS; x the first key (log when its values span a decade),
    one line per value of the other keys; error bars the intervals."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    from .study import groups

    cols = 2
    rows = math.ceil(len(PANELS) / cols)
    fig = Figure(figsize=(11, 3.2 * rows), dpi=90)
    FigureCanvasAgg(fig)
    fig.suptitle(title)
    xkey = study.keys[0] if study.keys else None
    for n, (metric, label) in enumerate(PANELS):
        ax = fig.add_subplot(rows, cols, n + 1)
        ax.set_title(label, fontsize=10)
        for glabel, pts in groups(study, points):
            xs = [p[xkey] if xkey else 0 for p in pts]
            if any(isinstance(x, str) for x in xs):
                xs = list(range(len(xs)))
            ys = [math.nan if p.get(metric) is None else p[metric] for p in pts]
            err = [[0 if p.get(f"{metric}_lo") is None else p[metric] - p[f"{metric}_lo"]
                    for p in pts],
                   [0 if p.get(f"{metric}_hi") is None else p[f"{metric}_hi"] - p[metric]
                    for p in pts]]
            ax.errorbar(xs, ys, yerr=err, marker="o", markersize=3, capsize=3,
                        label=glabel or None)
        xnum = [p[xkey] for p in points if xkey and not isinstance(p[xkey], str)]
        if xnum and min(xnum) > 0 and max(xnum) / min(xnum) >= 10:
            ax.set_xscale("log")
        ax.set_xlabel(xkey or "", fontsize=8)
        ax.grid(True, alpha=0.3)
        if n == 0 and len(study.keys) > 1:
            ax.legend(fontsize=7)
    fig.tight_layout()
    buf = io.BytesIO()
    fig.savefig(buf, format="png", metadata={"Software": None})
    return buf.getvalue()


def write_png(study, points, path, title) -> None:
    data = render_png(study, points, title)
    with atomic_output(path, "wb") as f:
        f.write(data)


def _fmt(v):
    if v is None:
        return "–"
    return f"{v:.4g}" if isinstance(v, float) else str(v)


def write_html(study, points, knees, path, title, png_path=None) -> None:
    """A self-contained page: the plots (embedded), the knees, and per point each headline
    metric as mean [lo, hi]."""
    if png_path is not None:
        with open(png_path, "rb") as f:
            png = f.read()
    else:
        png = render_png(study, points, title)
    esc = html.escape
    heads = [*study.keys, "runs", *(label for _, label in PANELS)]
    rows = []
    for p in points:
        cells = [_fmt(p.get(k)) for k in study.keys] + [str(p["runs"])]
        for m, _ in PANELS:
            lo, hi = p.get(f"{m}_lo"), p.get(f"{m}_hi")
            cells.append(_fmt(p.get(m)) + ("" if lo is None else f" [{_fmt(lo)}, {_fmt(hi)}]"))
        rows.append("<tr>" + "".join(f"<td>{esc(c)}</td>" for c in cells) + "</tr>")
    knee_items = "".join(
        f"<li>{esc(k['group'] or 'knee')}: {_fmt(k['knee_rate_hz'])} Hz "
        f"(band {_fmt(k['knee_lo_rate_hz'])} .. {_fmt(k['knee_hi_rate_hz'])})</li>" for k in knees)
    page = html_head(title) + f"""<h1>{esc(title)}</h1>
<p>{study.seeds} seeds per point; mean and {study.level:.0%} Student t interval [lo, hi].</p>
<p><img alt="metrics against {esc(study.keys[0] if study.keys else 'the point')}"
 src="data:image/png;base64,{base64.b64encode(png).decode("ascii")}"></p>
{f"<ul>{knee_items}</ul>" if knees else ""}
<table>
<thead><tr>{"".join(f"<th>{esc(h)}</th>" for h in heads)}</tr></thead>
<tbody>
{chr(10).join(rows)}
</tbody>
</table>
</body>
</html>
"""
    with atomic_output(path) as f:
        f.write(page)
