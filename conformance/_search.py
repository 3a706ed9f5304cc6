"""Hypothesis as the harness drives it: a test over generated probes, with a fixed seed,
no database and no deadline; and a hunt that finds a finding again so that Hypothesis
shrinks its example. Each returns why the search stopped early, or None."""

from __future__ import annotations

from collections.abc import Callable, Container, Hashable

import hypothesis
from hypothesis import HealthCheck, Phase, Verbosity
from hypothesis import strategies as st
from hypothesis.errors import HypothesisException

from ._model import Probe

Internal = Callable[[str, BaseException], None]  # report a harness bug (where, exception)


class Found(Exception):
    """The hunt saw its finding again: stop, and let Hypothesis shrink the example."""


def hypothesis_settings(examples: int, *, shrink: bool) -> hypothesis.settings:
    return hypothesis.settings(
        parent=hypothesis.settings.get_profile("default"),
        max_examples=examples,
        database=None,
        deadline=None,
        derandomize=False,
        phases=(Phase.generate, Phase.shrink) if shrink else (Phase.generate,),
        suppress_health_check=list(HealthCheck),
        verbosity=Verbosity.quiet,
        print_blob=False,
        report_multiple_bugs=False,
    )


def search(
    test: Callable[[Probe], None],
    probes: st.SearchStrategy[Probe],
    *,
    seed: int,
    examples: int,
    shrink: bool,
    where: str,
    internal: Internal,
) -> str | None:
    """Run ``test`` over ``probes``; say why the search stopped early, if it did."""
    wrapped = hypothesis.seed(seed)(
        hypothesis_settings(examples, shrink=shrink)(hypothesis.given(probes)(test))
    )
    try:
        wrapped()
    except Found:
        return None  # the hunt found its finding again, shrunk
    except HypothesisException as exc:
        # Flaky or unsatisfiable: the target or the data, not a harness bug.
        text = str(exc).strip().splitlines()
        return f"Hypothesis stopped the search: {type(exc).__name__}: {text[0] if text else ''}"
    except BaseExceptionGroup as group:
        if (
            group.subgroup(Found) is not None
            and group.subgroup(lambda e: not isinstance(e, Found)) is None
        ):
            return None
        internal(where, group)
        return f"stopped early by an internal error ({type(group).__name__})"
    except Exception as exc:  # generation failed: a harness bug
        internal(where, exc)
        return f"stopped early by an internal error ({type(exc).__name__})"
    return None


def hunt(
    key: Hashable, budget: int, exchange: Callable[[Probe], Container[Hashable]]
) -> Callable[[Probe], None]:
    """A test that fails on a probe whose exchange shows ``key`` again. A probe already
    sent is answered from memory, so that a replay after the budget is spent fails as it
    did (Hypothesis calls a test that changes its mind flaky)."""
    spent = [0]
    answered: dict[tuple[object, ...], bool] = {}

    def test(probe: Probe) -> None:
        sent = (probe.kind, probe.body, probe.content_type, probe.credential)
        if sent not in answered:
            if spent[0] >= budget:
                return
            spent[0] += 1
            answered[sent] = key in exchange(probe)
        if answered[sent]:
            raise Found

    return test
