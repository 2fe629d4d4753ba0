# Copyright (c) mmlpose contributors. All rights reserved.
import numpy as np
import pytest
import torch

from mmlpose.evaluation.functional import (chance_metrics, rank_metrics,
                                           retrieval_metrics, retrieval_ranks,
                                           tmr_batches)

# rows: texts, columns: motions; ground truth on the diagonal
SIM3 = np.array([[0.9, 0.5, 0.1], [0.7, 0.6, 0.8], [0.2, 0.3, 0.1]])


def test_ranks_of_a_3x3_matrix_by_hand():
    # row 0: 0.9 is the best -> 1; row 1: 0.7 and 0.8 beat 0.6 -> 3;
    # row 2: 0.2 and 0.3 beat 0.1 -> 3
    np.testing.assert_array_equal(retrieval_ranks(SIM3), [1, 3, 3])
    # motion queries (columns): column 0 -> 1; column 1: 0.6 best -> 1;
    # column 2: gt 0.1 (row 2), 0.8 above, 0.1 of row 0 tied with it
    np.testing.assert_array_equal(
        retrieval_ranks(SIM3.T, ties='average'), [1, 1, 2.5])
    np.testing.assert_array_equal(
        retrieval_ranks(SIM3.T, ties='pessimistic'), [1, 1, 3])
    np.testing.assert_array_equal(
        retrieval_ranks(SIM3.T, ties='optimistic'), [1, 1, 2])
    # tensors are accepted
    np.testing.assert_array_equal(
        retrieval_ranks(torch.tensor(SIM3)), [1, 3, 3])


def test_ties_of_a_constant_matrix():
    sim = np.ones((4, 4))
    np.testing.assert_array_equal(retrieval_ranks(sim), [2.5] * 4)
    np.testing.assert_array_equal(
        retrieval_ranks(sim, ties='pessimistic'), [4] * 4)
    np.testing.assert_array_equal(
        retrieval_ranks(sim, ties='optimistic'), [1] * 4)


def test_rank_of_the_best_positive_and_tied_positives():
    sim = np.array([[0.1, 0.5, 0.9, 0.7], [0.4, 0.4, 0.4, 0.2]])
    positives = np.array([[True, False, False, True],
                          [True, True, False, False]])
    # row 0: best positive 0.7, one negative (0.9) above -> 2
    # row 1: positives 0.4 and 0.4 tie with each other (no penalty) and
    #        with the negative 0.4 of column 2 (half of it on average)
    np.testing.assert_array_equal(retrieval_ranks(sim, positives), [2, 1.5])
    np.testing.assert_array_equal(
        retrieval_ranks(sim, positives, ties='optimistic'), [2, 1])


def test_recall_at_k_and_median_rank_on_a_built_case():
    wanted = np.array([1, 2, 3, 5, 10, 11, 1, 4, 12, 7, 2, 6])
    n = len(wanted)
    rng = np.random.default_rng(0)
    sim = np.zeros((n, n))
    for i, rank in enumerate(wanted):
        # the negatives score 1..n-1 in a random order; the positive sits
        # just above rank - 1 of them
        others = [j for j in range(n) if j != i]
        sim[i, others] = rng.permutation(np.arange(1, n))
        sim[i, i] = n - rank + 0.5
    np.testing.assert_array_equal(retrieval_ranks(sim), wanted)
    metrics = retrieval_metrics(sim, batch_size=None)
    # ranks <= 1: 2, <= 2: 4, <= 3: 5, <= 5: 7, <= 10: 10 of 12
    expected = {'R@1': 2, 'R@2': 4, 'R@3': 5, 'R@5': 7, 'R@10': 10}
    for key, count in expected.items():
        assert metrics[f't2m/{key}'] == pytest.approx(100 * count / n)
    assert metrics['t2m/MedR'] == 4.5  # median of 1,1,2,2,3,4,5,...
    m2t = rank_metrics(retrieval_ranks(sim.T))
    for key, value in m2t.items():
        assert metrics[f'm2t/{key}'] == value
    assert metrics['chance/R@1'] == pytest.approx(100 / 12)
    assert metrics['chance/R@10'] == pytest.approx(1000 / 12)
    assert metrics['chance/MedR'] == pytest.approx(6.5)
    assert not any('_b' in key for key in metrics)


def test_tmr_batches_of_70_samples():
    batches = tmr_batches(70, batch_size=32, seed=0)
    assert [len(b) for b in batches] == [32, 32]
    # TMR: np.random.seed(0); np.random.shuffle(idx); consecutive chunks,
    # the 6 samples of the incomplete third chunk are dropped
    state = np.random.get_state()
    try:
        np.random.seed(0)
        idx = np.arange(70)
        np.random.shuffle(idx)
    finally:
        np.random.set_state(state)
    np.testing.assert_array_equal(batches[0], idx[:32])
    np.testing.assert_array_equal(batches[1], idx[32:64])
    assert tmr_batches(31) == []


def test_batch_protocol_averages_the_two_batches():
    rng = np.random.default_rng(1)
    emb = rng.normal(size=(70, 8))
    sim = emb @ (emb + rng.normal(size=(70, 8))).T
    metrics = retrieval_metrics(sim)
    b1, b2 = tmr_batches(70)
    for direction, matrix in (('t2m', sim), ('m2t', sim.T)):
        per_batch = [
            rank_metrics(retrieval_ranks(matrix[np.ix_(b, b)]))
            for b in (b1, b2)
        ]
        for key in per_batch[0]:
            assert metrics[f'{direction}_b32/{key}'] == pytest.approx(
                (per_batch[0][key] + per_batch[1][key]) / 2)
    assert metrics['chance_b32/R@1'] == pytest.approx(100 / 32)
    assert metrics['chance_b32/R@5'] == pytest.approx(500 / 32)
    assert metrics['chance_b32/MedR'] == pytest.approx(16.5)
    assert metrics['chance/R@1'] == pytest.approx(100 / 70)
    assert metrics['chance/MedR'] == pytest.approx(35.5)
    # another seed, other batches
    other = retrieval_metrics(sim, seed=1)
    assert other['t2m/R@1'] == metrics['t2m/R@1']
    assert other['t2m_b32/MedR'] != metrics['t2m_b32/MedR']


def test_chance_with_several_positives():
    # 2 positives among 4: top-1 hit 2/4; top-2 misses only if both
    # drawn are negatives: 1 - C(2,2)/C(4,2) = 5/6
    chance = chance_metrics(4, 2, ks=(1, 2, 3))
    assert chance['R@1'] == pytest.approx(50)
    assert chance['R@2'] == pytest.approx(500 / 6)
    assert chance['R@3'] == pytest.approx(100)
    assert chance['MedR'] == pytest.approx(5 / 3)
    # k beyond the candidates: certain
    assert chance_metrics(3, 1, ks=(10, ))['R@10'] == pytest.approx(100)
    # averaged over queries with 1 and 3 positives among 4
    assert chance_metrics(4, [1, 3], ks=(1, ))['R@1'] == pytest.approx(50)


def test_positives_relation_in_retrieval_metrics():
    # samples 0 and 1 share a text: identical text embeddings
    text = np.array([[1., 0.], [1., 0.], [0., 1.]])
    motion = np.array([[1., 0.1], [1., -0.1], [0., 1.]])
    sim = text @ motion.T
    same = np.array([[1, 1, 0], [1, 1, 0], [0, 0, 1]], bool)
    plain = retrieval_metrics(sim, batch_size=None)
    deduped = retrieval_metrics(sim, same, batch_size=None)
    # plain: texts 0 and 1 score both their motions 1: a tie with the other
    # pair, average rank 1.5; the same for motions 0 and 1 as queries
    assert plain['t2m/R@1'] == pytest.approx(100 / 3)
    assert plain['m2t/R@1'] == pytest.approx(100 / 3)
    assert deduped['t2m/R@1'] == 100 and deduped['m2t/R@1'] == 100
    # chance: 2 of 3, 2 of 3, 1 of 3 positives
    assert deduped['chance/R@1'] == pytest.approx(100 * (2 + 2 + 1) / 9)


@pytest.mark.parametrize('call, message', [
    (lambda: retrieval_ranks(np.zeros((2, 3))), 'square'),
    (lambda: retrieval_ranks(np.zeros((0, 0))), 'non-empty'),
    (lambda: retrieval_ranks(np.zeros(3)), 'non-empty'),
    (lambda: retrieval_ranks([[np.nan, 0], [0, 1]]), 'NaN'),
    (lambda: retrieval_ranks(np.eye(2), np.eye(3)), 'does not match'),
    (lambda: retrieval_ranks(np.eye(2), np.zeros((2, 2))), 'at least one'),
    (lambda: retrieval_ranks(np.eye(2), ties='random'), 'ties'),
    (lambda: retrieval_metrics(np.eye(2, 3), np.eye(2, 3)), 'square'),
    (lambda: retrieval_metrics(np.eye(3), np.triu(np.ones(
        (3, 3)))), 'symmetric'),
    (lambda: rank_metrics([]), 'at least one'),
    (lambda: chance_metrics(3, 4), 'num_positives'),
    (lambda: tmr_batches(10, batch_size=0), 'batch_size'),
])
def test_bad_input_raises_one_line_value_error(call, message):
    with pytest.raises(ValueError, match=message) as info:
        call()
    assert '\n' not in str(info.value)
