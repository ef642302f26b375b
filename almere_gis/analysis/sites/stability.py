"""Rank stability: how a site's rank moves when planners disagree about the weights."""

from __future__ import annotations

__all__ = ["rank_stability", "stability_key"]

import numpy as np
import pandas as pd

from ..._errors import ConfigError
from .criteria import CRITERIA, site_settings
from .scoring import resolve_weights


def rank_stability(
    scored: pd.DataFrame,
    *,
    settings: object,
    draws: int | None = None,
    seed: int | None = None,
) -> pd.DataFrame:
    """How stable each site's rank is when planners disagree about the weights.

    Weight vectors are drawn from a Dirichlet distribution centred on the weights the score
    used (the ``weight_<criterion>`` columns of ``scored``, else the configured weights
    rescaled; ``alpha = concentration * w`` for the criteria with a positive weight; a higher
    concentration means less disagreement). Every draw re-scores all eligible sites from their
    normalised criteria (one ``draws x sites`` matrix product) and ranks them.

    Parameters
    ----------
    scored
        Output of :func:`score_sites`.
    settings
        The Settings object (or its ``sites`` section): weights, ``top_k``, ``draws``,
        ``concentration``, ``seed``, ``robust_probability``.
    draws, seed
        Override the settings' number of draws and seed.

    Returns
    -------
    DataFrame
        Aligned to ``scored.index``: ``site_id``, ``p_top_k`` (share of draws with rank <=
        top_k), ``rank_median``, ``rank_p05``, ``rank_p95`` (the 90 % interval of the rank) and
        ``robust`` (``p_top_k >= robust_probability``) and ``stability``, the same in words
        (a key of ``sites.stability.*`` in the text catalogue): ``"always"`` when in the top k
        in at least ``always_probability`` (default 95 %) of the draws, ``"never"`` when in
        none, ``"sometimes"`` otherwise. NaN, False and <NA> for excluded sites.

    Examples
    --------
    The same seed gives the same table; see ``tests/test_sites.py``.
    """
    s = site_settings(settings)
    weights = _weights_used(scored, s.weights)
    active = [k for k, w in weights.items() if w > 0]
    n_draws = int(draws if draws is not None else s.draws)
    rng = np.random.default_rng(s.seed if seed is None else seed)
    if n_draws < 1:
        raise ConfigError("sites.draws must be at least 1.")
    if s.concentration <= 0:
        raise ConfigError("sites.concentration must be positive.")

    eligible = ~scored["excluded"].astype(bool).to_numpy()
    norm = scored[[f"{k}_norm" for k in active]].to_numpy(dtype=float)[eligible]
    norm = np.nan_to_num(norm, nan=0.5)
    m = norm.shape[0]
    out = pd.DataFrame(
        {
            "site_id": scored["site_id"].to_numpy() if "site_id" in scored else scored.index,
            "p_top_k": np.nan,
            "rank_median": np.nan,
            "rank_p05": np.nan,
            "rank_p95": np.nan,
            "robust": False,
            "stability": pd.array([pd.NA] * len(scored), dtype="string"),
        },
        index=scored.index,
    )
    if m == 0:
        return out
    alpha = s.concentration * np.array([weights[k] for k in active])
    w = rng.dirichlet(alpha, size=n_draws) if len(active) > 1 else np.ones((n_draws, 1))
    scores = w @ norm.T  # draws x sites
    order = np.argsort(-scores, axis=1, kind="stable")
    ranks = np.empty_like(order)
    np.put_along_axis(ranks, order, np.arange(1, m + 1)[None, :].repeat(n_draws, axis=0), axis=1)
    p_top = (ranks <= s.top_k).mean(axis=0)
    q05, q50, q95 = np.percentile(ranks, [5, 50, 95], axis=0)
    out.loc[eligible, "p_top_k"] = p_top
    out.loc[eligible, "rank_median"] = q50
    out.loc[eligible, "rank_p05"] = q05
    out.loc[eligible, "rank_p95"] = q95
    out.loc[eligible, "robust"] = p_top >= s.robust_probability
    out["robust"] = out["robust"].astype(bool)
    out.loc[eligible, "stability"] = stability_key(p_top, s.always_probability)
    return out


def stability_key(p_top_k: np.ndarray, always: float) -> np.ndarray:
    """``"always"`` (share of draws in the top k >= ``always``), ``"never"`` (0) or ``"sometimes"``.

    Examples
    --------
    >>> stability_key(np.array([1.0, 0.95, 0.5, 0.001, 0.0]), 0.95).tolist()
    ['always', 'always', 'sometimes', 'sometimes', 'never']
    """
    p = np.asarray(p_top_k, dtype=float)
    return np.where(p >= always, "always", np.where(p > 0, "sometimes", "never")).astype(object)


def _weights_used(scored: pd.DataFrame, configured: object) -> dict[str, float]:
    """The ``weight_<criterion>`` shares of a scored frame, else the configured weights."""
    columns = [f"weight_{key}" for key in CRITERIA]
    if all(c in scored.columns for c in columns) and len(scored):
        shares = scored[columns].iloc[0].to_numpy(dtype=float)
        if np.isfinite(shares).all() and shares.sum() > 0:
            return {
                key: float(w) / float(shares.sum()) for key, w in zip(CRITERIA, shares, strict=True)
            }
    return resolve_weights(configured)
