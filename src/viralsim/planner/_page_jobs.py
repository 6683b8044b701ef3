"""What both modes of the planner page share: a run in a background thread of the
session, with progress, cancel and its outcome, and a row of download buttons.

A *job* is a dict kept in ``st.session_state`` under the mode's key (``"job"``,
``"c_job"``): ``cancel`` (a ``threading.Event``), ``progress`` (fraction, text),
``started``/``finished`` (``time.time()``; ``finished`` is None while it runs),
``results``, ``error`` (one line for the page), ``cancelled``, ``asked`` (the
inputs it was started with) and ``thread``. Streamlit is passed in as ``st``, so
importing this module needs no web framework.
"""

import threading
import time

from viralsim.planner import core


def _error_line(exc, first_line):
    """An unexpected error as the page shows it: its type and message (only the first
    line of the message with ``first_line``)."""
    text = str(exc)
    if first_line:
        text = text.strip().splitlines()[0] if text.strip() else ""
    return f"{type(exc).__name__}: {text}"


def _job_thread(job, work, first_line):
    def progress(frac, text):
        job["progress"] = (frac, text)

    try:
        job["results"] = work(progress=progress, cancel=job["cancel"])
    except core.Cancelled:
        job["cancelled"] = True
    except core.PlannerError as exc:
        job["error"] = str(exc)
    except Exception as exc:  # shown on the page, one line, rather than lost in a thread
        job["error"] = _error_line(exc, first_line)
    finally:
        job["finished"] = time.time()


def start_job(ss, slot, work, asked, name, first_line=False):
    """Start ``work(progress=, cancel=)`` in a background thread called ``name``; the
    job is kept as ``ss[slot]`` and returned. ``asked``: the inputs, to tell later
    whether the page has changed since."""
    job = {"cancel": threading.Event(), "progress": (0.0, "Starting..."),
           "started": time.time(), "finished": None, "results": None, "error": None,
           "cancelled": False, "asked": asked}
    job["thread"] = threading.Thread(target=_job_thread, args=(job, work, first_line),
                                     name=name, daemon=True)
    ss[slot] = job
    job["thread"].start()
    return job


def run_row(st, ss, slot, label, key, cancel_key, disabled, start, join_s):
    """The run button (``label``, widget ``key``) and, while ``ss[slot]`` runs, Cancel
    (``cancel_key``; waits up to ``join_s`` seconds for the step under way) and the
    progress bar. ``start()`` starts the job when the button is clicked. Returns
    whether a job is running."""
    job = ss.get(slot)
    running = job is not None and job.get("finished") is None
    a, b = st.columns([1, 5])
    if a.button(label, type="primary", disabled=running or disabled, key=key):
        job = start()
        running = True
    if running:
        if b.button("Cancel", key=cancel_key):
            job["cancel"].set()
            job["thread"].join(timeout=join_s)
        _progress(st, job)
    return running


def _progress(st, job):
    @st.fragment(run_every=0.5)
    def poll():
        frac, text = job["progress"]
        st.progress(frac, text=text)
        st.caption(f"{time.time() - job['started']:.0f} s")
        if job.get("finished") is not None:
            st.rerun()

    poll()


def show_outcome(st, job, asked, changed):
    """A finished job: its cancellation or error on the page (then False), else a note
    ``changed`` when the inputs differ from the job's own, and True (show the
    results)."""
    if job["cancelled"]:
        st.warning("Run cancelled: nothing was kept from it.")
        return False
    if job["error"]:
        st.error(job["error"])
        return False
    if job.get("asked") != asked:
        st.info(changed)
    return True


def download_row(st, *buttons):
    """Download buttons side by side: each ``(label, data, file name, mime, key)``."""
    for col, (label, data, name, mime, key) in zip(st.columns(len(buttons)), buttons):
        col.download_button(label, data, name, mime, key=key)
