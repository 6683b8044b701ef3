"""``experiment.uncertainty``: a low / central / high band beside the simulation ±.

The campaign and estimate experiments re-run their chosen plans, in the
same worlds, under the probability schemes a user could plausibly assume
(``assumptions``) or across parameter sets drawn from a fitted graph's
uncertainty (``parameters``, with ``graph=fitted``), through
:func:`viralsim.estimate_reach_band`. Each row gets ``band_*`` columns, the
report a sentence per plan, and the run a ``reach_band`` figure.
"""

import dataclasses
from dataclasses import dataclass
from typing import Any

from . import _build

__all__ = ["UNCERTAINTY", "BandSettings", "band_sentence", "DEFAULT_ASSUMPTIONS"]

#: ``experiment.uncertainty``
UNCERTAINTY = ("none", "assumptions", "parameters")
#: ``experiment.band_assumptions`` (besides the run's own)
DEFAULT_ASSUMPTIONS = ["weighted_cascade", "trivalency", 0.01, 0.1]

_FRIENDLY = {"weighted_cascade": "weighted cascade", "trivalency": "trivalency",
             "uniform_random": "uniform random", "keep": "as given"}


def _run_scheme(cfg):
    """``(label, assumption to drop)``: the run's own probabilities, as the band names them,
    and the entry of the assumption list it duplicates (None: none)."""
    if _build.is_fitted(cfg):
        return "learned (this run's)", None
    pcfg = cfg.get("probabilities") or {}
    scheme = pcfg.get("scheme", "keep") or "keep"
    if scheme == "uniform":
        return f"uniform {pcfg.get('p'):g} (this run's)", float(pcfg.get("p"))
    drop = scheme if scheme in ("weighted_cascade", "trivalency") else None
    return f"{_FRIENDLY.get(scheme, scheme)} (this run's)", drop


def _same(a, b):
    if isinstance(a, str) or isinstance(b, str):
        return a == b
    return a is not None and b is not None and float(a) == float(b)


@dataclass(frozen=True)
class BandSettings:
    """``experiment.uncertainty`` and its ``band_*`` keys, read and checked once.

    Parameters
    ----------
    kind : {"none", "assumptions", "parameters"}
    assumptions : list
        The schemes besides the run's own (``assumptions``).
    draws : int
        Parameter draws (``parameters``).
    level : float
        The parameter band's level.
    sims : int or None
        Worlds per assumption or draw (None: the plan's own number).
    fit : InfluenceFit or None
        The fitted graph's fit (``parameters``).
    own : str
        How the band labels the run's own probabilities.
    """

    kind: str = "none"
    assumptions: tuple = ()
    draws: int = 20
    level: float = 0.9
    sims: Any = None
    fit: Any = None
    own: str = "as given"

    @classmethod
    def from_config(cls, cfg, exp):
        """The settings of ``exp`` (the ``experiment`` node) in the run ``cfg``.

        Raises
        ------
        ValueError
            An unknown ``uncertainty``, ``parameters`` without ``graph=fitted``,
            ``band_draws`` < 2, ``band_level`` outside (0, 1), ``band_sims`` < 2.
        """
        kind = exp.get("uncertainty") or "none"
        if kind not in UNCERTAINTY:
            raise ValueError(f"experiment.uncertainty={kind!r}: choose none, assumptions (a band "
                             "across probability schemes) or parameters (across a fitted "
                             "graph's parameter draws; needs graph=fitted).")
        if kind == "none":
            return cls()
        draws = exp.get("band_draws", 20)
        if isinstance(draws, bool) or not isinstance(draws, int) or draws < 2:
            raise ValueError(f"experiment.band_draws={draws!r}: give the number of parameter "
                             "draws, an integer >= 2 (e.g. 20).")
        level = exp.get("band_level", 0.9)
        if isinstance(level, bool) or not isinstance(level, (int, float)) or not 0 < level < 1:
            raise ValueError(f"experiment.band_level={level!r}: give the band's level, a number "
                             "between 0 and 1 (0.9: from the 5% to the 95% quantile).")
        sims = exp.get("band_sims")
        if sims is not None and (isinstance(sims, bool) or not isinstance(sims, int)
                                 or sims < 2):
            raise ValueError(f"experiment.band_sims={sims!r}: give the worlds per assumption "
                             "or draw, an integer >= 2, or null (the plan's own number).")
        fit = None
        if kind == "parameters":
            fit = _build.fit_of(cfg)
            if fit is None:
                raise ValueError(
                    "experiment.uncertainty=parameters needs probabilities learned from data: "
                    "graph=fitted graph.path=<the run directory of viralsim experiment=learn>. "
                    "Without a fit, use experiment.uncertainty=assumptions.")
        own, drop = _run_scheme(cfg)
        listed = exp.get("band_assumptions")
        listed = list(DEFAULT_ASSUMPTIONS if listed is None else listed)
        assumptions = tuple(a for a in listed if not _same(a, drop))
        return cls(kind=kind, assumptions=assumptions, draws=int(draws), level=float(level),
                   sims=sims, fit=fit, own=own)

    @property
    def on(self):
        return self.kind != "none"

    def band(self, graph, model, seeds, *, n_sims, rng_seed, max_rounds=None):
        """The band of ``seeds`` (None when off), labelled for the report."""
        if not self.on:
            return None
        from ..uncertainty import estimate_reach_band

        n = int(self.sims or n_sims)
        if self.kind == "parameters":
            return estimate_reach_band(self.fit, seeds, n_draws=self.draws, level=self.level,
                                       model=model, n_sims=n, rng=rng_seed,
                                       max_rounds=max_rounds)
        b = estimate_reach_band(graph, seeds, assumptions=self.assumptions, model=model,
                                n_sims=n, rng=rng_seed, max_rounds=max_rounds)
        labels = [self.own if lab == "as given" else lab for lab in b.labels]
        return dataclasses.replace(b, labels=labels)


def band_sentence(row, band, targets="targets"):
    """One plain line: the plan's reach with its simulation ± and the band beside it.

    ``"**IMM** (40 targets) reaches 1,020 ± 9 consumers (simulation); across 20
    plausible fitted parameter sets, 870 to 1,190 (90% band)."``
    """
    from .. import report

    pm = report.plus_minus(row["mean"], row["ci_low"], row["ci_high"])
    out = (f"- **{report.escape_md(row['plan'])}** ({row['k']} {targets}) reaches {pm} consumers (simulation); "
           f"{band.describe()}")
    if band.kind == "assumptions":
        own = [lab for lab in band.labels if lab.endswith("(this run's)")]
        out += (f"; this run's assumption gives {report.sig_fig(band.central)}"
                if own else "")
    else:
        out += f", median {report.sig_fig(band.central)}"
    return out + "."
