"""The planner's single door to the library's follower-CSV reader.

The reader lives in :mod:`viralsim.io`; :func:`follower_csv_reader` is the one
place that names it (the browser test replaces it through here).
"""


def follower_csv_reader():
    """The library's follower-CSV reader (:func:`viralsim.io.read_follower_csv`)."""
    from ..io import read_follower_csv

    return read_follower_csv
