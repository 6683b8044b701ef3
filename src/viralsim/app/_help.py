"""``viralsim --help``: the groups a user chooses from and the settings, not Hydra's
internal schemas (Hydra's own help: ``viralsim --hydra-help``)."""

import os

from ._errors import _choices, _defaults, _schema_fields, _settings


def _setting_defaults():
    """``name=default`` of the top-level settings, as the config file gives them."""
    from importlib import resources

    from omegaconf import OmegaConf

    text = resources.files("viralsim.conf").joinpath("config.yaml").read_text(encoding="utf-8")
    cfg = OmegaConf.create(text)
    out = []
    for name in _settings():
        v = cfg.get(name)
        v = "null" if v is None else (f"[{','.join(map(str, v))}]" if not isinstance(
            v, (int, float, str, bool)) else str(v).lower() if isinstance(v, bool) else v)
        out.append(f"{name}={v}")
    return out


def help_text(cwd=None):
    """The text of ``viralsim --help``.

    Parameters
    ----------
    cwd : str, optional
        Where a ``configs/`` folder of presets is looked for (its groups are listed too).

    Returns
    -------
    str

    Examples
    --------
    >>> from viralsim.app._help import help_text
    >>> text = help_text()
    >>> "  experiment=     campaign, campaign_influencers, campaign_mix" in text, "schema" in text
    (True, False)
    """
    groups, defaults = _choices(cwd or os.getcwd()), _defaults()
    width = max(len(g) for g in groups) + 1
    lines = [
        "viralsim: how far word of mouth spreads from seed consumers on a follower graph,",
        "and which plan a budget should buy.",
        "",
        "Usage:  viralsim [group=choice ...] [setting=value ...]",
        "        viralsim -m setting=a,b ...       a sweep: one run per combination",
        "",
        "Choose one option per group (* the default):",
    ]
    for g, options in groups.items():
        d = defaults.get(g)
        shown = [f"{o}*" if o == d else o for o in options]
        if g in defaults and d is None:
            shown = ["(none)*", *shown]
        lines.append(f"  {(g + '='):<{width}}  {', '.join(shown)}")
    lines += [
        "",
        "Settings: " + " ".join(_setting_defaults()),
        "An option's own settings are <group>.<setting>=value, e.g.",
        f"  graph.n_nodes=50000 (graph=holme_kim: {', '.join(_schema_fields('graph', 'holme_kim'))})",
        f"  experiment=campaign: {', '.join(_schema_fields('experiment', 'campaign'))}",
        "  viralsim experiment=campaign --cfg job   prints every setting of that run",
        "",
        "Your own data (a follower CSV and a consumers CSV with id, name, cost, segment):",
        "  viralsim experiment=campaign graph=follower_csv graph.path=followers.csv \\",
        "      graph.consumers=consumers.csv experiment.costs.attr=cost",
        "  A path with spaces or ( ) goes in quotes: graph.path='\"followers (export).csv\"'",
        "  Lists and plans: 'experiment.budgets=[50,100]' "
        "'experiment.plans=[{name: mine, seeds: [c1, c2]}]'",
        "",
        "Extras, from a clone of viralsim: pip install \".[joblib]\" (parallel sweeps: "
        "-m hydra/launcher=joblib), pip install \".[ray]\" (backend=ray)",
        "Hydra's own options (--cfg, --multirun, --info, ...): viralsim --hydra-help",
    ]
    return "\n".join(lines)
