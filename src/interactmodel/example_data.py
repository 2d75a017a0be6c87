"""A small made-up survey for the Examples sections of the docstrings.

One definition of the toy ratings that the examples of :mod:`interactmodel.effects` and
:mod:`interactmodel.predicted` fit, instead of a copy of the same data frame in each.
"""

from __future__ import annotations

import pandas as pd

__all__ = ["toy_ratings"]


def toy_ratings() -> pd.DataFrame:
    """Thirty made-up ratings of a relationship by how often the partners meet.

    Returns
    -------
    DataFrame
        ``quality``, an ordered categorical (``bad < mixed < good``), and ``contact``
        (``"rare"`` or ``"often"``, 15 rows each); a new frame on every call.

    Examples
    --------
    >>> from interactmodel.spec import OrdinalModel
    >>> data = toy_ratings()
    >>> data.head(4)
      quality contact
    0     bad    rare
    1   mixed    rare
    2    good    rare
    3    good   often
    >>> result = OrdinalModel("quality ~ contact").fit(data)
    """
    levels = ["bad", "mixed", "good"]
    return pd.DataFrame(
        {
            "quality": pd.Categorical(
                ["bad", "mixed", "good", "good", "bad", "good"] * 5, levels, ordered=True
            ),
            "contact": ["rare", "rare", "rare", "often", "often", "often"] * 5,
        }
    )
