# Copyright (c) mmlpose contributors. All rights reserved.
"""Text-to-motion and motion-to-text retrieval (TMR protocol) of a
motion-language model."""
from typing import Dict, Optional, Sequence

import numpy as np
from mmengine.evaluator import BaseMetric
from mmengine.logging import MMLogger

from mmlpose.evaluation.functional.retrieval import (TIES, TMR_KS,
                                                     retrieval_metrics)
from mmlpose.evaluation.functional.sample_fields import lookup_field
from mmlpose.registry import METRICS


def _embedding(value, path: str) -> np.ndarray:
    if hasattr(value, 'detach'):  # a tensor, possibly on a GPU
        value = value.detach().cpu().numpy()
    value = np.asarray(value, dtype=np.float64)
    if value.ndim == 2 and value.shape[0] == 1:  # one instance
        value = value[0]
    if value.ndim != 1 or value.size == 0:
        raise ValueError(f'{path} must be one (D,) or (1, D) embedding per '
                         f'sample, got shape {value.shape}')
    return value


def _normalise(emb: np.ndarray, name: str) -> np.ndarray:
    if not np.isfinite(emb).all():
        raise ValueError(f'{name} embeddings contain NaN or infinite values')
    norm = np.linalg.norm(emb, axis=1, keepdims=True)
    if (norm == 0).any():
        raise ValueError(f'{name} embeddings of samples '
                         f'{np.flatnonzero(norm[:, 0] == 0).tolist()} are '
                         'zero: no direction for a cosine similarity')
    return emb / norm


@METRICS.register_module()
class MotionTextRetrieval(BaseMetric):
    """Retrieval between the motion and text embeddings of paired samples,
    TMR's protocol: R@k (%) and median rank, text-to-motion and
    motion-to-text, on the whole evaluated set and averaged over random
    batches of 32 (seed 0), beside their chance levels.

    Contract with the model (each predicted data sample, a dict as
    mmengine's evaluator passes it or a data element):

    - ``pred_instances.motion_embedding``: ``(D,)`` or ``(1, D)`` embedding of
      the sample's motion (array or tensor; any device);
    - ``pred_instances.text_embedding``: the same for the sample's sentence;
    - ``text`` (metainfo, in ``PackPoseInputs.meta_keys``): the sentence as a
      string, needed only with ``dedupe_texts``.

    The three paths are arguments (dotted keys), so a model may put them
    elsewhere. The embeddings are L2-normalised here and compared by cosine:
    ``sim[i, j] = cos(text_i, motion_j)``.

    Duplicated texts (several windows of one clip with one sentence): with
    ``dedupe_texts=True`` samples whose ``text`` strings are identical
    (exact match after stripping surrounding white space) are each other's
    positives in both directions: a text query is right with any motion of
    its sentence, a motion query with any copy of its sentence, and the
    copies are never negatives; every sample stays one query (so a sentence
    counts as often as it has windows). The chance levels account for the
    extra positives. With False each sample's own pair is its only positive
    (TMR's plain protocol); identical text embeddings then tie and
    ``ties`` decides.

    Keys: ``t2m/R@{k}``, ``t2m/MedR``, ``m2t/...``, ``chance/R@{k}``,
    ``chance/MedR`` on the whole set and, with at least ``batch_size``
    samples, ``t2m_b32/...``, ``m2t_b32/...``, ``chance_b32/...`` (see
    :func:`mmlpose.evaluation.functional.retrieval_metrics` for the batch
    rule, the ranks and the chance levels).

    Args:
        ks (Sequence[int]): The ``k`` of ``R@k``. Defaults to 1, 2, 3, 5, 10.
        batch_size (int, optional): Size of the protocol's random batches;
            None skips them. Defaults to 32.
        seed (int): Seed of the batch shuffle. Defaults to 0.
        ties (str): ``'average'``, ``'pessimistic'`` or ``'optimistic'``
            count of negatives tied with the positive. Defaults to
            ``'average'`` (TMR's).
        dedupe_texts (bool): Identical texts are positives of each other.
            Defaults to True.
        motion_key (str): Path of the motion embedding.
        text_key (str): Path of the text embedding.
        text_field (str): Path of the sentence string.
        collect_device (str): ``'cpu'`` or ``'gpu'``.
        prefix (str, optional): Metric name prefix.
    """

    default_prefix: Optional[str] = ''

    def __init__(self,
                 ks: Sequence[int] = TMR_KS,
                 batch_size: Optional[int] = 32,
                 seed: int = 0,
                 ties: str = 'average',
                 dedupe_texts: bool = True,
                 motion_key: str = 'pred_instances.motion_embedding',
                 text_key: str = 'pred_instances.text_embedding',
                 text_field: str = 'text',
                 collect_device: str = 'cpu',
                 prefix: Optional[str] = None) -> None:
        super().__init__(collect_device=collect_device, prefix=prefix)
        if ties not in TIES:
            raise ValueError(f'ties must be one of {TIES}, got {ties!r}')
        if batch_size is not None and batch_size < 1:
            raise ValueError(f'batch_size must be >= 1, got {batch_size}')
        self.ks = tuple(int(k) for k in ks)
        self.batch_size = batch_size
        self.seed = seed
        self.ties = ties
        self.dedupe_texts = dedupe_texts
        self.motion_key = motion_key
        self.text_key = text_key
        self.text_field = text_field

    def process(self, data_batch, data_samples: Sequence) -> None:
        """Collect the motion and text embeddings (and the sentence) of each
        predicted sample."""
        for sample in data_samples:
            result = {}
            paths = dict(motion=self.motion_key, text=self.text_key)
            for name, path in paths.items():
                value = lookup_field(sample, path)
                if value is None:
                    raise ValueError(f'MotionTextRetrieval needs {path} in '
                                     'every predicted sample (see its '
                                     'docstring for the contract)')
                result[name] = _embedding(value, path)
            sentence = lookup_field(sample, self.text_field)
            if self.dedupe_texts and not isinstance(sentence, str):
                raise ValueError(
                    f'dedupe_texts needs the sentence string at '
                    f'{self.text_field!r} of every sample (add it to '
                    'PackPoseInputs.meta_keys), or set dedupe_texts=False')
            result['sentence'] = sentence
            self.results.append(result)

    def compute_metrics(self, results: list) -> Dict[str, float]:
        if len(results) == 0:
            raise ValueError('MotionTextRetrieval got no samples to evaluate')
        dims = {(len(r['motion']), len(r['text'])) for r in results}
        if len(dims) != 1 or len(set(next(iter(dims)))) != 1:
            raise ValueError('motion and text embeddings must all have one '
                             'dimension D; got (motion, text) dimensions '
                             f'{sorted(dims)}')
        motion = _normalise(np.stack([r['motion'] for r in results]), 'motion')
        text = _normalise(np.stack([r['text'] for r in results]), 'text')
        sim = text @ motion.T
        positives = None
        num_texts = len(results)
        if self.dedupe_texts:
            _, groups = np.unique([r['sentence'].strip() for r in results],
                                  return_inverse=True)
            positives = groups[:, None] == groups[None]
            num_texts = int(groups.max()) + 1
        metrics = retrieval_metrics(
            sim,
            positives,
            ks=self.ks,
            batch_size=self.batch_size,
            seed=self.seed,
            ties=self.ties)
        summary = ', '.join(f'{key} {metrics[key]:.2f}'
                            for key in (f't2m/R@{self.ks[0]}',
                                        f'm2t/R@{self.ks[0]}',
                                        f'chance/R@{self.ks[0]}'))
        MMLogger.get_current_instance().info(
            f'retrieval over {len(results)} pairs ({num_texts} distinct '
            f'texts): {summary}')
        return metrics
