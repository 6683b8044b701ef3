"""``viralsim-planner``: open the campaign planner in the browser (local only)."""

import argparse
import importlib.util
import os
import subprocess
import sys


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
           "--server.headless", "true" if args.no_browser else "false",
           "--browser.gatherUsageStats", "false", "--server.fileWatcherType", "none",
           "--global.developmentMode", "false", "--client.toolbarMode", "minimal"]
    print(f"viralsim planner: http://127.0.0.1:{args.port} (Ctrl-C stops it)", flush=True)
    try:
        return subprocess.call(cmd)
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
