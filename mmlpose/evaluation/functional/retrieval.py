# Copyright (c) mmlpose contributors. All rights reserved.
"""Text-motion retrieval: ranks, recall at k, median rank and chance levels
under the TMR protocol (Petrovich et al., ICCV 2023).

Conventions (shared by every function here):

- ``sim`` is an ``(N, M)`` similarity matrix, higher is closer; for
  text-to-motion retrieval its rows are the text queries and its columns the
  motion candidates (as TMR's ``get_sim_matrix(texts, motions)``);
  motion-to-text uses its transpose.
- ``positives`` is an ``(N, M)`` bool matrix of correct candidates; ``None``
  means the diagonal (query ``i`` is paired with candidate ``i``).
- Ranks are 1-based: rank 1 means a correct candidate scored highest.
- The rank of a query is that of its best-scoring positive: 1 + the number
  of negatives scored strictly higher, plus a share of the negatives scored
  *exactly* as high (ties). Other positives never push a positive down, so
  several identical correct candidates all tied at the top give rank 1.
  ``ties`` decides the share of tied negatives: ``'average'`` (default,
  TMR's ``break_ties='averaging'``: half of them, the expected rank under a
  random order of the tied items), ``'pessimistic'`` (all of them: a model
  whose embeddings are all equal gets rank M, never a free R@1) or
  ``'optimistic'`` (none: TMR's ``'optimistically'``). With a single positive
  ``'average'`` equals TMR's mean position of the tied block.
- The batch protocol (TMR's ``guo`` protocol, after Guo et al. 2022):
  sample indices ``0..N-1`` in their given order are shuffled with
  ``np.random.RandomState(seed)`` (the same permutation as TMR's
  ``np.random.seed(0); np.random.shuffle(idx)``, without touching NumPy's
  global state), cut into consecutive chunks of ``batch_size`` and the last
  incomplete chunk is dropped; every metric, the median rank included, is
  computed inside each chunk and averaged over chunks. (TMR sorts its key
  ids before shuffling; here the order is the caller's, e.g. the data set
  order.)
- Chance levels are those of a random ordering of the candidates. A query
  with ``p`` positives among ``M`` candidates finds one in its top ``k`` with
  probability ``1 - C(M - p, k) / C(M, k)`` (hypergeometric; ``k / M`` for
  ``p = 1``), averaged over queries, in %; its expected rank is
  ``(M + 1) / (p + 1)`` (``(M + 1) / 2`` for ``p = 1``, also the median
  rank of a uniform draw), and the chance median rank is the median of that
  over queries.
"""
from typing import Dict, List, Optional, Sequence

import numpy as np
from scipy.stats import hypergeom

TIES = ('average', 'pessimistic', 'optimistic')
TMR_KS = (1, 2, 3, 5, 10)


def _to_numpy(value, name: str, dtype=np.float64) -> np.ndarray:
    if hasattr(value, 'detach'):  # a tensor, possibly on a GPU
        value = value.detach().cpu().numpy()
    try:
        return np.asarray(value, dtype=dtype)
    except (TypeError, ValueError) as err:
        raise ValueError(f'{name} must be numeric, got {type(value)}: '
                         f'{err}') from None


def _check_inputs(sim, positives) -> tuple:
    sim = _to_numpy(sim, 'sim')
    if sim.ndim != 2 or sim.size == 0:
        raise ValueError('sim must be a non-empty (N, M) matrix, got shape '
                         f'{sim.shape}')
    if not np.isfinite(sim).all():
        raise ValueError('sim contains NaN or infinite values')
    if positives is None:
        if sim.shape[0] != sim.shape[1]:
            raise ValueError('without positives the ground truth is the '
                             'diagonal: sim must be square, got shape '
                             f'{sim.shape}')
        positives = np.eye(len(sim), dtype=bool)
    else:
        positives = _to_numpy(positives, 'positives', dtype=bool)
        if positives.shape != sim.shape:
            raise ValueError(f'positives shape {positives.shape} does not '
                             f'match sim shape {sim.shape}')
        if not positives.any(1).all():
            raise ValueError('every query needs at least one positive; '
                             'rows without one: '
                             f'{np.flatnonzero(~positives.any(1)).tolist()}')
    return sim, positives


def retrieval_ranks(sim, positives=None, ties: str = 'average') -> np.ndarray:
    """1-based rank of the best-scoring positive of every query (row).

    Args:
        sim (array-like): ``(N, M)`` similarities, queries in rows.
        positives (array-like, optional): ``(N, M)`` bool correct candidates
            (at least one per row). Defaults to the diagonal (``N == M``).
        ties (str): Share of negatives tied with the best positive counted
            above it: ``'average'`` (half), ``'pessimistic'`` (all) or
            ``'optimistic'`` (none). See the module docstring.

    Returns:
        np.ndarray: ``(N,)`` float ranks in ``[1, M]`` (halves possible with
        ``'average'``).

    Example:
        >>> retrieval_ranks([[0.9, 0.1], [0.8, 0.3]])  # row 1: 0.8 > 0.3
        array([1., 2.])
    """
    if ties not in TIES:
        raise ValueError(f'ties must be one of {TIES}, got {ties!r}')
    sim, positives = _check_inputs(sim, positives)
    best = np.where(positives, sim, -np.inf).max(1, keepdims=True)
    negatives = ~positives
    above = (negatives & (sim > best)).sum(1)
    tied = (negatives & (sim == best)).sum(1)
    share = {'average': 0.5, 'pessimistic': 1., 'optimistic': 0.}[ties]
    return 1. + above + share * tied


def rank_metrics(ranks, ks: Sequence[int] = TMR_KS) -> Dict[str, float]:
    """Recall at ``k`` (%, share of ranks ``<= k``) and median rank.

    Args:
        ranks (array-like): ``(N,)`` 1-based ranks of N queries.
        ks (Sequence[int]): The ``k`` of ``R@k``.

    Returns:
        dict: ``'R@k'`` for each k, in %, and ``'MedR'``.
    """
    ranks = _to_numpy(ranks, 'ranks').reshape(-1)
    if ranks.size == 0:
        raise ValueError('rank_metrics needs at least one rank')
    metrics = {f'R@{k}': float((ranks <= k).mean() * 100) for k in ks}
    metrics['MedR'] = float(np.median(ranks))
    return metrics


def chance_metrics(num_candidates: int,
                   num_positives=1,
                   ks: Sequence[int] = TMR_KS) -> Dict[str, float]:
    """Retrieval metrics of a random ordering of the candidates.

    Args:
        num_candidates (int): M, the candidates of every query.
        num_positives (int | array-like): ``p`` per query (``(N,)``) or one
            for all. Defaults to 1.
        ks (Sequence[int]): The ``k`` of ``R@k``.

    Returns:
        dict: ``'R@k'`` (%), the hypergeometric probability of at least one
        positive in the top ``k`` averaged over queries, and ``'MedR'``, the
        median over queries of the expected rank ``(M + 1) / (p + 1)``.
    """
    num_pos = np.atleast_1d(_to_numpy(num_positives, 'num_positives'))
    if num_candidates < 1 or num_pos.size == 0 or (num_pos < 1).any() or (
            num_pos > num_candidates).any():
        raise ValueError('chance_metrics needs 1 <= num_positives <= '
                         f'num_candidates, got {num_candidates} candidates '
                         f'and positives in [{num_pos.min(initial=0)}, '
                         f'{num_pos.max(initial=0)}]')
    metrics = {}
    for k in ks:
        draws = min(int(k), int(num_candidates))
        miss = hypergeom.pmf(0, int(num_candidates), num_pos.astype(int),
                             draws)
        metrics[f'R@{k}'] = float((1. - miss).mean() * 100)
    metrics['MedR'] = float(np.median((num_candidates + 1) / (num_pos + 1)))
    return metrics


def tmr_batches(num_samples: int,
                batch_size: int = 32,
                seed: int = 0) -> List[np.ndarray]:
    """Sample indices of the TMR batch protocol.

    ``np.random.RandomState(seed)`` shuffles ``arange(num_samples)`` (TMR's
    permutation), which is cut into consecutive chunks of ``batch_size``;
    the last incomplete chunk is dropped.

    Returns:
        list[np.ndarray]: ``num_samples // batch_size`` index arrays of
        ``batch_size`` each (none when ``num_samples < batch_size``).
    """
    if batch_size < 1:
        raise ValueError(f'batch_size must be >= 1, got {batch_size}')
    order = np.arange(num_samples)
    np.random.RandomState(seed).shuffle(order)
    return [
        order[start:start + batch_size]
        for start in range(0, num_samples - batch_size + 1, batch_size)
    ]


def _both_directions(sim: np.ndarray, positives: np.ndarray, ks: Sequence[int],
                     ties: str) -> Dict[str, dict]:
    return dict(
        t2m=rank_metrics(retrieval_ranks(sim, positives, ties), ks),
        m2t=rank_metrics(retrieval_ranks(sim.T, positives.T, ties), ks),
        chance=chance_metrics(len(sim), positives.sum(1), ks))


def retrieval_metrics(sim,
                      positives=None,
                      ks: Sequence[int] = TMR_KS,
                      batch_size: Optional[int] = 32,
                      seed: int = 0,
                      ties: str = 'average') -> Dict[str, float]:
    """TMR retrieval metrics of N paired texts and motions, both directions,
    on the full set and on random batches.

    Args:
        sim (array-like): ``(N, N)`` similarities, ``sim[i, j]`` between
            text ``i`` and motion ``j``; pair ``i`` is text ``i`` with
            motion ``i``.
        positives (array-like, optional): ``(N, N)`` symmetric bool relation
            "the pairs ``i`` and ``j`` match" (e.g. identical texts); the
            diagonal is always positive. Defaults to the diagonal alone.
        ks (Sequence[int]): The ``k`` of ``R@k``. Defaults to TMR's
            1, 2, 3, 5, 10.
        batch_size (int, optional): Size of the protocol's random batches
            (32 in TMR); None skips them.
        seed (int): Seed of the batch shuffle (0 in TMR).
        ties (str): Tie rule of :func:`retrieval_ranks`.

    Returns:
        dict: ``'{d}/R@k'`` (%) and ``'{d}/MedR'`` for ``d`` in ``t2m``
        (text queries, motion candidates) and ``m2t``, ``'chance/R@k'`` and
        ``'chance/MedR'`` of the full set; when there is at least one
        complete batch the same keys with ``t2m_b{B}``, ``m2t_b{B}`` and
        ``chance_b{B}`` (B = ``batch_size``), averaged over batches.
    """
    sim, positives = _check_inputs(sim, positives)
    if sim.shape[0] != sim.shape[1]:
        raise ValueError('retrieval_metrics needs paired data: a square '
                         f'sim, got shape {sim.shape}')
    positives = positives | np.eye(len(sim), dtype=bool)
    if not (positives == positives.T).all():
        raise ValueError('positives must be symmetric: a relation between '
                         'pairs (e.g. "same text")')
    groups = {'': _both_directions(sim, positives, ks, ties)}
    if batch_size is not None:
        batches = [
            _both_directions(sim[np.ix_(idx, idx)],
                             positives[np.ix_(idx, idx)], ks, ties)
            for idx in tmr_batches(len(sim), batch_size, seed)
        ]
        if batches:
            groups[f'_b{batch_size}'] = {
                name: {
                    key: float(np.mean([b[name][key] for b in batches]))
                    for key in batches[0][name]
                }
                for name in batches[0]
            }
    return {
        f'{name}{suffix}/{key}': value
        for suffix, group in groups.items()
        for name, metrics in group.items()
        for key, value in metrics.items()
    }
