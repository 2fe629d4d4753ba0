# Copyright (c) mmlpose contributors. All rights reserved.
"""Video -> every person tracked -> 2D -> 3D -> the person a sentence
describes (-> optionally, the lifter adapted to the video at test time).
The one inference path of the demo, the API and the tools."""
import logging
import os
import os.path as osp
import time
from collections import defaultdict
from typing import Dict, Iterator, List, Optional, Sequence, Tuple, Union

import numpy as np
import torch
import torch.nn as nn
from mmengine.config import Config, ConfigDict
from mmengine.logging import print_log
from mmpose.apis.inferencers.base_mmpose_inferencer import \
    BaseMMPoseInferencer

from mmlpose.apis.inference import init_lifter, lift_multi_person
from mmlpose.apis.pose2d import fill_missing_frames
from mmlpose.registry import INFERENCERS, MODELS, TASK_UTILS
from mmlpose.structures import H36M_JOINT_NAMES, PersonTrack, VideoSequence
from .utils.inputs import (FrameSource, InputError, InputType,
                           collect_inputs)
from .utils.model_index import resolve_model

ConfigType = Union[Config, ConfigDict, dict]
SECONDS_PER_TURN = 12.  # the 3D view turns once in this many seconds
STAGES = ('decode', 'detect', 'track', '2D', 'lift', 'refer', 'adapt',
          'render')


def _round(array: np.ndarray, ndigits: int) -> list:
    return np.round(np.asarray(array, np.float64), ndigits).tolist()


def build_adapter(model_cfg: ConfigType,
                  adapt: Union[bool, ConfigType, None] = True):
    """The test-time adapter an ``adapt`` option asks for.

    Args:
        model_cfg (Config | dict): The lifter's config; its ``tta_cfg``
            field (if any) holds the adaptation settings.
        adapt (bool | dict): False/None: no adaptation (returns None);
            True: ``model_cfg.tta_cfg`` (the default ``SemanticTTA`` when
            absent); a dict: merged over ``model_cfg.tta_cfg`` key by key
            (nested dicts too), e.g. ``dict(epochs=1)``.

    Returns:
        SemanticTTA | None: Built by :func:`mmlpose.engine.tta.build_tta`.
    """
    if adapt is None or adapt is False:
        return None
    from mmlpose.engine.tta import build_tta
    if adapt is not True and not isinstance(adapt, dict):
        raise TypeError('adapt must be a bool or a dict of TTA settings, got '
                        f'{type(adapt).__name__}')
    base = model_cfg.get('tta_cfg')
    if adapt is True and base is None:
        return build_tta(None)
    merged = Config(dict(tta_cfg=dict(base or {})))
    if isinstance(adapt, dict):
        merged.merge_from_dict(dict(tta_cfg=dict(adapt)))
    tta_cfg = merged.tta_cfg.to_dict()
    tta_cfg.setdefault('type', 'SemanticTTA')
    return build_tta(tta_cfg)


def adaptation_json(adaptation: Dict[int, dict]) -> Dict[str, dict]:
    """The ``adaptation`` entry of the JSON: string track ids, rounded."""
    out = {}
    for track_id, summary in adaptation.items():
        entry = dict(summary)
        entry['seconds'] = round(entry['seconds'], 3)
        if entry.get('similarity') is not None:
            entry['similarity'] = round(entry['similarity'], 4)
        entry['losses'] = {k: round(v, 6) for k, v in entry['losses'].items()}
        out[str(track_id)] = entry
    return out


def adaptation_lines(adaptation: Dict[int, dict]) -> List[str]:
    """One printable line per adapted track of a result's ``adaptation``
    (what the demo and ``tools/tta.py`` print)."""
    lines = []
    for track_id, s in adaptation.items():
        text = f'"{s["text"]}"' if s['text'] else \
            'none (projection and smoothing only)'
        similarity = '-' if s['similarity'] is None else \
            f'{s["similarity"]:.3f}'
        losses = ', '.join(f'{k} {v:.4g}' for k, v in s['losses'].items())
        per_100 = 100. * s['seconds'] / max(s['num_frames'], 1)
        lines.append(
            f'adapted track {track_id}: {s["num_frames"]} frames, text '
            f'{text}, similarity {similarity}, {s["filled"]} keypoints '
            f'filled in, {s["seconds"]:.2f} s ({per_100:.2f} s / 100 '
            f'frames); last epoch: {losses or "-"}')
    return lines


def track_sequence(track: PersonTrack,
                   image_size: Tuple[int, int],
                   action_text: Optional[str] = None
                   ) -> Tuple[VideoSequence, slice]:
    """A track's frames from its first to its last 2D pose as the
    :class:`VideoSequence` an adapter takes.

    Frames inside that span where the person is absent get interpolated 2D
    (:func:`fill_missing_frames`) and zero scores, so that an adapter treats
    them as missing keypoints.

    Returns:
        tuple: The sequence (``meta``: ``track_id``, ``start``, ``fps``) and
        the span ``slice(first, last + 1)`` of video frames it covers.

    Raises:
        ValueError: The track has no 2D pose in any frame.
    """
    frame_ids = track.frame_ids
    if len(frame_ids) == 0:
        raise ValueError(f'track {track.track_id} has no 2D pose to adapt to')
    span = slice(int(frame_ids[0]), int(frame_ids[-1]) + 1)
    present = track.present[span]
    scores = np.where(present[:, None], track.keypoint_scores[span], 0.)
    sequence = VideoSequence(
        name=f'track_{track.track_id}',
        keypoints_2d=fill_missing_frames(track.keypoints_2d[span], present),
        keypoint_scores=np.nan_to_num(scores),
        image_size=image_size,
        action_text=action_text,
        meta=dict(
            track_id=int(track.track_id),
            start=span.start,
            fps=track.meta.get('fps')))
    return sequence, span


def select_tracks_to_adapt(tracks: List[PersonTrack],
                           referred_track_id: Optional[int],
                           sentence: Optional[str],
                           action_text: Optional[str] = None
                           ) -> Tuple[List[PersonTrack], Optional[str]]:
    """Which tracks to adapt, and with which motion text.

    A track the sentence referred: that track alone, with ``action_text``
    when given, else the sentence. Otherwise (no sentence, or no good
    match): every track with ``action_text``; without one, the adaptation
    has no text prior (projection and smoothing only) and a warning says so.

    Returns:
        tuple: The tracks (those with a 2D pose) and the text (or None).
    """
    if sentence is not None and referred_track_id is not None:
        chosen = [t for t in tracks if t.track_id == referred_track_id]
        text = action_text or sentence
    else:
        chosen, text = list(tracks), action_text
        if text is None and chosen:
            print_log(
                'adapting every track without a motion text (no sentence '
                'referred a track and no action_text): projection and '
                'smoothing losses only',
                logger='current',
                level=logging.WARNING)
    return [t for t in chosen if t.present.any()], text


def adapt_tracks(adapter,
                 lifter: nn.Module,
                 tracks: List[PersonTrack],
                 image_size: Tuple[int, int],
                 text: Optional[str] = None) -> Dict[int, dict]:
    """Adapt a copy of ``lifter`` to each track and put the adapted 3D in
    the track (``keypoints_3d``, zeros where absent); the 3D before
    adaptation moves to ``track.meta['keypoints_3d_before']``.

    Args:
        adapter (SemanticTTA): From :func:`build_adapter`.
        lifter (nn.Module): The lifter (not modified).
        tracks (list[PersonTrack]): Lifted tracks to adapt.
        image_size (tuple): ``(w, h)`` pixels.
        text (str, optional): The motion text of every track.

    Returns:
        dict: track id -> ``text``, ``num_frames`` (the adapted span),
        ``seconds``, ``filled`` (keypoints filled in from the projection),
        ``similarity`` (mean motion-text cosine of the last epoch, None
        without a text prior) and ``losses`` (the last epoch's means).
    """
    summaries = {}
    for track in tracks:
        sequence, span = track_sequence(track, image_size, text)
        out = adapter.adapt(lifter, sequence, text=text)
        present = track.present
        before = track.keypoints_3d
        if before is None:
            before = np.zeros(present.shape + out.keypoints_3d.shape[1:],
                              np.float32)
            before[span] = out.keypoints_3d_before
        adapted = np.zeros_like(before, dtype=np.float32)
        adapted[span] = out.keypoints_3d
        track.meta['keypoints_3d_before'] = (before * present[:, None, None]
                                             ).astype(np.float32)
        track.keypoints_3d = adapted * present[:, None, None]
        summaries[int(track.track_id)] = adaptation_summary(
            out, text, sequence.num_frames)
    return summaries


def adaptation_summary(out, text: Optional[str], num_frames: int) -> dict:
    """``text``, ``num_frames``, ``seconds``, ``filled`` (count),
    ``similarity`` (mean over the segments of the last epoch, None without
    a text prior) and ``losses`` (the last epoch's) of an
    :class:`~mmlpose.engine.tta.AdaptationResult`."""
    similarity = out.similarity[-1] if out.similarity else []
    losses = out.losses[-1] if out.losses else {}
    return dict(
        text=text,
        num_frames=int(num_frames),
        seconds=float(out.seconds),
        filled=int(np.asarray(out.filled).sum()),
        similarity=float(np.mean(similarity)) if len(similarity) else None,
        losses={k: float(v)
                for k, v in losses.items()})


@INFERENCERS.register_module(name='lifting-3d')
@INFERENCERS.register_module()
class LiftingInferencer(BaseMMPoseInferencer):
    """Language-referred multi-person 3D pose from videos and images.

    For each input: every person is detected, tracked and given a 2D pose
    (H36M-17) and a mask by ``pose2d`` (default: MediaPipe's bundled BlazePose
    models, :class:`mmlpose.apis.people.MultiPersonPose2D`); every track is
    lifted to 3D by the lifter (batched, :func:`lift_multi_person`); with a
    sentence, ``referrer`` scores the tracks and refers the best one when it
    reaches the referrer's threshold (else nobody: "no good match"); without
    one, the largest track is shown. With ``adapt``, a copy of the lifter is
    then adapted at test time
    (:class:`~mmlpose.engine.tta.SemanticTTA`) to each adapted track
    (:func:`select_tracks_to_adapt`: the referred track, with the action
    text or the sentence, else every track), whose 3D becomes the adapted
    one; the 3D before adaptation is kept.

    Args:
        model (str | Config | dict): A model alias or name from the metafiles
            (``configs/*/metafile.yml``, e.g. ``'mixste-tiny-deepmimic'``), a
            config path, or a config.
        weights (str, optional): Checkpoint path; by default the metafile's
            weights of an alias (a path relative to the repository root, or
            an URL). A config without weights gives random weights (with a
            warning).
        device (str, optional): Torch device of the lifter. Default: cuda if
            available, else cpu.
        pose2d (dict, optional): Config of the people stage (detector,
            tracker, 2D pose and mask), built from ``TASK_UTILS``. Default:
            the model config's ``pose2d`` field, else
            ``dict(type='MultiPersonPose2D')``.
        referrer (dict, optional): Config of the referrer, built from
            ``MODELS`` on the first call with a sentence. Default: the model
            config's ``referrer`` field, else
            ``dict(type='DescriptorReferrer')``.
        visualizer (dict, optional): Config of the visualizer
            (``VISUALIZERS``). Default: ``dict(type='LiftingVisualizer')``.
        num_referral_frames (int): How many frames (spread over the video) are
            kept for referrers that read pixels. Defaults to 16.
        batch_size (int): Lifting windows per forward pass. Defaults to 16.
        adapt (bool | dict): Test-time adaptation (:func:`build_adapter`):
            False (default) for none; True for the model config's
            ``tta_cfg`` (the default ``SemanticTTA`` when absent); a dict of
            settings merged over it, e.g. ``dict(epochs=1)``.
        scope (str): Registry scope. Defaults to ``'mmlpose'``.
        show_progress (bool): Show a progress bar per stage.
        unsafe_load (bool): Unpickle the checkpoints (lifter, referrer,
            adaptation) without restriction: only for files you trust. By
            default they load with ``torch.load(weights_only=True)`` and the
            allow-list of :mod:`mmlpose.engine.checkpoint`, and a checkpoint
            that does not match its model is refused (the config's
            ``load_strict=False`` accepts it with a warning).

    Example:
        >>> from mmlpose.apis import MMLPoseInferencer
        >>> inferencer = MMLPoseInferencer('mixste-tiny-deepmimic')
        >>> result = next(inferencer('clip.mp4', text='the woman walking'))
        >>> result['referred_track_id'], result['scores']
    """

    preprocess_kwargs: set = {'max_frames'}
    forward_kwargs: set = {'text', 'action_text'}
    visualize_kwargs: set = {'return_vis', 'vis_out_dir'}
    postprocess_kwargs: set = {'pred_out_dir', 'return_datasamples'}

    def __init__(self,
                 model: Union[str, ConfigType],
                 weights: Optional[str] = None,
                 device: Optional[str] = None,
                 pose2d: Optional[ConfigType] = None,
                 referrer: Optional[ConfigType] = None,
                 visualizer: Optional[ConfigType] = None,
                 num_referral_frames: int = 16,
                 batch_size: int = 16,
                 adapt: Union[bool, ConfigType] = False,
                 scope: str = 'mmlpose',
                 show_progress: bool = False,
                 unsafe_load: bool = False) -> None:
        from mmlpose.utils import register_all_modules
        register_all_modules(init_default_scope=False)
        start = time.perf_counter()
        cfg, weights = resolve_model(model, weights)
        if device is None:
            device = 'cuda' if torch.cuda.is_available() else 'cpu'
        self.scope = scope
        self.cfg = cfg
        self.unsafe_load = bool(unsafe_load)
        self.model = self._init_model(cfg, weights, device)
        self.pipeline = None  # the lifter's codec normalises, see lift_*
        self.collate_fn = None
        self._visualizer_cfg = visualizer or dict(type='LiftingVisualizer')
        self.show_progress = show_progress
        self.people = TASK_UTILS.build(
            pose2d or cfg.get('pose2d', dict(type='MultiPersonPose2D')))
        self._referrer_cfg = referrer or cfg.get(
            'referrer', dict(type='DescriptorReferrer'))
        self._referrer = None
        self.num_referral_frames = int(num_referral_frames)
        self.batch_size = int(batch_size)
        from mmlpose.engine.checkpoint import unsafe_loading
        with unsafe_loading(self.unsafe_load):
            self.adapter = build_adapter(cfg, adapt)
        self.load_seconds = time.perf_counter() - start

    def _init_model(self, cfg: ConfigType, weights: Optional[str],
                    device: str = 'cpu') -> nn.Module:
        """The lifter through :func:`mmlpose.apis.init_lifter` (the one
        loading path: checkpoint meta, dataset meta, eval mode)."""
        if weights is None:
            print_log(
                'no weights given: the lifter has random weights',
                logger='current',
                level=logging.WARNING)
        return init_lifter(
            cfg, weights, device=device, unsafe_load=self.unsafe_load)

    @property
    def referrer(self):
        """The referrer, built on first use (it may load a text encoder)."""
        if self._referrer is None:
            from mmlpose.engine.checkpoint import unsafe_loading
            with unsafe_loading(self.unsafe_load):
                self._referrer = MODELS.build(self._referrer_cfg)
        return self._referrer

    # ------------------------------------------------------------------
    def __call__(self,
                 inputs: Union[InputType, Sequence[InputType]],
                 text: Optional[str] = None,
                 out_dir: Optional[str] = None,
                 **kwargs) -> Iterator[dict]:
        """Run on each input and yield one result per input.

        Args:
            inputs: A video, an image, a folder of them, an ``(H, W, 3)`` BGR
                array, or a list of these.
            text (str, optional): A sentence describing the person to refer
                to ("the woman walking across the grass").
            out_dir (str, optional): Sets ``pred_out_dir`` and
                ``vis_out_dir`` to this folder when they are not given.
            **kwargs: ``max_frames`` (first N frames of a video),
                ``action_text`` (the action prompt of text-guided lifters,
                e.g. ``'walk'``), ``pred_out_dir`` (write
                ``<name>_3d.json``), ``vis_out_dir`` (write
                ``<name>_3d.mp4``, or ``.jpg``/``.png`` for an image),
                ``return_vis`` (return the rendered frames).

        Yields:
            dict: ``predictions`` (per frame ``{frame, persons: [...]}``),
            ``text``, ``referred_track_id``, ``matched``, ``scores``
            (track_id -> score), ``descriptions``, ``tracks``
            (list of :class:`PersonTrack`), ``timings`` (seconds per stage),
            ``adaptation`` (adapted track id -> ``text``, ``num_frames``,
            ``seconds``, ``filled``, ``similarity``, ``losses``; empty
            without ``adapt``; an adapted track's 3D before adaptation is
            in ``track.meta['keypoints_3d_before']``),
            ``num_frames``, ``fps``, ``width``, ``height``, ``json_path`` and
            ``vis_path`` (None when not written), ``visualization``, and
            ``referral_frames`` (frame index -> BGR image: the sample of
            frames the referrer saw, for :meth:`refer`).
        """
        if out_dir is not None:
            kwargs.setdefault('pred_out_dir', out_dir)
            kwargs.setdefault('vis_out_dir', out_dir)
        pre, fwd, vis, post = self._dispatch_kwargs(text=text, **kwargs)
        sources = collect_inputs(inputs, **pre)
        for source in sources:
            yield self._run_one(source, fwd, vis, post)

    def _run_one(self, source: FrameSource, fwd: dict, vis: dict,
                 post: dict) -> dict:
        start = time.perf_counter()
        times: Dict[str, float] = defaultdict(float)
        text = fwd.get('text')
        if text is not None and not text.strip():
            raise InputError('the referring sentence (text) is empty')
        tracks, kept, size, num_frames = self._track_people(source, times)
        fps = source.fps()
        for track in tracks:
            track.meta.setdefault('fps', fps or 30.)
        self._lift_tracks(tracks, size, fwd.get('action_text'), times)

        t = time.perf_counter()
        referral = None
        if text is not None:
            referral = self.referrer(text, tracks, kept, size)
            referred = referral.referred_track_id
        else:
            referred = max(tracks, key=lambda tr: tr.mean_area()).track_id \
                if tracks else None
        times['refer'] += time.perf_counter() - t

        adaptation = {}
        if self.adapter is not None and tracks:
            t = time.perf_counter()
            chosen, adapt_text = select_tracks_to_adapt(
                tracks, referred if referral else None, text,
                fwd.get('action_text'))
            adaptation = adapt_tracks(self.adapter, self.model, chosen, size,
                                      adapt_text)
            times['adapt'] += time.perf_counter() - t

        result = dict(
            name=source.name,
            input=source.path,
            text=text,
            referred_track_id=referred,
            matched=referral.matched if referral else None,
            threshold=referral.threshold if referral else None,
            scores=referral.scores if referral else {},
            descriptions=referral.descriptions if referral else {},
            adaptation=adaptation,
            tracks=tracks,
            num_frames=num_frames,
            fps=fps,
            width=size[0],
            height=size[1],
            predictions=self._frame_records(tracks, num_frames, referred),
            referral_frames=kept,
        )
        result['visualization'], result['vis_path'] = self._render(
            source, tracks, referred, text, result['fps'], times, **vis)
        times = {s: times.get(s, 0.) for s in STAGES}
        result['timings'] = times
        result['total_seconds'] = time.perf_counter() - start
        result['json_path'] = self._write_json(result, **post)
        return result

    def refer(self, result: dict, text: str):
        """Score the tracks of an earlier result against another sentence,
        without running the video again.

        Args:
            result (dict): A result yielded by :meth:`__call__`.
            text (str): The sentence.

        Returns:
            ReferralResult: Scores per track and the referred track (None
            for "no good match").
        """
        return self.referrer(text, result['tracks'],
                             result['referral_frames'],
                             (result['width'], result['height']))

    # --- stages -------------------------------------------------------
    def _track_people(self, source: FrameSource, times: Dict[str, float]
                      ) -> Tuple[List[PersonTrack], Dict[int, np.ndarray],
                                 Tuple[int, int], int]:
        """Decode every frame, detect, track, estimate 2D and masks; keep a
        spread sample of frames for the referrer."""
        hint = source.frame_count_hint()
        stride = max(1, -(-hint // self.num_referral_frames)) if hint else 8
        self.people.reset()
        people_times = getattr(self.people, 'times', None)
        kept: Dict[int, np.ndarray] = {}
        size = None
        num_frames = 0
        frames = source.frames()
        if self.show_progress:
            from tqdm import tqdm
            frames = tqdm(
                frames, total=hint or None, desc='people', unit='frame')
        t = time.perf_counter()
        for idx, frame in enumerate(frames):
            times['decode'] += time.perf_counter() - t
            if size is None:
                size = (frame.shape[1], frame.shape[0])
            self.people.process(frame, idx)
            if idx % stride == 0:
                kept[idx] = frame
            num_frames += 1
            t = time.perf_counter()
        if num_frames == 0:
            raise InputError(f'no frames in {source.path}: the video is '
                             'empty')
        tracks = self.people.finalize(num_frames)
        if people_times:
            for key, secs in people_times.items():
                times[key] += secs
        return tracks, kept, size, num_frames

    def _lift_tracks(self, tracks: List[PersonTrack], size: Tuple[int, int],
                     action_text: Optional[str],
                     times: Dict[str, float]) -> None:
        """Lift every track at once. A track's frames without a person are
        filled by interpolation (held at the ends) for the lifter only; its
        3D is kept on the frames where it has a 2D pose, zero elsewhere."""
        t = time.perf_counter()
        if tracks:
            present = np.stack([tr.present for tr in tracks])
            filled = np.stack([
                fill_missing_frames(tr.keypoints_2d, tr.present)
                for tr in tracks
            ])
            lifted = lift_multi_person(
                self.model,
                filled,
                np.ones_like(present),
                size,
                batch_size=self.batch_size,
                action_text=action_text)
            for tr, kpts, ok in zip(tracks, lifted, present):
                tr.keypoints_3d = (kpts * ok[:, None, None]).astype(
                    np.float32)
        times['lift'] += time.perf_counter() - t

    @staticmethod
    def _frame_records(tracks: List[PersonTrack], num_frames: int,
                       referred: Optional[int]) -> List[dict]:
        """Per frame, every present person with box, 2D, scores and 3D (and
        ``keypoints_3d_before`` for an adapted track)."""
        records = [dict(frame=i, persons=[]) for i in range(num_frames)]
        for tr in sorted(tracks, key=lambda x: x.track_id):
            before = tr.meta.get('keypoints_3d_before')
            for i in tr.frame_ids:
                person = dict(
                    track_id=int(tr.track_id),
                    bbox=_round(tr.bboxes[i], 1),
                    keypoints_2d=_round(tr.keypoints_2d[i], 2),
                    keypoint_scores=_round(tr.keypoint_scores[i], 4),
                    keypoints_3d=_round(tr.keypoints_3d[i], 5)
                    if tr.keypoints_3d is not None else None,
                    referred=tr.track_id == referred)
                if before is not None:
                    person['keypoints_3d_before'] = _round(before[i], 5)
                records[i]['persons'].append(person)
        return records

    def _render(self,
                source: FrameSource,
                tracks: List[PersonTrack],
                referred: Optional[int],
                text: Optional[str],
                fps: Optional[float],
                times: Dict[str, float],
                vis_out_dir: str = '',
                return_vis: bool = False) -> Tuple[list, Optional[str]]:
        """Draw every frame (all skeletons, the referred person highlighted
        with its mask, its 3D beside) to ``vis_out_dir`` and/or memory."""
        if not vis_out_dir and not return_vis:
            return [], None
        t = time.perf_counter()
        visualizer = self._build_visualizer(fps)
        out_path, writer = None, None
        frames_out = []
        if vis_out_dir:
            os.makedirs(vis_out_dir, exist_ok=True)
            ext = '.mp4'
            if source.kind == 'image':
                ext = '.png' if (source.path or '').lower().endswith(
                    '.png') else '.jpg'
            out_path = osp.join(vis_out_dir, f'{source.name}_3d{ext}')
        try:
            for idx, frame in enumerate(source.frames()):
                canvas = visualizer.draw_tracks(
                    frame, tracks, referred, frame_idx=idx, text=text)
                if return_vis:
                    frames_out.append(canvas)
                if out_path is None:
                    continue
                if source.kind == 'image':
                    import cv2
                    if not cv2.imwrite(out_path, canvas):
                        raise InputError(f'cannot write image {out_path}')
                    continue
                if writer is None:
                    from mmlpose.visualization import VideoWriterThread
                    writer = VideoWriterThread(out_path, fps or 30.,
                                               canvas.shape[1::-1])
                writer.write(canvas)
        finally:
            if writer is not None:
                writer.close()
            visualizer.close()
        times['render'] += time.perf_counter() - t
        return frames_out, out_path

    def _build_visualizer(self, fps: Optional[float]):
        """The visualizer for one input; by default its 3D view turns once
        in ``SECONDS_PER_TURN`` seconds of video."""
        from mmlpose.registry import VISUALIZERS
        cfg = dict(self._visualizer_cfg)
        if fps and cfg.get('type') == 'LiftingVisualizer':
            cfg.setdefault('azim_step', 360. / (fps * SECONDS_PER_TURN))
        return VISUALIZERS.build(cfg)

    @staticmethod
    def _write_json(result: dict,
                    pred_out_dir: str = '',
                    return_datasamples: bool = False) -> Optional[str]:
        """Write ``<name>_3d.json`` (see docs/demo.md for the layout)."""
        if return_datasamples:
            raise ValueError('return_datasamples is not supported: the '
                             'results are per-video tracks, see "tracks"')
        if not pred_out_dir:
            return None
        import json
        os.makedirs(pred_out_dir, exist_ok=True)
        path = osp.join(pred_out_dir, f'{result["name"]}_3d.json')
        payload = dict(
            input=result['input'],
            text=result['text'],
            referred_track_id=result['referred_track_id'],
            matched=result['matched'],
            threshold=result['threshold'],
            scores={str(k): round(v, 4)
                    for k, v in result['scores'].items()},
            descriptions={str(k): v
                          for k, v in result['descriptions'].items()},
            adaptation=adaptation_json(result.get('adaptation', {})),
            track_ids=[int(t.track_id) for t in result['tracks']],
            fps=result['fps'],
            width=result['width'],
            height=result['height'],
            num_frames=result['num_frames'],
            joint_names=list(H36M_JOINT_NAMES),
            keypoints_2d_units='pixels',
            keypoints_3d_units='metres, root-relative, camera axes '
            '(x right, y down, z forward)',
            timings={k: round(v, 4)
                     for k, v in result['timings'].items()},
            frames=result['predictions'])
        with open(path, 'w') as f:
            json.dump(payload, f)
        return path
