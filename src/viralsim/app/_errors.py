"""How a failed run is told: a one-line message for bad input, a traceback for a bug."""

import logging
import os

from ..exceptions import cause_of

log = logging.getLogger("viralsim")


def _disk_full(exc):
    """The ``OSError`` (no space left, quota exceeded) behind ``exc``, or None: a full
    disk while matplotlib writes a PNG surfaces as an AttributeError ('_idat'
    object has no attribute 'fileno') raised while handling it."""
    import errno

    return cause_of(exc, OSError, lambda e: e.errno in (errno.ENOSPC, errno.EDQUOT))


def _corrupt_gzip(exc):
    """Whether ``exc`` is what reading a truncated or corrupt .gz raises."""
    import gzip
    import zlib

    return isinstance(exc, (EOFError, gzip.BadGzipFile, zlib.error))


def _message(exc):
    from ..exceptions import ViralsimError

    if _corrupt_gzip(exc) and not isinstance(exc, ViralsimError):  # viralsim's names the file
        return (f"A gzip file is truncated or corrupt ({type(exc).__name__}: {exc}). Download "
                "or copy it again (gzip -t FILE checks one), or decompress it and pass the "
                "plain file.")
    full = _disk_full(exc)
    if full is not None:
        where = f" while writing {full.filename}" if full.filename else ""
        return (f"No space left on the device{where} ({full.strerror or full}). Free some "
                "space, or write the run elsewhere (hydra.run.dir=..., hydra.sweep.dir=...), "
                "then run it again (finished runs are skipped).")
    # str(KeyError) quotes its message: show the message as written
    return exc.args[0] if isinstance(exc, KeyError) and len(exc.args) == 1 else str(exc)


def _log_to_files(msg, exc):
    """Log ``msg`` with ``exc``'s traceback to the file handlers only (not the console)."""
    root = logging.getLogger()
    rec = log.makeRecord(log.name, logging.ERROR, __file__, 0, msg, None,
                         (type(exc), exc, exc.__traceback__))
    for h in root.handlers:
        if isinstance(h, logging.FileHandler):
            h.handle(rec)


def _interrupted(exc):
    """Whether a Ctrl-C lies behind ``exc``: one that lands while a compiled module
    initialises (matplotlib's ``ft2font``, say) reaches Python as an ImportError
    raised from the KeyboardInterrupt."""
    return cause_of(exc, KeyboardInterrupt) is not None


def _is_user_error(exc):
    """Whether ``exc`` is viralsim's answer to bad input, whose message names the
    problem and the fix (a one-line error on the command line), not a bug (a
    traceback): a :class:`ViralsimError`, a config value left unset, or a
    ValueError, TypeError, LookupError or OSError raised by viralsim's own code."""
    from omegaconf.errors import MissingMandatoryValue

    from ..exceptions import ViralsimError

    if (isinstance(exc, (ViralsimError, MissingMandatoryValue)) or _disk_full(exc) is not None
            or _corrupt_gzip(exc)):
        return True
    if not isinstance(exc, (ValueError, TypeError, LookupError, OSError)):
        return False
    tb = exc.__traceback__
    while tb is not None and tb.tb_next is not None:
        tb = tb.tb_next
    return tb is not None and tb.tb_frame.f_globals.get("__name__", "").startswith("viralsim.")



# ---------------------------------------------------------------------- the command line
# Hydra's flags that take a value (the next argument, or after '=')
_FLAGS_WITH_VALUE = {"--cfg", "-c", "--package", "-p", "--config-path", "-cp", "--config-name",
                     "-cn", "--config-dir", "-cd", "--experimental-rerun", "--shell-completion",
                     "-sc"}
_INFO_TOPICS = {"all", "config", "defaults", "defaults-tree", "plugins", "searchpath"}
# characters that end an unquoted value in Hydra's override grammar
_SPECIAL = set(" ()[]{},:='\"\\$*?<>|;&#")
_DATA_FILE = (".csv", ".tsv", ".txt", ".gz", ".edges", ".el")


def _overrides_of(argv):
    """``(overrides, own tree)`` of Hydra's command line: the arguments that are
    not flags; ``own tree``: a ``--config-dir``/``--config-name``/``--config-path``
    or a search path of the user's, so the groups may be others than viralsim's."""
    out, own, skip = [], False, False
    for i, a in enumerate(argv):
        if skip:
            skip = False
            continue
        if a.startswith("-"):
            flag = a.split("=", 1)[0]
            if flag in ("--config-dir", "-cd", "--config-name", "-cn", "--config-path", "-cp"):
                own = True
            if flag in _FLAGS_WITH_VALUE and "=" not in a:
                skip = True
            elif flag in ("--info", "-i") and i + 1 < len(argv) and argv[i + 1] in _INFO_TOPICS:
                skip = True
            continue
        out.append(a)
    return out, own


def _shell_quoted(key, value):
    """``key='"value"'``: the setting as the shell passes a quoted value to Hydra."""
    inner = value.replace("\\", "\\\\").replace('"', '\\"')
    return f"{key}='\"{inner}\"'" if "'" not in inner else f'"{key}=\\"{inner}\\""'


def _unparsed(arg, exc):
    """The one-line message for an argument Hydra's grammar does not read."""
    if "=" not in arg:
        looks_like_data = arg.lower().endswith(_DATA_FILE) or os.path.isfile(arg)
        if looks_like_data:
            path = arg if not (_SPECIAL & set(arg)) else None
            p = f"graph.path={arg}" if path else _shell_quoted("graph.path", arg)
            return (f"{arg!r} is not a setting: the command line takes key=value settings. "
                    f"To read it as a follower CSV: viralsim graph=follower_csv {p} "
                    f"(a whitespace-separated edge list: graph=edgelist {p}).")
        return (f"{arg!r} is not a setting: the command line takes key=value settings such as "
                f"experiment=campaign or n_sims=1000 (viralsim --help lists them).")
    key, value = arg.split("=", 1)
    if value[:1] in "[{" or value.startswith(("'", '"')):
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else "a syntax error"
        return (f"cannot read the setting {key}: {first}. Lists are written [a, b], mappings "
                f"{{name: A, seeds: [u1, u2]}}, and the whole setting goes in single quotes for "
                f"the shell: '{key}=[...]'; text with spaces or ( ) inside them in double "
                f"quotes: \"followers (export).csv\".")
    return (f"cannot read the setting {arg!r}: a value with letters beyond ASCII (ü, é), "
            f"spaces or any of ( ) [ ] {{ }} , : = must be quoted. Type it as {_shell_quoted(key.lstrip('+~'), value)} (the outer "
            f"quotes are for the shell, the inner double quotes for viralsim's config).")


def _choices(cwd):
    """``{group: [choices]}`` of viralsim's config tree and a ``./configs`` folder."""
    from importlib import resources

    out = {}
    conf = resources.files("viralsim.conf")
    roots = [conf]
    d = os.path.join(cwd, "configs")
    if os.path.isdir(d):
        from pathlib import Path

        roots.append(Path(d))
    for root in roots:
        for group in root.iterdir():
            if group.is_dir() and not group.name.startswith(("_", ".")):
                names = [f.name[:-5] for f in group.iterdir() if f.name.endswith(".yaml")]
                out.setdefault(group.name, set()).update(names)
    first = ("graph", "model", "probabilities", "strategy", "experiment", "backend")
    order = [g for g in first if g in out] + sorted(g for g in out if g not in first)
    return {g: sorted(out[g]) for g in order}


def _defaults():
    """The primary config's default choice per group (``config.yaml``'s defaults list)."""
    from importlib import resources

    from omegaconf import OmegaConf

    text = resources.files("viralsim.conf").joinpath("config.yaml").read_text(encoding="utf-8")
    out = {}
    for item in OmegaConf.create(text).get("defaults", []):
        if isinstance(item, str) or item is None:
            continue
        for k, v in item.items():
            out[str(k)] = v
    return out


def _settings():
    """The top-level settings (``rng_seed``, ``n_sims``, ...): the schema's fields."""
    import dataclasses

    from .schemas import ViralsimConf

    groups = _defaults()
    return [f.name for f in dataclasses.fields(ViralsimConf) if f.name not in groups]


def _schema_fields(group, choice):
    """The settings of one group option (its schema's fields), or None when unknown."""
    import dataclasses

    from .schemas import SCHEMAS

    node = SCHEMAS.get(group, {}).get(choice)
    if group == "probabilities":
        node = SCHEMAS["probabilities"]["probabilities"]
    if node is None or not dataclasses.is_dataclass(node):
        return None
    return [f.name for f in dataclasses.fields(node) if not f.name.startswith("_")]


def _did_you_mean(word, options):
    import difflib

    hits = difflib.get_close_matches(word, options, n=1, cutoff=0.6)
    return hits[0] if hits else None


def _values(o):
    """The choices an override sets (a sweep's too); None when not a list of names."""
    if o.is_delete():
        return []
    if o.is_sweep_override():
        if not o.is_discrete_sweep():
            return None
        try:
            return list(o.sweep_string_iterator())
        except Exception:  # glob(), range(): Hydra expands them
            return None
    v = o.value()
    if isinstance(v, (dict, list)):  # a config node given inline, not a choice: checked later
        return None
    return ["null"] if v is None else [o.get_value_element_as_str()]


def _check_choice(arg, o, group, options):
    """A message for a choice the group does not have, or None."""
    values = _values(o)
    for v in values or []:
        if v == "null" or v in options:
            continue
        near = _did_you_mean(v, options)
        hint = f" Did you mean {group}={near}?" if near else ""
        return (f"{arg}: there is no {group} named {v!r}.{hint} The choices: "
                f"{', '.join(options)}.")
    return None


def _check_key(arg, o, groups, chosen, settings):
    """A message for a key that is neither a group, a setting nor a group's setting."""
    top, _, rest = o.key_or_group.partition(".")
    value = arg.split("=", 1)[1] if "=" in arg else ""
    if top in groups or top in settings:
        if rest and top in chosen:
            return _check_option_field(arg, top, rest, value, groups, chosen[top])
        return None
    near = _did_you_mean(top, [*groups, *settings])
    hint = f" Did you mean {near}{'.' + rest if rest else ''}={value}?" if near is not None else ""
    return (f"{arg}: there is no setting or group {top!r}.{hint} The groups: "
            f"{', '.join(groups)}; other settings: {', '.join(settings)} "
            f"(viralsim --help lists them).")


def _check_option_field(arg, top, rest, value, groups, option):
    """A message for ``top.rest=value`` when option ``top=option`` has no such
    setting, or None."""
    fields = _schema_fields(top, option)
    sub = rest.split(".")[0]
    if fields is None or sub in fields:
        return None
    near = _did_you_mean(sub, fields)
    hint = f" Did you mean {top}.{near}={value}?" if near else ""
    have = [c for c in groups.get(top, ()) if sub in (_schema_fields(top, c) or ())]
    if have and not near:
        hint = f" Choose an option that has it: {' or '.join(f'{top}={c}' for c in have)}."
    return (f"{arg}: {top}={option} has no setting {sub!r}.{hint} Its settings: "
            f"{', '.join(fields)}.")


def check_command_line(argv, cwd=None):
    """A one-line message naming the problem and the likely fix for a command line
    Hydra would reject with a long message, or run with a silently wrong reading;
    None when it looks right (Hydra then checks the rest).

    Catches an argument that is no ``key=value`` setting (a file name: how to
    pass it), a value the override grammar does not read (how to quote it), a
    choice a group does not have (``experiment=campain``: did you mean
    ``experiment=campaign``?), a group or setting that does not exist, with
    or without ``+`` (``+experimnt=campaign`` would otherwise run the default
    experiment), and a setting the chosen option lacks (``experiment.n_sim``).

    Parameters
    ----------
    argv : list of str
        The command line after the program name.
    cwd : str, optional
        Where ``./configs`` (study presets) is looked for.

    Returns
    -------
    str or None

    Examples
    --------
    >>> from viralsim.app._errors import check_command_line
    >>> check_command_line(["experiment=campain"]).split(".")[0]
    "experiment=campain: there is no experiment named 'campain'"
    >>> check_command_line(["graph=edgelist", "graph.path=f.txt"]) is None
    True
    """
    cwd = cwd or os.getcwd()
    overrides, own = _overrides_of(argv)
    parsed, msg = _parse_overrides(overrides)
    if msg:
        return msg
    if own or any(o.key_or_group.startswith("hydra.searchpath") for _, o in parsed):
        return None  # another config tree: its groups are Hydra's to check
    groups, settings = _choices(cwd), _settings()
    chosen, msg = _chosen_options(parsed, groups, _defaults())
    if msg:
        return msg
    for arg, o in parsed:
        if _is_ours(o) and o.key_or_group not in groups:
            msg = _check_key(arg, o, groups, chosen, settings) or _check_type(arg, o, chosen)
            if msg:
                return msg
    return None


# ---------------------------------------------------------------------- value types
_KINDS = {int: ("a whole number", "10"), float: ("a number", "0.5"),
          bool: ("true or false", "true")}
_BOOL_WORDS = {"true", "false", "yes", "no", "on", "off", "1", "0", "y", "n"}


def _schema_field(key, chosen):
    """The dataclass field a dotted setting means (``n_sims``, ``graph.n_nodes``,
    ``experiment.costs.base``), or None when no schema says."""
    import dataclasses

    from .schemas import SCHEMAS, ViralsimConf

    top, *rest = key.split(".")
    if not rest:
        node, names = ViralsimConf, [top]
    elif top == "probabilities":
        node, names = SCHEMAS["probabilities"]["probabilities"], rest
    else:
        node, names = SCHEMAS.get(top, {}).get(chosen.get(top)), rest
    f = None
    for name in names:
        if node is None or not dataclasses.is_dataclass(node):
            return None
        f = next((x for x in dataclasses.fields(node) if x.name == name), None)
        if f is None:
            return None
        node = f.type if dataclasses.is_dataclass(f.type) else None
    return f


def _scalar_type(tp):
    """``(int | float | bool, optional)`` of a field's annotation, or None for others."""
    import types
    import typing

    args = typing.get_args(tp)
    if typing.get_origin(tp) in (typing.Union, types.UnionType):
        kinds = [a for a in args if a is not type(None)]
        if len(kinds) == 1 and kinds[0] in _KINDS:
            return kinds[0], type(None) in args
        return None
    return (tp, False) if tp in _KINDS else None


def _reads_as(value, kind):
    """Whether OmegaConf converts the override's parsed ``value`` to ``kind``."""
    if kind is bool:  # OmegaConf reads any whole number as a bool too
        return isinstance(value, (bool, int)) or str(value).strip().lower() in _BOOL_WORDS
    if isinstance(value, bool):
        return False
    if kind is int:
        if isinstance(value, int):
            return True
        if isinstance(value, float):
            return False
    try:
        kind(str(value).strip())
    except ValueError:
        return False
    return True


def _check_type(arg, o, chosen):
    """A message for a value the setting's type does not take (``graph.n_nodes=ten``):
    the key, the type expected and an example that works; None when it reads."""
    if o.is_delete() or o.value_type is None:
        return None
    f = _schema_field(o.key_or_group, chosen)
    scalar = _scalar_type(f.type) if f is not None else None
    if scalar is None:
        return None
    kind, optional = scalar
    if o.is_sweep_override():
        values = _values(o)
        if values is None:
            return None
    else:
        values = [o.value()]
    words, example = _KINDS[kind]
    if isinstance(f.default, kind) and not isinstance(f.default, bool) or kind is bool and \
            isinstance(f.default, bool):
        example = str(f.default).lower() if kind is bool else str(f.default)
    if any(isinstance(v, dict) for v in values):
        return None  # a mapping: Hydra's message says it
    lists = [v for v in values if isinstance(v, list)]
    if lists:  # with -m or without, a list is one value, not a sweep
        each = ",".join(str(x) for x in lists[0]) or example
        return (f"{arg}: {o.key_or_group} takes one value, {words} ({kind.__name__}), not a "
                f"list. For example: {o.key_or_group}={example}; to run each value, sweep "
                f"with -m: viralsim -m {o.key_or_group}={each}.")
    for v in values:
        if v is None or (isinstance(v, str) and (v == "null" or "${" in v)):
            if v is not None and "${" in v:
                continue  # an interpolation: OmegaConf resolves it later
            if optional:
                continue
            return (f"{arg}: {o.key_or_group} cannot be empty (null); it takes {words}. For "
                    f"example: {o.key_or_group}={example}.")
        if not _reads_as(v, kind):
            shown = v if isinstance(v, str) else repr(v)
            return (f"{arg}: {o.key_or_group} takes {words} ({kind.__name__}), not {shown!r}. "
                    f"For example: {o.key_or_group}={example}.")
    return None


def _parse_overrides(overrides):
    """``(parsed, message)``: each ``(arg, Override)``, or the message for the
    first argument the override grammar does not read."""
    from hydra.core.override_parser.overrides_parser import OverridesParser
    from hydra.errors import HydraException, OverrideParseException

    parser = OverridesParser.create()
    parsed = []
    for arg in overrides:
        try:
            parsed.append((arg, parser.parse_override(arg)))
        except (OverrideParseException, HydraException) as exc:
            return parsed, _unparsed(arg, exc)
    return parsed, None


def _is_ours(o):
    """Whether override ``o`` is for viralsim's config (not Hydra's, no package)."""
    return not o.key_or_group.startswith("hydra") and o.package is None


def _chosen_options(parsed, groups, defaults):
    """``(chosen, message)``: the option each group runs with where it is known
    (``{group: option}``), or the message for a choice a group does not have."""
    chosen, explicit, preset = dict(defaults), set(), False
    for arg, o in parsed:
        key = o.key_or_group
        if not _is_ours(o) or key not in groups:
            continue
        msg = _check_choice(arg, o, key, groups[key])
        if msg:
            return None, msg
        vals = _values(o)
        chosen[key] = vals[0] if vals and len(vals) == 1 else None
        explicit.add(key)
        preset = preset or key not in defaults
    if preset:  # a preset (+preset=...) may choose other options: only the explicit are known
        chosen = {k: chosen[k] for k in explicit}
    return {k: v for k, v in chosen.items() if v}, None
