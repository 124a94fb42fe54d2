"""Outputs of the livelock sweep: CSV, a PNG chart and a self-contained HTML report.

The sweep offers interrupts at rising rates and measures, per rate, how many requests were
handled and how much thread-mode work still got done. Past some rate an interrupt-driven system
spends all its time taking interrupts: thread progress collapses while the handled rate stops
growing (or falls). That is receive livelock, as described by J. C. Mogul and
K. K. Ramakrishnan, "Eliminating Receive Livelock in an Interrupt-Driven Kernel", ACM
Transactions on Computer Systems 15(3):217-252, 1997.

A sweep point is a dict:
    rate_hz            offered request rate (requests per simulated second), float
    requests           requests offered
    handled, unhandled, coalesced, dropped, pending, masked   their outcomes (DESIGN.md)
    handled_rate_hz    handled requests per simulated second, float
    p99_latency_ticks  99th percentile request-to-handler latency in ticks, int or None
    thread_progress    thread-mode work done, as a share of the no-interrupt baseline, 0..1

`find_knee` defines the knee (see its docstring). All writers write atomically: a temporary
file beside the destination, renamed into place on success, removed on failure.

The chart is drawn with matplotlib's Agg canvas directly (no pyplot, no global backend switch),
so it works headless and does not disturb a caller's own matplotlib use.
"""

from __future__ import annotations

import base64
import csv
import html
import io
import math
from typing import Iterable, Sequence

from .export import atomic_output

FIELDS = ("rate_hz", "requests", "handled", "unhandled", "coalesced", "dropped", "pending",
          "masked", "handled_rate_hz", "p99_latency_ticks", "thread_progress")
_INT_FIELDS = {"requests", "handled", "unhandled", "coalesced", "dropped", "pending", "masked",
               "p99_latency_ticks"}
_FLOAT_FIELDS = {"rate_hz", "handled_rate_hz", "thread_progress"}

PROGRESS_FLOOR = 0.05   # thread progress below this share of the baseline counts as starved
MIN_GAIN = 0.1          # handled requests per extra offered request below which growth stopped


# ---- CSV ------------------------------------------------------------------------------------

def write_csv(points: Iterable[dict], path) -> None:
    """One row per point, columns FIELDS in that order, then any other keys in the order first
    seen. None is an empty cell."""
    points = list(points)
    extra = []
    for p in points:
        for k in p:
            if k not in FIELDS and k not in extra:
                extra.append(k)
    with atomic_output(path) as f:
        w = csv.DictWriter(f, fieldnames=[*FIELDS, *extra], lineterminator="\n")
        w.writeheader()
        for p in points:
            w.writerow({k: ("" if v is None else v) for k, v in p.items()})


def read_csv(path) -> list[dict]:
    """Points back from write_csv: FIELDS typed (int, float, None for an empty cell), other
    columns as strings."""
    out = []
    with open(path, newline="", encoding="utf-8") as f:
        for row in csv.DictReader(f):
            p = {}
            for k, v in row.items():
                if k in _INT_FIELDS:
                    p[k] = None if v == "" else int(v)
                elif k in _FLOAT_FIELDS:
                    p[k] = None if v == "" else float(v)
                else:
                    p[k] = v
            out.append(p)
    return out


# ---- the knee -------------------------------------------------------------------------------

def find_knee(points: Sequence[dict], *, progress_floor: float = PROGRESS_FLOOR,
              min_gain: float = MIN_GAIN) -> float | None:
    """The offered rate at which the sweep enters livelock, or None if it does not.

    With the points sorted by rate_hz, the knee is the lowest rate r such that
      - at r and at every higher rate of the sweep, thread_progress < progress_floor (5% of
        the no-interrupt baseline): the thread is starved and stays starved; and
      - from r on, handled rate has stopped growing: each step to the next higher rate adds
        less than min_gain (0.1) handled requests per extra offered request,
        (handled_rate_hz[i+1] - handled_rate_hz[i]) / (rate_hz[i+1] - rate_hz[i]) < min_gain,
        which includes handled rate falling, the livelock proper;
      - and at least one higher rate exists to show it (a knee at the last point is unproven).
    Points with thread_progress None are not counted as starved.
    """
    pts = sorted((p for p in points if p.get("rate_hz") is not None), key=lambda p: p["rate_hz"])
    n = len(pts)
    if n < 2:
        return None
    starved = [p.get("thread_progress") is not None and p["thread_progress"] < progress_floor
               for p in pts]
    flat = []
    for a, b in zip(pts, pts[1:]):
        dr = b["rate_hz"] - a["rate_hz"]
        dh = (b.get("handled_rate_hz") or 0.0) - (a.get("handled_rate_hz") or 0.0)
        flat.append(dr > 0 and dh / dr < min_gain)
    # walk down from the top: the knee is where both conditions have held ever since
    knee = None
    ok_above = True
    for i in range(n - 2, -1, -1):
        ok_above = ok_above and starved[i + 1] and flat[i]
        if ok_above and starved[i]:
            knee = pts[i]["rate_hz"]
        else:
            break
    return knee


# ---- PNG ------------------------------------------------------------------------------------

def _share(p, *keys):
    req = p.get("requests") or 0
    return 100.0 * sum(p.get(k) or 0 for k in keys) / req if req else 0.0


def _hz(rate):
    for scale, unit in ((1e9, "GHz"), (1e6, "MHz"), (1e3, "kHz")):
        if rate >= scale:
            return f"{rate / scale:.3g} {unit}"
    return f"{rate:.3g} Hz"


def render_png(points: Sequence[dict], title: str) -> bytes:
    """The chart as PNG bytes: offered rate (log x) against handled rate (left axis) and thread
    progress and coalesced+dropped share in % (right axis), the knee marked if found."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    pts = sorted((p for p in points if (p.get("rate_hz") or 0) > 0), key=lambda p: p["rate_hz"])
    fig = Figure(figsize=(8, 5.2), dpi=100)
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    ax.set_title(title)
    if not pts:
        ax.text(0.5, 0.5, "no sweep points", ha="center", va="center", transform=ax.transAxes)
        ax.set_axis_off()
    else:
        rates = [p["rate_hz"] for p in pts]
        handled = [p.get("handled_rate_hz") or 0.0 for p in pts]
        ax.set_xscale("log")
        ax.plot(rates, rates, ":", color="0.6", label="offered (all handled)")
        ax.plot(rates, handled, "o-", color="tab:blue", label="handled rate")
        ax.set_xlabel("offered request rate (Hz)")
        ax.set_ylabel("handled rate (Hz)")
        ax.set_ylim(0, max(max(handled), 1.0) * 1.15)
        ax.grid(True, which="both", alpha=0.3)
        ax2 = ax.twinx()
        progress = [100.0 * p["thread_progress"] if p.get("thread_progress") is not None
                    else math.nan for p in pts]
        lost = [_share(p, "coalesced", "dropped") for p in pts]
        ax2.plot(rates, progress, "s-", color="tab:green", label="thread progress (%)")
        ax2.plot(rates, lost, "^--", color="tab:red", label="coalesced + dropped (% of requests)")
        ax2.set_ylim(0, 105)
        ax2.set_ylabel("% (thread progress of baseline; share of requests)")
        knee = find_knee(pts)
        if knee is not None:
            ax.axvline(knee, color="black", linestyle="--", linewidth=1, label="knee (livelock)")
            ax.annotate(f"knee: {_hz(knee)}", xy=(knee, 0.97), xycoords=("data", "axes fraction"),
                        xytext=(4, 0), textcoords="offset points", va="top", fontsize=9)
        lines = [ln for ln in ax.get_lines() + ax2.get_lines()
                 if not ln.get_label().startswith("_")]
        fig.legend(lines, [ln.get_label() for ln in lines], loc="lower center", ncol=3,
                   fontsize=8, frameon=False)
    fig.tight_layout(rect=(0, 0.08, 1, 1))
    buf = io.BytesIO()
    fig.savefig(buf, format="png", metadata={"Software": None})
    return buf.getvalue()


def write_png(points: Sequence[dict], path, title: str) -> None:
    """Writes render_png's chart to path."""
    data = render_png(points, title)
    with atomic_output(path, "wb") as f:
        f.write(data)


# ---- HTML -----------------------------------------------------------------------------------

def html_head(title: str, css: str = "") -> str:
    """The start of a self-contained report page, up to and including <body>."""
    esc = html.escape
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>{esc(title)}</title>
<style>
body {{ font-family: sans-serif; margin: 2em; }}
table {{ border-collapse: collapse; font-size: 0.9em; }}
th, td {{ border: 1px solid #ccc; padding: 0.25em 0.6em; text-align: right; }}
th {{ background: #eee; }}
{css}
</style>
</head>
<body>
"""


_COLUMNS = (("rate_hz", "offered (Hz)"), ("requests", "requests"), ("handled", "handled"),
            ("unhandled", "unhandled"), ("coalesced", "coalesced"), ("dropped", "dropped"),
            ("pending", "pending"), ("masked", "masked"), ("handled_rate_hz", "handled (Hz)"),
            ("p99_latency_ticks", "p99 latency (ticks)"), ("thread_progress", "thread progress"))


def _cell(key, v):
    if v is None:
        return "–"
    if key == "thread_progress":
        return f"{100.0 * v:.1f}%"
    if isinstance(v, float):
        return f"{v:.6g}"
    return str(v)


def write_html(points: Sequence[dict], path, title: str, png_path=None) -> None:
    """A single self-contained page: the chart (png_path's bytes if given, else rendered now)
    embedded as a base64 data URI, the knee, and a table of the points; the knee's row is
    marked."""
    pts = sorted(points, key=lambda p: p.get("rate_hz") or 0.0)
    if png_path is not None:
        with open(png_path, "rb") as f:
            png = f.read()
    else:
        png = render_png(pts, title)
    knee = find_knee(pts)
    esc = html.escape
    rows = []
    for p in pts:
        cls = ' class="knee"' if knee is not None and p.get("rate_hz") == knee else ""
        rows.append(f"<tr{cls}>" + "".join(
            f"<td>{esc(_cell(k, p.get(k)))}</td>" for k, _ in _COLUMNS) + "</tr>")
    knee_text = (f"Knee: {knee:.6g} Hz offered (thread progress below {PROGRESS_FLOOR:.0%} of "
                 f"baseline and handled rate no longer growing from here on)." if knee is not None
                 else "No knee in this sweep: thread progress never stays below "
                      f"{PROGRESS_FLOOR:.0%} while the handled rate stops growing.")
    css = "tr.knee td { background: #fde0dc; font-weight: bold; }"
    page = html_head(title, css) + f"""<h1>{esc(title)}</h1>
<p><img alt="handled rate and thread progress against offered rate"
 src="data:image/png;base64,{base64.b64encode(png).decode("ascii")}"></p>
<p>{esc(knee_text)}</p>
<table>
<thead><tr>{"".join(f"<th>{esc(h)}</th>" for _, h in _COLUMNS)}</tr></thead>
<tbody>
{chr(10).join(rows)}
</tbody>
</table>
<p>Receive livelock: J. C. Mogul and K. K. Ramakrishnan, "Eliminating Receive Livelock in an
Interrupt-Driven Kernel", ACM TOCS 15(3), 1997.</p>
</body>
</html>
"""
    with atomic_output(path) as f:
        f.write(page)
