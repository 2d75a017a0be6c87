"""Tests of compiling and running the sampler (interactmodel.engines.nuts), without sampling.

Sampling itself, and that a chain's draws do not depend on how the chains are grouped, is
tested through whole fits in test_bayes.py.
"""

from __future__ import annotations

import pytest

from interactmodel.design import build_design
from interactmodel.engines import bayes, nuts
from tests.engines.bayes_cases import FORMULA, simulate


@pytest.mark.parametrize(("chains", "cores"), [(1, 1), (4, 1), (4, 2), (4, 3), (4, 8), (6, 4)])
def test_chain_groups_are_equal_and_cover_every_chain_once(chains: int, cores: int) -> None:
    groups = nuts.chain_groups(chains, cores)
    assert 1 <= len(groups) <= cores
    assert len({g.size for g in groups}) == 1  # one compiled program serves every group
    assert sorted(i for g in groups for i in g.tolist()) == list(range(chains))
    # the most groups that divide the chains evenly: no larger divisor fits in `cores`
    assert not any(chains % d == 0 for d in range(len(groups) + 1, min(chains, cores) + 1))


def test_compiled_models_are_cached_by_structure_not_data() -> None:
    design = build_design(FORMULA, simulate(300, seed=11)[0])
    arrays, priors, centered = bayes.prepare(design, "logit", None, "auto")
    settings = (60, 60, 2, 0.9)
    nuts.clear_cache()
    first = nuts._compiled(arrays, "logit", priors, centered, "pymc", settings)
    other_counts = arrays.with_counts(arrays.counts[::-1].copy())
    assert nuts._compiled(other_counts, "logit", priors, centered, "pymc", settings) is first
    assert nuts._compiled(arrays, "probit", priors, centered, "pymc", settings) is not first
    assert nuts._compiled(arrays, "logit", priors, centered, "pymc", (60, 80, 2, 0.9)) is not first
    nuts.clear_cache()
    assert nuts._compiled(arrays, "logit", priors, centered, "pymc", settings) is not first
