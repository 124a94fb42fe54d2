"""The page in a real browser (Debian's chromium through chromedriver, driven by Selenium):
loaded from a real storm, an event clicked on the timeline, stepped forward and back, its
narration, registers and stack checked against the run, zoom and pan, a screenshot."""

import shutil

import pytest

from view_helpers import FP_WORDS, extended_entry, fp_page, page_data  # noqa: F401

webdriver = pytest.importorskip("selenium.webdriver", reason="selenium not installed "
                                "(pip install -e '.[dev]')")
from selenium.webdriver.chrome.service import Service  # noqa: E402
from selenium.webdriver.common.action_chains import ActionChains  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.common.keys import Keys  # noqa: E402
from selenium.webdriver.support.ui import WebDriverWait  # noqa: E402

CHROMIUM = next(filter(None, (shutil.which(n) for n in ("chromium", "chromium-browser"))), None)
DRIVER = shutil.which("chromedriver")
pytestmark = pytest.mark.skipif(not (CHROMIUM and DRIVER),
                                reason="chromium/chromedriver not installed (apt-get install "
                                       "chromium chromium-driver)")


@pytest.fixture(scope="module")
def browser():
    opts = webdriver.ChromeOptions()
    for a in ("--headless=new", "--no-sandbox", "--disable-gpu", "--window-size=1400,1000",
              "--disable-dev-shm-usage"):
        opts.add_argument(a)
    opts.binary_location = CHROMIUM
    # the driver Debian installed: Selenium Manager never downloads one
    d = webdriver.Chrome(service=Service(executable_path=DRIVER), options=opts)
    yield d
    d.quit()


def load(browser, path):
    browser.get(path.as_uri())
    WebDriverWait(browser, 60).until(
        lambda d: d.execute_script("return document.body.dataset.ready"))
    assert browser.execute_script("return document.body.dataset.ready") == "1", \
        browser.find_element(By.ID, "error").text
    return browser


def js(browser, expr):
    return browser.execute_script(f"return {expr}")


def click_event(browser, i):
    """Clicks the timeline at event i's tick, in its row (zoomed to 200 ticks around it)."""
    t = js(browser, f"TICK[{i}]")
    browser.execute_script(f"setView({t} - 100, {t} + 100)")
    x = js(browser, f"X({t})")
    g = js(browser, f"A.group[{i}]")
    row = js(browser, f"LAYOUT.rows.find(r => r.kind === 'line' && r.k === {g})")
    canvas = browser.find_element(By.ID, "timeline")
    w, h = js(browser, "[canvas.width, canvas.height]")
    css = canvas.size                       # canvas pixels to CSS pixels, from the centre
    dx = (x - w / 2) * css["width"] / w
    dy = (row["y"] + row["h"] / 2 - h / 2) * css["height"] / h
    ActionChains(browser).move_to_element_with_offset(canvas, int(dx), int(dy)).click().perform()


def cursor(browser):
    return int(browser.find_element(By.ID, "cursor").get_attribute("data-i"))


def view_range(browser):
    el = browser.find_element(By.ID, "range")
    return float(el.get_attribute("data-t0")), float(el.get_attribute("data-t1"))


def test_click_step_narration_registers_zoom_pan(browser, pages, tmp_path):
    d = page_data(pages["mps2-an385"])
    pre = next(s for s in d["steps"] if s["kind"] == "preempt")   # a nested preemption
    i = pre["i"]
    load(browser, pages["mps2-an385"])
    click_event(browser, i)
    assert cursor(browser) == i
    narration = browser.find_element(By.ID, "narration").text
    assert pre["title"] in narration and f"tick {pre['tick']:,}" in narration
    st = next(s for s in d["states"] if s["i"] == i)
    regs = {c.get_attribute("data-reg"): c.text for c in
            browser.find_elements(By.CSS_SELECTOR, "#regs-table td[data-reg]")}
    assert regs["pc"] == f"{st['regs']['pc']:#010x}" and regs["sp"] == f"{st['regs']['sp']:#010x}"
    assert f"so PC = {regs['pc']}" in narration                      # the run's own numbers
    stack = browser.find_element(By.ID, "stack-table").text.splitlines()
    assert stack[0].split() == [f"{st['sp']:#010x}", "r0", f"{st['stack'][0]:#010x}"]
    assert stack[6].split()[1] == "pc"
    browser.save_screenshot(str(tmp_path / "preemption.png"))
    assert (tmp_path / "preemption.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"

    browser.find_element(By.ID, "next").click()                      # step forward ...
    assert cursor(browser) == i + 1
    after = browser.find_element(By.ID, "narration").text
    assert after != narration
    browser.find_element(By.TAG_NAME, "body").send_keys(Keys.ARROW_LEFT)   # ... and back
    assert cursor(browser) == i
    assert browser.find_element(By.ID, "narration").text == narration
    ev = browser.find_element(By.CSS_SELECTOR, "#events div.cur").text
    assert "preempt" in ev and f"{pre['tick']:,}" in ev

    t0, t1 = view_range(browser)
    browser.find_element(By.ID, "zoom-out").click()
    z0, z1 = view_range(browser)
    assert z1 - z0 == pytest.approx(2 * (t1 - t0)) and z0 <= t0 and z1 >= t1
    canvas = browser.find_element(By.ID, "timeline")
    ActionChains(browser).move_to_element(canvas).click_and_hold().move_by_offset(-200, 0) \
        .release().perform()
    p0, p1 = view_range(browser)
    assert p0 > z0 and p1 - p0 == pytest.approx(z1 - z0)           # panned right, same span
    assert cursor(browser) == i                                      # a drag is no click
    browser.find_element(By.ID, "fit").click()
    assert view_range(browser) == (0, d["end"])


def test_riscv_page_claim_narrated(browser, pages):
    d = page_data(pages["virt"])
    claim = next(s for s in d["steps"] if s["kind"] == "claim")
    load(browser, pages["virt"])
    browser.find_element(By.ID, "first").click()
    while cursor(browser) < claim["i"]:
        browser.find_element(By.ID, "next-narrated").click()
    assert cursor(browser) == claim["i"]
    text = browser.find_element(By.ID, "narration").text
    assert claim["title"] in text and "claim register" in text
    regs = {c.get_attribute("data-reg") for c in
            browser.find_elements(By.CSS_SELECTOR, "#regs-table td[data-reg]")}
    assert {"mcause", "mepc", "mstatus", "a0"} <= regs


def test_outside_the_window_says_how_to_narrate_there(browser, pages):
    load(browser, pages["mps2-an385"])
    browser.find_element(By.ID, "last").click()
    assert "Outside the narrated window" in browser.find_element(By.ID, "narration").text
    assert "--at TICK" in browser.find_element(By.ID, "narration").text


def test_keys_zoom(browser, pages):
    load(browser, pages["virt"])
    t0, t1 = view_range(browser)
    browser.find_element(By.TAG_NAME, "body").send_keys("+")
    z0, z1 = view_range(browser)
    assert z1 - z0 == pytest.approx((t1 - t0) / 2)


def test_fp_page_frame_view_is_the_extended_frame(browser, fp_page):
    entry, st = extended_entry(page_data(fp_page))
    load(browser, fp_page)
    browser.execute_script(f"select({entry['i']}, true)")
    assert cursor(browser) == entry["i"]
    head = browser.find_element(By.ID, "stack-head").text
    assert head.startswith(f"The extended exception frame at SP {st['sp']:#010x}: 26 words")
    rows = [r.split() for r in browser.find_element(By.ID, "stack-table").text.splitlines()]
    assert len(rows) == 26 and [r[1] for r in rows[8:]] == FP_WORDS
    assert rows[25] == [f"{st['sp'] + 100:#010x}", "reserved", f"{st['stack'][25]:#010x}"]
