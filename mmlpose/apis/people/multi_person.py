# Copyright (c) mmlpose contributors. All rights reserved.
"""Every person of a video, offline: detection, tracking, 2D pose and mask.

The detector runs every ``detect_interval`` frames (every
``redetect_interval`` frames while the tracker misses someone, and on the
frame after a followed person is lost); in between every person is followed
by the ROI that its own landmarks predict for the next frame, as MediaPipe's
pose tracking does for one person. The tracker then gives each frame's
people their identities.
"""
import time
from typing import Dict, List, Optional, Union

import numpy as np

from mmlpose.registry import TASK_UTILS
from mmlpose.structures import PersonTrack
from .tracker import hsv_histogram

ConfigOrModule = Union[dict, object]


def _build(cfg: ConfigOrModule):
    return TASK_UTILS.build(cfg) if isinstance(cfg, dict) else cfg


@TASK_UTILS.register_module()
class MultiPersonPose2D:
    """Offline multi-person 2D pose (H36M-17) and masks of a video.

    Args:
        detector (dict | object): Person detector config (default
            :class:`BlazePoseDetector`) or instance: ``detector(image)``
            returns a dict with ``rois`` ``(N, 5)`` and ``scores``.
        landmarker (dict | object): Per-ROI pose model config (default
            :class:`BlazePoseLandmarker`) or instance.
        tracker (dict | object): Tracker config (default
            :class:`HungarianTracker`) or instance.
        detect_interval (int): Run the detector every this many frames (and
            after a followed person is lost, or while nobody is followed);
            1 detects on every frame. Defaults to 10: on the sports2d clip
            it keeps the same two tracks as 1 at 57% of its CPU time (39
            against 68 ms per frame, one thread), and a person walking in
            is found within a third of a second at 30 frames/s.
        redetect_interval (int): Detect every this many frames while the
            tracker has lost a person (missed or occluded, not yet expired).
            Defaults to 2.
        min_track_frames (int): ``finalize`` drops tracks present on fewer
            frames (at most the video's length). Defaults to 5.
        max_people (int): Follow at most this many people. Defaults to 10.
        duplicate_distance (float): Two poses whose mean keypoint distance
            is below this fraction of the box height are one person.
            Defaults to 0.15.
        new_person_distance (float): A detection whose ROI centre is within
            this fraction of a followed ROI's side is that person, not a new
            one. Defaults to 0.3.
        with_appearance (bool): Give the tracker HSV histograms of the
            masked pixels (without them the man of the sports2d clip splits
            into two tracks at his flip off the box). Defaults to True.

    Example:
        >>> pose2d = MultiPersonPose2D()
        >>> for i, frame in enumerate(frames):
        ...     people = pose2d.process(frame, i)
        >>> tracks = pose2d.finalize(len(frames))
        >>> pose2d.times  # seconds per stage: detect, track, 2D
    """

    def __init__(self,
                 detector: ConfigOrModule = dict(type='BlazePoseDetector'),
                 landmarker: ConfigOrModule = dict(type='BlazePoseLandmarker'),
                 tracker: ConfigOrModule = dict(type='HungarianTracker'),
                 detect_interval: int = 10,
                 redetect_interval: int = 2,
                 min_track_frames: int = 5,
                 max_people: int = 10,
                 duplicate_distance: float = 0.15,
                 new_person_distance: float = 0.3,
                 with_appearance: bool = True) -> None:
        if int(detect_interval) < 1:
            raise ValueError('detect_interval must be >= 1, got '
                             f'{detect_interval}')
        if int(redetect_interval) < 1:
            raise ValueError('redetect_interval must be >= 1, got '
                             f'{redetect_interval}')
        if int(min_track_frames) < 1:
            raise ValueError('min_track_frames must be >= 1, got '
                             f'{min_track_frames}')
        self.detector = _build(detector)
        self.landmarker = _build(landmarker)
        self.tracker = _build(tracker)
        self.detect_interval = int(detect_interval)
        self.redetect_interval = int(redetect_interval)
        self.min_track_frames = int(min_track_frames)
        self.max_people = int(max_people)
        self.duplicate_distance = duplicate_distance
        self.new_person_distance = new_person_distance
        self.with_appearance = with_appearance
        self.reset()

    def reset(self) -> None:
        """Start a new video: no track, no timing, tracker ids from 0."""
        self.times: Dict[str, float] = {'detect': 0., 'track': 0., '2D': 0.}
        self.num_detections = 0  # frames the detector ran on
        self._records: Dict[int, Dict[int, dict]] = {}
        self._follow = np.zeros((0, 5), np.float32)
        self._last_detect: Optional[int] = None
        self._lost = False
        self._last_frame: Optional[int] = None
        if hasattr(self.tracker, 'reset'):
            self.tracker.reset()

    def _should_detect(self, frame_idx: int) -> bool:
        """Detect on the first frame, every ``detect_interval`` frames,
        every ``redetect_interval`` frames while the tracker misses someone,
        after a followed person was lost and while nobody is followed."""
        if self._lost or not len(self._follow) or self._last_detect is None:
            return True
        interval = self.detect_interval
        if getattr(self.tracker, 'num_lost', 0):
            interval = min(interval, self.redetect_interval)
        return frame_idx - self._last_detect >= interval

    def _new_rois(self, frame_bgr: np.ndarray) -> np.ndarray:
        """ROIs of detected people that no followed ROI covers yet."""
        det = self.detector(frame_bgr)
        self.num_detections += 1
        rois = np.asarray(det['rois'], np.float32).reshape(-1, 5)
        if len(self._follow) and len(rois):
            dist = np.linalg.norm(
                rois[:, None, :2] - self._follow[None, :, :2], axis=2)
            side = np.maximum(rois[:, None, 2], self._follow[None, :, 2])
            covered = (dist < self.new_person_distance * side).any(axis=1)
            rois = rois[~covered]
        return rois[:max(self.max_people - len(self._follow), 0)]

    def _dedupe(self, people: List[dict]) -> List[dict]:
        """Drop a pose that repeats a better one (two ROIs on one person);
        ``people`` is ordered by priority (followed first)."""
        kept: List[dict] = []
        for p in people:
            height = max(p['bbox'][3] - p['bbox'][1], 1.)
            same = any(
                np.linalg.norm(p['keypoints'] - q['keypoints'], axis=1).mean()
                < self.duplicate_distance * height for q in kept)
            if not same:
                kept.append(p)
        return kept[:self.max_people]

    def process(self, frame_bgr: np.ndarray, frame_idx: int) -> List[dict]:
        """Detect, follow and track the people of one frame.

        Args:
            frame_bgr (np.ndarray): ``(H, W, 3)`` uint8 BGR frame.
            frame_idx (int): Index of the frame in the video (increasing).

        Returns:
            list[dict]: one dict per person: ``track_id`` (tracker id;
            ``finalize`` renumbers), ``bbox`` ``(4,)`` xyxy, ``bbox_score``,
            ``keypoints`` ``(17, 2)`` H36M pixels, ``keypoint_scores``
            ``(17,)`` and ``mask`` ``(bool crop, (x0, y0))`` or None. Empty
            when nobody is found.
        """
        if (not isinstance(frame_bgr, np.ndarray) or frame_bgr.ndim != 3
                or frame_bgr.shape[2] != 3 or frame_bgr.size == 0):
            raise ValueError('expected an (H, W, 3) BGR frame, got '
                             f'{getattr(frame_bgr, "shape", type(frame_bgr))}')
        frame_idx = int(frame_idx)
        if self._last_frame is not None and frame_idx <= self._last_frame:
            raise ValueError(f'frame {frame_idx} comes after frame '
                             f'{self._last_frame}: call reset() for a new '
                             'video')
        self._last_frame = frame_idx

        t0 = time.perf_counter()
        new_rois = np.zeros((0, 5), np.float32)
        if self._should_detect(frame_idx):
            new_rois = self._new_rois(frame_bgr)
            self._last_detect = frame_idx
        t1 = time.perf_counter()
        num_followed = len(self._follow)
        results = self.landmarker(frame_bgr,
                                  np.concatenate([self._follow, new_rois]))
        self._lost = any(r is None for r in results[:num_followed])
        t2 = time.perf_counter()
        people = self._dedupe([r for r in results if r is not None])
        boxes = np.array([p['bbox'] for p in people],
                         np.float32).reshape(-1, 4)
        hists = None
        if self.with_appearance and people:
            hists = np.stack([
                hsv_histogram(frame_bgr, p['bbox'], p['mask']) for p in people
            ])
        ids = self.tracker.update(boxes, frame_idx, hists)
        self._follow = np.array([p['next_roi'] for p in people],
                                np.float32).reshape(-1, 5)
        out = []
        for p, track_id, hist in zip(
                people, ids,
                hists if hists is not None else [None] * len(people)):
            person = dict(
                track_id=int(track_id),
                bbox=p['bbox'],
                bbox_score=float(p['score']),
                keypoints=p['keypoints'],
                keypoint_scores=p['keypoint_scores'],
                mask=p['mask'])
            self._records.setdefault(int(track_id), {})[frame_idx] = dict(
                person, appearance=hist)
            out.append(person)
        t3 = time.perf_counter()
        self.times['detect'] += t1 - t0
        self.times['2D'] += t2 - t1
        self.times['track'] += t3 - t2
        return out

    def finalize(self, num_frames: int) -> List[PersonTrack]:
        """The tracks of the processed video.

        Tracks present on fewer than ``min(min_track_frames, num_frames)``
        frames are dropped; the rest are numbered 0, 1, ... by first
        appearance (ties by tracker id).

        Args:
            num_frames (int): Length ``T`` of the video.

        Returns:
            list[PersonTrack]: ``T``-frame tracks (``meta['appearance']``:
            mean HSV histogram); ``[]`` for an empty video or nobody.
        """
        num_frames = int(num_frames)
        if num_frames < 0:
            raise ValueError(f'num_frames must be >= 0, got {num_frames}')
        if self._last_frame is not None and self._last_frame >= num_frames:
            raise ValueError(f'frame {self._last_frame} was processed but '
                             f'the video has {num_frames} frames')
        min_frames = min(self.min_track_frames, max(num_frames, 1))
        records = [(min(frames), tid, frames)
                   for tid, frames in self._records.items()
                   if len(frames) >= min_frames]
        tracks = []
        for new_id, (_, tid, frames) in enumerate(sorted(records)):
            track = PersonTrack.empty(new_id, num_frames)
            hists = []
            for f, p in frames.items():
                track.bboxes[f] = p['bbox']
                track.bbox_scores[f] = p['bbox_score']
                track.keypoints_2d[f] = p['keypoints']
                track.keypoint_scores[f] = p['keypoint_scores']
                if p['mask'] is not None:
                    track.masks[f] = p['mask']
                if p['appearance'] is not None:
                    hists.append(p['appearance'])
            track.meta['tracker_id'] = tid
            if hists:
                track.meta['appearance'] = np.mean(hists, axis=0)
            tracks.append(track)
        return tracks
