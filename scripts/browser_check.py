#!/usr/bin/env python3
"""Opens a report.html in headless Chromium through the DevTools protocol and checks it as a reader would see it.

Checks: no console errors or uncaught exceptions; no request other than file: URLs inside the report's folder (and
data: URLs, which are the inlined fonts); every formula typeset by KaTeX (the count of rendered formulas equals
body[data-formulas], none left as source); no horizontal scroll at 1280 px; in print layout every note and the
appendix start a new page and the collapsed appendix is visible. Saves PNG screenshots of the summary (the first
page) and of one errata entry, and compares them with golden images when given (fraction of pixels that differ
by more than 48 of 255 in any channel, within a tolerance; the images must have the same size).

Usage: browser_check.py REPORT.html [--shots DIR] [--golden DIR] [--update-golden] [--entry CSS_SELECTOR]
Exit status 0 ok, 1 a check failed, 77 no Chromium. Standard library only: the protocol runs over
--remote-debugging-pipe (file descriptors 3 and 4), so no WebSocket client is needed.
"""
import argparse
import base64
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

WIDTH = 1280


class Browser:
    def __init__(self, exe, profile):
        to_chrome_r, self.to_chrome_w = os.pipe()
        self.from_chrome_r, from_chrome_w = os.pipe()

        def child_fds():
            # Chromium reads commands on fd 3 and writes answers on fd 4. Go through high numbers first, in case a
            # pipe end already sits on 3 or 4; dup2 makes the copies inheritable.
            a, b = os.dup2(to_chrome_r, 100), os.dup2(from_chrome_w, 101)
            os.dup2(a, 3)
            os.dup2(b, 4)

        flags = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run", "--no-default-browser-check",
                 "--disable-extensions", "--disable-quic", "--hide-scrollbars", "--mute-audio",
                 f"--user-data-dir={profile}", "--remote-debugging-pipe", "about:blank"]
        self.proc = subprocess.Popen([exe] + flags, preexec_fn=child_fds, pass_fds=(3, 4),
                                     stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                     stderr=open(os.path.join(profile, "chromium.log"), "wb"))
        os.close(to_chrome_r)
        os.close(from_chrome_w)
        self.buf = b""
        self.next_id = 0
        self.events = []
        self.session = None

    def _read_message(self, deadline):
        while b"\0" not in self.buf:
            if time.time() > deadline:
                raise TimeoutError("no answer from Chromium")
            chunk = os.read(self.from_chrome_r, 1 << 20)
            if not chunk:
                raise RuntimeError("Chromium closed the DevTools pipe")
            self.buf += chunk
        msg, self.buf = self.buf.split(b"\0", 1)
        return json.loads(msg)

    def call(self, method, params=None, session=True, timeout=30):
        self.next_id += 1
        msg = {"id": self.next_id, "method": method, "params": params or {}}
        if session and self.session:
            msg["sessionId"] = self.session
        os.write(self.to_chrome_w, json.dumps(msg).encode() + b"\0")
        deadline = time.time() + timeout
        while True:
            m = self._read_message(deadline)
            if m.get("id") == self.next_id:
                if "error" in m:
                    raise RuntimeError(f"{method}: {m['error']}")
                return m.get("result", {})
            if "method" in m:
                self.events.append(m)

    def wait_event(self, name, timeout=30):
        deadline = time.time() + timeout
        for i, e in enumerate(self.events):
            if e["method"] == name:
                return self.events.pop(i)
        while True:
            m = self._read_message(deadline)
            if "method" in m:
                if m["method"] == name:
                    return m
                self.events.append(m)

    def evaluate(self, expr):
        r = self.call("Runtime.evaluate", {"expression": expr, "returnByValue": True, "awaitPromise": True})
        if "exceptionDetails" in r:
            raise RuntimeError(f"evaluate failed: {r['exceptionDetails']}")
        return r["result"].get("value")

    def close(self):
        try:
            self.call("Browser.close", session=False, timeout=5)
        except Exception:
            pass
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()


def screenshot(b, selector, path):
    box = b.evaluate(f"""(() => {{ const e = document.querySelector({json.dumps(selector)});
        if (!e) return null; const r = e.getBoundingClientRect();
        return {{x: 0, y: r.top + window.scrollY - 8, width: {WIDTH}, height: Math.ceil(r.height) + 16}}; }})()""")
    if not box:
        return f"no element {selector} to photograph"
    box["height"] = min(box["height"], 4000)
    r = b.call("Page.captureScreenshot", {"format": "png", "captureBeyondViewport": True,
                                          "clip": dict(box, scale=1)})
    with open(path, "wb") as f:
        f.write(base64.b64decode(r["data"]))
    return None


def compare(b, new_png, golden_png):
    """Pixel difference of two PNGs, computed by the browser itself (canvas), so no image library is needed."""
    def data_url(p):
        with open(p, "rb") as f:
            return "data:image/png;base64," + base64.b64encode(f.read()).decode()
    return b.evaluate(f"""(async () => {{
        const load = (src) => new Promise((ok, bad) => {{ const i = new Image(); i.onload = () => ok(i); i.onerror = bad; i.src = src; }});
        const [a, g] = await Promise.all([load({json.dumps(data_url(new_png))}), load({json.dumps(data_url(golden_png))})]);
        if (a.width !== g.width || Math.abs(a.height - g.height) > 0) return {{size: [a.width, a.height, g.width, g.height]}};
        const px = (img) => {{ const c = document.createElement('canvas'); c.width = img.width; c.height = img.height;
            const x = c.getContext('2d'); x.drawImage(img, 0, 0); return x.getImageData(0, 0, img.width, img.height).data; }};
        const p = px(a), q = px(g); let diff = 0;
        for (let i = 0; i < p.length; i += 4)
            if (Math.abs(p[i] - q[i]) > 48 || Math.abs(p[i+1] - q[i+1]) > 48 || Math.abs(p[i+2] - q[i+2]) > 48) diff++;
        return {{fraction: diff / (p.length / 4)}};
    }})()""")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("html")
    ap.add_argument("--shots", help="folder for summary.png and errata.png")
    ap.add_argument("--golden", help="folder with golden summary.png and errata.png")
    ap.add_argument("--update-golden", action="store_true")
    ap.add_argument("--tolerance", type=float, default=0.02, help="largest fraction of differing pixels")
    ap.add_argument("--entry", default="section.entry.st-wrong", help="errata entry to photograph")
    args = ap.parse_args()
    exe = shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")
    if not exe:
        print("SKIP: chromium not installed (scripts/install-deps.sh installs it)")
        return 77
    html = os.path.realpath(args.html)
    folder = os.path.dirname(html)
    t0 = time.time()
    profile = tempfile.mkdtemp(prefix="verify-chromium-")
    failures = []
    b = Browser(exe, profile)
    try:
        target = b.call("Target.createTarget", {"url": "about:blank"}, session=False)["targetId"]
        b.session = b.call("Target.attachToTarget", {"targetId": target, "flatten": True}, session=False)["sessionId"]
        for domain in ("Page", "Runtime", "Log", "Network"):
            b.call(domain + ".enable")
        b.call("Emulation.setDeviceMetricsOverride", {"width": WIDTH, "height": 900, "deviceScaleFactor": 1, "mobile": False})
        b.call("Page.navigate", {"url": "file://" + html})
        b.wait_event("Page.loadEventFired", timeout=60)
        deadline = time.time() + 20
        while b.evaluate("document.body && document.body.hasAttribute('data-formulas-rendered')") is not True:
            if time.time() > deadline:
                failures.append("the page's script never finished (no data-formulas-rendered)")
                break
            time.sleep(0.1)
        m = b.evaluate("""(() => ({
            expected: +document.body.dataset.formulas,
            rendered: +(document.body.dataset.formulasRendered || 0),
            katex: document.querySelectorAll('.tex > .katex, .tex > .katex-display').length,
            failed: document.querySelectorAll('.tex-failed').length,
            source: document.querySelectorAll('body.math-missing').length,
            scrollWidth: document.documentElement.scrollWidth,
            width: window.innerWidth,
            entries: document.querySelectorAll('section.entry').length,
            notes: document.querySelectorAll('section.note').length,
            images: Array.from(document.images).filter(i => i.complete && i.naturalWidth > 0).length,
            imagesAll: document.images.length
        }))()""")
        # What the page did while loading.
        b.call("Runtime.evaluate", {"expression": "0"})  # drain pending events
        errors, requests = [], []
        for e in b.events:
            meth, p = e["method"], e.get("params", {})
            if meth == "Runtime.consoleAPICalled" and p.get("type") in ("error", "assert"):
                errors.append("console." + p["type"] + ": " + " ".join(str(a.get("value", a.get("description", ""))) for a in p.get("args", [])))
            elif meth == "Runtime.exceptionThrown":
                errors.append("exception: " + p["exceptionDetails"].get("text", "") + " " +
                              str(p["exceptionDetails"].get("exception", {}).get("description", "")))
            elif meth == "Log.entryAdded" and p["entry"].get("level") == "error":
                errors.append("log: " + p["entry"].get("text", "") + " " + p["entry"].get("url", ""))
            elif meth == "Network.requestWillBeSent":
                requests.append(p["request"]["url"])
        outside = [u for u in requests if not (u.startswith("data:") or
                                               (u.startswith("file://") and os.path.realpath(u[7:].split("#")[0]).startswith(folder + os.sep))
                                               or u == "file://" + html)]
        files = [u for u in requests if u.startswith("file://")]
        print(f"formulas: {m['katex']} typeset by KaTeX of {m['expected']} in the report "
              f"(script counted {m['rendered']}; {m['failed']} left as source)")
        print(f"console errors: {len(errors)}; requests: {len(requests)} ({len(files)} local files: the page and its "
              f"plots; {len(requests) - len(files)} data: URLs), {len(outside)} outside the report folder")
        print(f"layout at {m['width']} px: document width {m['scrollWidth']} px; {m['notes']} notes, {m['entries']} "
              f"errata entries, {m['images']} of {m['imagesAll']} images loaded")
        if errors:
            failures.append("console errors: " + "; ".join(errors[:5]))
        if outside:
            failures.append("requests outside the report folder: " + ", ".join(outside[:5]))
        if m["source"]:
            failures.append("KaTeX was missing when the report was written (formulas shown as source)")
        if m["katex"] != m["expected"] or m["failed"]:
            failures.append(f"{m['katex']} formulas typeset, expected {m['expected']} ({m['failed']} failed)")
        if m["scrollWidth"] > m["width"]:
            failures.append(f"horizontal scroll: document is {m['scrollWidth']} px wide at {m['width']} px")
        if m["images"] != m["imagesAll"]:
            failures.append(f"only {m['images']} of {m['imagesAll']} images loaded")
        if m["entries"] == 0:
            failures.append("no errata entries")
        # Screenshots (screen layout).
        if args.shots:
            os.makedirs(args.shots, exist_ok=True)
            for name, sel in (("summary", "section.summary"), ("errata", args.entry)):
                err = screenshot(b, sel, os.path.join(args.shots, name + ".png"))
                if err:
                    failures.append(err)
        # Print layout: page breaks before each note and the appendix; the collapsed appendix is printed.
        b.call("Emulation.setEmulatedMedia", {"media": "print"})
        pr = b.evaluate("""(() => {
            const brk = Array.from(document.querySelectorAll('section.note, section.appendix'))
                .filter(s => getComputedStyle(s).breakBefore !== 'page').length;
            const closed = Array.from(document.querySelectorAll('details:not([open])'));
            const hidden = closed.filter(d => { const t = d.querySelector('table, p'); return !t || t.getBoundingClientRect().height === 0; }).length;
            return {sections: document.querySelectorAll('section.note, section.appendix').length, noBreak: brk,
                    closed: closed.length, hidden: hidden};
        })()""")
        b.call("Emulation.setEmulatedMedia", {"media": ""})
        print(f"print layout: {pr['sections'] - pr['noBreak']} of {pr['sections']} notes/appendix start a new page; "
              f"{pr['closed'] - pr['hidden']} of {pr['closed']} collapsed cases printed open")
        if pr["noBreak"]:
            failures.append(f"{pr['noBreak']} sections without a page break in print")
        if pr["hidden"]:
            failures.append(f"{pr['hidden']} collapsed cases would be missing from a print")
        # Golden images.
        if args.shots and args.golden:
            for name in ("summary", "errata"):
                new, gold = os.path.join(args.shots, name + ".png"), os.path.join(args.golden, name + ".png")
                if not os.path.exists(new):
                    continue
                if args.update_golden or not os.path.exists(gold):
                    os.makedirs(args.golden, exist_ok=True)
                    shutil.copyfile(new, gold)
                    print(f"golden {gold}: written")
                    continue
                b.call("Page.navigate", {"url": "about:blank"})
                b.wait_event("Page.loadEventFired")
                c = compare(b, new, gold)
                if "size" in c:
                    failures.append(f"{name}.png is {c['size'][0]}x{c['size'][1]}, golden {c['size'][2]}x{c['size'][3]} "
                                    f"(layout changed; if intended, rerun with UPDATE_GOLDEN=1)")
                else:
                    print(f"{name}.png vs golden: {100 * c['fraction']:.2f}% of pixels differ (tolerance {100 * args.tolerance:g}%)")
                    if c["fraction"] > args.tolerance:
                        failures.append(f"{name}.png differs from {gold} in {100 * c['fraction']:.2f}% of its pixels "
                                        f"(if intended, rerun with UPDATE_GOLDEN=1)")
    except Exception as e:  # the browser died or did not answer: say why, with its own log
        failures.append(f"{type(e).__name__}: {e}")
        try:
            with open(os.path.join(profile, "chromium.log"), errors="replace") as f:
                print("chromium's log (last lines):\n" + "".join(f.readlines()[-10:]))
        except OSError:
            pass
    finally:
        b.close()
        shutil.rmtree(profile, ignore_errors=True)
    for f in failures:
        print("FAIL: " + f)
    print(f"{'ok' if not failures else 'FAILED'} in {time.time() - t0:.1f} s")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
