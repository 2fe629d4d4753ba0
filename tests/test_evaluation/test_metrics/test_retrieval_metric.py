# Copyright (c) mmlpose contributors. All rights reserved.
import numpy as np
import pytest
import torch
from mmengine.evaluator import Evaluator
from mmengine.structures import InstanceData
from mmpose.structures import PoseDataSample

from mmlpose.evaluation.metrics import MotionTextRetrieval
from mmlpose.registry import METRICS


def sample(motion, text, sentence=None):
    """A predicted data sample as the test loop passes it (a dict)."""
    result = dict(
        pred_instances=dict(motion_embedding=motion, text_embedding=text))
    if sentence is not None:
        result['text'] = sentence
    return result


def evaluate(metric, samples):
    metric.process([], samples)
    return metric.compute_metrics(metric.results)


def test_perfect_embeddings():
    rng = np.random.default_rng(0)
    emb = rng.normal(size=(40, 16))
    metric = MotionTextRetrieval(dedupe_texts=False)
    # scale does not matter: cosine similarity
    metrics = evaluate(metric, [sample(3 * e, e) for e in emb])
    for direction in ('t2m', 'm2t', 't2m_b32', 'm2t_b32'):
        assert metrics[f'{direction}/R@1'] == 100
        assert metrics[f'{direction}/R@10'] == 100
        assert metrics[f'{direction}/MedR'] == 1
    assert metrics['chance/R@1'] == pytest.approx(100 / 40)
    assert metrics['chance/R@5'] == pytest.approx(500 / 40)
    assert metrics['chance/MedR'] == pytest.approx(20.5)
    assert metrics['chance_b32/R@1'] == pytest.approx(100 / 32)
    assert metrics['chance_b32/MedR'] == pytest.approx(16.5)
    expected = {
        f'{d}/{m}'
        for d in ('t2m', 'm2t', 'chance', 't2m_b32', 'm2t_b32', 'chance_b32')
        for m in ('R@1', 'R@2', 'R@3', 'R@5', 'R@10', 'MedR')
    }
    assert set(metrics) == expected


def test_random_embeddings_are_near_chance():
    rng = np.random.default_rng(0)
    motion, text = rng.normal(size=(2, 300, 32))
    metrics = evaluate(
        MotionTextRetrieval(dedupe_texts=False),
        [sample(m, t) for m, t in zip(motion, text)])
    assert metrics['chance/R@10'] == pytest.approx(1000 / 300)
    # binomial standard deviation of R@10 over 300 queries: ~1 point
    for direction in ('t2m', 'm2t'):
        assert abs(metrics[f'{direction}/R@10'] - 1000 / 300) < 3.5
        assert 110 < metrics[f'{direction}/MedR'] < 190  # chance 150.5
        assert abs(metrics[f'{direction}_b32/R@10'] - 1000 / 32) < 10
        assert 11 < metrics[f'{direction}_b32/MedR'] < 22  # chance 16.5


def test_identical_texts_are_positives_of_each_other():
    """3 clips with 4 windows each; a clip's windows share a sentence (and
    so a text embedding); motions are the text plus small noise."""
    rng = np.random.default_rng(0)
    sentences = ['a person walks', 'a person jumps', 'a person waves']
    text_emb = rng.normal(size=(3, 8))
    samples = [
        sample(text_emb[c] + 0.01 * rng.normal(size=8), text_emb[c],
               sentences[c] + (' ' if w == 0 else ''))  # spaces stripped
        for c in range(3) for w in range(4)
    ]
    deduped = evaluate(MotionTextRetrieval(), samples)
    assert deduped['t2m/R@1'] == 100 and deduped['m2t/R@1'] == 100
    assert deduped['t2m/MedR'] == 1 and deduped['m2t/MedR'] == 1
    assert deduped['chance/R@1'] == pytest.approx(100 * 4 / 12)
    # 4 positives among 12: expected rank 13 / 5
    assert deduped['chance/MedR'] == pytest.approx(13 / 5)
    assert not any('_b32' in key for key in deduped)  # 12 < 32

    plain = evaluate(MotionTextRetrieval(dedupe_texts=False), samples)
    # a clip's 4 text queries have one row: only the query whose own motion
    # is the best of the clip's 4 gets rank 1
    assert plain['t2m/R@1'] == pytest.approx(100 * 3 / 12)
    # a motion's text ties with its 3 copies: rank 1 + 3 / 2 on average
    assert plain['m2t/MedR'] == 2.5 and plain['m2t/R@1'] == 0
    assert plain['chance/R@1'] == pytest.approx(100 / 12)


def test_through_the_evaluator_with_data_samples_and_tensors():
    rng = np.random.default_rng(0)
    emb = torch.from_numpy(rng.normal(size=(34, 6)).astype(np.float32))
    data_samples = []
    for i, e in enumerate(emb):
        data_sample = PoseDataSample(metainfo=dict(text=f'sentence {i}'))
        data_sample.pred_instances = InstanceData(
            motion_embedding=e[None], text_embedding=e[None] * 2)
        data_samples.append(data_sample)
    evaluator = Evaluator(
        METRICS.build(dict(type='MotionTextRetrieval', prefix='retrieval')))
    evaluator.process(data_samples[:20])
    evaluator.process(data_samples[20:])
    metrics = evaluator.evaluate(len(data_samples))
    assert metrics['retrieval/t2m/R@1'] == 100
    assert metrics['retrieval/m2t_b32/MedR'] == 1
    # data elements passed straight to the metric work as well
    direct = evaluate(MotionTextRetrieval(), data_samples)
    assert direct['t2m/R@1'] == 100


def test_custom_keys_and_ties():
    metric = MotionTextRetrieval(
        motion_key='embeddings.motion',
        text_key='embeddings.text',
        dedupe_texts=False,
        ties='pessimistic',
        batch_size=None)
    zeros = [dict(embeddings=dict(motion=[1., 0.], text=[1., 0.]))] * 4
    metrics = evaluate(metric, zeros)
    assert metrics['t2m/MedR'] == 4 and metrics['t2m/R@3'] == 0


@pytest.mark.parametrize('samples, kwargs, message', [
    ([], {}, 'no samples'),
    ([dict(pred_instances=dict(text_embedding=[1.]))
      ], dict(dedupe_texts=False), 'motion_embedding'),
    ([sample([1., 0.], [1., 0.])], {}, 'sentence'),
    ([sample(np.ones(
        (2, 3)), np.ones(3))], dict(dedupe_texts=False), r'\(D,\)'),
    ([sample(np.ones(3), np.ones(4))], dict(dedupe_texts=False), 'dimension'),
    ([sample(np.ones(3), np.ones(3)),
      sample(np.ones(4), np.ones(4))], dict(dedupe_texts=False), 'dimension'),
    ([sample(np.zeros(3), np.ones(3))], dict(dedupe_texts=False), 'zero'),
    ([sample(np.full(3, np.nan), np.ones(3))
      ], dict(dedupe_texts=False), 'NaN'),
])
def test_bad_input_raises_one_line_value_error(samples, kwargs, message):
    metric = MotionTextRetrieval(**kwargs)
    with pytest.raises(ValueError, match=message) as info:
        evaluate(metric, samples)
    assert '\n' not in str(info.value)


def test_bad_arguments():
    with pytest.raises(ValueError, match='ties'):
        MotionTextRetrieval(ties='random')
    with pytest.raises(ValueError, match='batch_size'):
        MotionTextRetrieval(batch_size=0)
