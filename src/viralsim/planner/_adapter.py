"""The planner's single door to the library's follower-CSV reader.

The reader lives in ``viralsim.experiments`` today and is moving to
``viralsim.io``; :func:`follower_csv_reader` is the one place that names it,
so the move changes one line here.
"""


def follower_csv_reader():
    """The library's follower-CSV reader (``read_follower_csv``)."""
    try:  # its new home, once the reader has moved
        from ..io import read_follower_csv
    except ImportError:
        from ..experiments import read_follower_csv
    return read_follower_csv
