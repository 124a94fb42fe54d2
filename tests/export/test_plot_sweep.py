"""sim.plot: the livelock sweep's CSV, PNG and HTML, and the knee."""

import base64
import csv

import pytest

from sim import plot

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
CAPACITY_HZ = 50_000.0           # synthetic system: at most this many handled per second


def point(rate, handled_rate, progress, p99=120):
    requests = int(rate)                         # one simulated second per point
    handled = int(handled_rate)
    lost = requests - handled
    return {"rate_hz": float(rate), "requests": requests, "handled": handled, "unhandled": 0,
            "coalesced": lost // 2, "dropped": lost - lost // 2, "pending": 0, "masked": 0,
            "handled_rate_hz": float(handled_rate), "p99_latency_ticks": p99,
            "thread_progress": progress}


@pytest.fixture
def livelock():
    """Handled rate follows offered load up to capacity, then falls (receive livelock); the
    thread gets nothing from 80 kHz on."""
    out = []
    for rate in (1e3, 3e3, 1e4, 3e4, 8e4, 2e5, 5e5, 1e6):
        if rate <= CAPACITY_HZ:
            out.append(point(rate, rate, 1 - rate / (1.2 * CAPACITY_HZ)))
        else:
            out.append(point(rate, CAPACITY_HZ * (1e5 / (1e5 + rate)) * 1.6, 0.0, p99=None))
    return out


@pytest.fixture
def healthy():
    """Everything handled, the thread slowed but never starved."""
    return [point(r, r, 1 - r / 2e6) for r in (1e3, 1e4, 1e5, 1e6)]


# ---- knee -------------------------------------------------------------------------------------

def test_knee_is_where_progress_is_starved_and_handling_stops_growing(livelock):
    assert plot.find_knee(livelock) == 8e4
    assert plot.find_knee(list(reversed(livelock))) == 8e4        # order does not matter


def test_no_knee_when_the_thread_keeps_running(healthy):
    assert plot.find_knee(healthy) is None


def test_no_knee_while_handled_rate_still_grows():
    # starved thread, but every extra request is still handled: not (yet) livelock
    pts = [point(r, r, 0.01) for r in (1e3, 1e4, 1e5)]
    assert plot.find_knee(pts) is None


def test_no_knee_when_only_the_last_point_is_starved(healthy):
    pts = healthy + [point(1e7, 1e6, 0.0)]
    assert plot.find_knee(pts) is None
    assert plot.find_knee([]) is None and plot.find_knee(healthy[:1]) is None


def test_knee_needs_progress_to_stay_starved(livelock):
    recovered = [dict(p) for p in livelock]
    recovered[-1]["thread_progress"] = 0.5
    assert plot.find_knee(recovered) is None


# ---- CSV ------------------------------------------------------------------------------------

def test_csv_parses_back(livelock, tmp_path):
    out = tmp_path / "sweep.csv"
    plot.write_csv(livelock, out)
    with open(out, newline="") as f:
        rows = list(csv.DictReader(f))
    assert list(rows[0]) == list(plot.FIELDS)
    assert len(rows) == len(livelock)
    assert float(rows[0]["rate_hz"]) == 1e3 and rows[-1]["p99_latency_ticks"] == ""
    assert plot.read_csv(out) == livelock


def test_csv_keeps_extra_columns(tmp_path):
    pts = [dict(point(1e3, 1e3, 1.0), seed=7)]
    plot.write_csv(pts, tmp_path / "s.csv")
    assert plot.read_csv(tmp_path / "s.csv")[0]["seed"] == "7"


# ---- PNG and HTML ---------------------------------------------------------------------------

def test_png_is_a_real_image(livelock, tmp_path):
    out = tmp_path / "sweep.png"
    plot.write_png(livelock, out, "demo livelock sweep")
    data = out.read_bytes()
    assert data.startswith(PNG_SIGNATURE) and len(data) > 10_000


def test_png_of_no_points_still_renders(tmp_path):
    plot.write_png([], tmp_path / "empty.png", "nothing")
    assert (tmp_path / "empty.png").read_bytes().startswith(PNG_SIGNATURE)


def test_html_embeds_the_image_and_lists_every_point(livelock, tmp_path):
    out = tmp_path / "sweep.html"
    plot.write_html(livelock, out, "sweep <demo>")
    page = out.read_text()
    assert "<title>sweep &lt;demo&gt;</title>" in page
    head, _, rest = page.partition('src="data:image/png;base64,')
    assert head and base64.b64decode(rest.partition('"')[0]).startswith(PNG_SIGNATURE)
    assert page.count("<tr") == len(livelock) + 1
    assert '<tr class="knee"><td>80000</td>' in page
    assert "Mogul" in page and "src=\"http" not in page


def test_html_reuses_a_given_png(healthy, tmp_path):
    png = tmp_path / "c.png"
    plot.write_png(healthy, png, "t")
    plot.write_html(healthy, tmp_path / "c.html", "t", png_path=png)
    page = (tmp_path / "c.html").read_text()
    assert base64.b64encode(png.read_bytes()).decode() in page
    assert "No knee" in page and 'class="knee"' not in page.split("</style>")[1]
