"""``viralsim-planner``: open the campaign planner in the browser (local only)."""

import argparse
import importlib.util
import os
import signal
import subprocess
import sys
import threading
import time
import urllib.request


def main(argv=None):
    """Start the planner page on this computer (127.0.0.1) and print its address."""
    ap = argparse.ArgumentParser(
        prog="viralsim-planner",
        description="Open the campaign planner: a local web page (nothing is sent anywhere).")
    ap.add_argument("--port", type=int, default=8501, help="port to serve on (default 8501)")
    ap.add_argument("--no-browser", action="store_true",
                    help="do not open a browser window (print the address only)")
    args = ap.parse_args(argv)
    if importlib.util.find_spec("streamlit") is None:
        print("viralsim-planner needs the 'app' extra: pip install \".[app]\" from the viralsim "
              "folder (or pip install streamlit).", file=sys.stderr)
        return 2
    page = os.path.join(os.path.dirname(os.path.abspath(__file__)), "page.py")
    cmd = [sys.executable, "-m", "streamlit", "run", page,
           "--server.address", "127.0.0.1", "--server.port", str(args.port),
           "--server.headless", "true",  # never Streamlit's first-run e-mail prompt
           "--browser.gatherUsageStats", "false", "--server.fileWatcherType", "none",
           "--global.developmentMode", "false", "--client.toolbarMode", "minimal"]
    url = f"http://127.0.0.1:{args.port}"
    print(f"viralsim planner: {url} (Ctrl-C stops it)", flush=True)
    if not args.no_browser:
        threading.Thread(target=_open_when_up, args=(url,), daemon=True).start()
    proc = subprocess.Popen(cmd)
    # a stop sent to this command (SIGTERM from a service manager or a test) stops the
    # server too; Ctrl-C reaches both from the terminal
    signal.signal(signal.SIGTERM, lambda *_: proc.terminate())
    try:
        return proc.wait()
    except KeyboardInterrupt:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
        return 130


def _open_when_up(url, timeout=60):
    import webbrowser

    t0 = time.time()
    while time.time() - t0 < timeout:
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as r:
                if r.read().strip() == b"ok":
                    webbrowser.open(url)
                    return
        except OSError:
            time.sleep(0.3)


if __name__ == "__main__":
    sys.exit(main())
