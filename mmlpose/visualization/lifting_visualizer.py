# Copyright (c) mmlpose contributors. All rights reserved.
"""Video frames of the inference path: every person in 2D, the referred one
highlighted, beside the referred person's rotating 3D skeleton."""
from typing import Dict, List, Optional, Sequence, Tuple

import cv2
import numpy as np

from mmlpose.registry import VISUALIZERS
from .skeleton3d import (H36M_JOINT_SIDES, H36M_LINKS, Skeleton3DRenderer,
                         _text_scale, check_keypoints, draw_skeleton_2d)

Color = Tuple[int, int, int]


def _clip_box(bbox, width: int, height: int) -> Optional[Tuple[int, ...]]:
    """Integer ``(x1, y1, x2, y2)`` inside the image, or None when the box is
    missing (NaN) or outside."""
    box = np.asarray(bbox, dtype=np.float64).reshape(-1)
    if box.shape != (4, ) or not np.isfinite(box).all():
        return None
    x1, y1, x2, y2 = np.round(box).astype(int)
    x1, x2 = max(0, x1), min(width - 1, x2)
    y1, y2 = max(0, y1), min(height - 1, y2)
    if x2 < x1 or y2 < y1:
        return None
    return x1, y1, x2, y2


def _wrap(text: str, max_width: int, font: int, scale: float, thickness: int,
          max_lines: int) -> List[str]:
    """Split ``text`` into lines no wider than ``max_width`` pixels."""
    # Hershey fonts draw ASCII only
    words = text.encode('ascii', 'replace').decode().split()
    lines: List[str] = []
    line = ''
    for word in words:
        trial = f'{line} {word}'.strip()
        if line and cv2.getTextSize(trial, font, scale,
                                    thickness)[0][0] > max_width:
            lines.append(line)
            line = word
        else:
            line = trial
    if line:
        lines.append(line)
    if len(lines) > max_lines:
        lines = lines[:max_lines]
        lines[-1] += ' ...'
    return lines


@VISUALIZERS.register_module()
class LiftingVisualizer:
    """Compose one output frame: the video frame with every person's 2D
    skeleton, box and ``id N`` label, the referred person highlighted
    (thicker box in ``highlight_color``, its mask tinted, blended only inside
    the mask's crop), the sentence as a caption, and on the right the
    referred person's 3D skeleton turning about the vertical axis
    (:class:`Skeleton3DRenderer`, cv2).

    A plain class rather than an mmengine ``Visualizer``: mmengine's draws
    through a matplotlib figure (``set_image``/``get_image`` redraw it, tens
    of milliseconds per full-size frame, the cost this class removes: it
    draws a 1768x994 frame with two people in about 5 ms of CPU) and is
    a ``ManagerMixin`` singleton that needs a unique name per instance. It
    keeps mmpose's conventions otherwise: it is built from the
    ``VISUALIZERS`` registry, takes BGR images, and its colours are BGR.

    The output is ``(H', W + P, 3)`` uint8 BGR for an ``(H, W)`` frame: the
    frame padded to the even height ``H' = H + H % 2`` and a square-ish 3D
    panel of width ``P = H' + W % 2``, so that both sides are even (mp4v).

    Args:
        azim_step (float): Degrees the 3D view turns per frame.
            Defaults to 1.0.
        radius (float): Half size of the 3D cube in metres. Defaults to 1.0.
        elev (float): Elevation of the 3D view in degrees. Defaults to 15.
        azim (float): Azimuth of frame 0 in degrees. Defaults to -60.
        projection (str): ``'persp'`` or ``'ortho'``. Defaults to ``'persp'``.
        highlight_color (tuple): BGR colour of the referred person.
            Defaults to gold ``(0, 215, 255)``.
        bbox_color (tuple): BGR colour of the other people's boxes.
            Defaults to ``(210, 210, 210)``.
        mask_alpha (float): Opacity of the mask tint. Defaults to 0.4.
        score_thr (float): 2D joints below it are drawn grey.
            Defaults to 0.3.
        links (Sequence[tuple]): Joint pairs. Defaults to H36M links.
        sides (str): ``'L'``, ``'R'`` or ``'C'`` per joint; its length is
            the number of keypoints K. Defaults to H36M-17.
    """

    def __init__(self,
                 azim_step: float = 1.0,
                 radius: float = 1.0,
                 elev: float = 15.,
                 azim: float = -60.,
                 projection: str = 'persp',
                 highlight_color: Color = (0, 215, 255),
                 bbox_color: Color = (210, 210, 210),
                 mask_alpha: float = 0.4,
                 score_thr: float = 0.3,
                 links: Sequence[Tuple[int, int]] = H36M_LINKS,
                 sides: str = H36M_JOINT_SIDES) -> None:
        if not 0. <= mask_alpha <= 1.:
            raise ValueError(f'mask_alpha must be in [0, 1], got {mask_alpha}')
        self.view_cfg = dict(
            radius=radius,
            elev=elev,
            azim=azim,
            azim_step=azim_step,
            projection=projection,
            links=tuple(links),
            sides=sides,
            channel_order='bgr')
        self.highlight_color = tuple(int(c) for c in highlight_color)
        self.bbox_color = tuple(int(c) for c in bbox_color)
        self.mask_alpha = float(mask_alpha)
        self.score_thr = score_thr
        self.links, self.sides = tuple(links), sides
        self.num_keypoints = len(sides)
        self._renderer: Optional[Skeleton3DRenderer] = None
        self._frame_size: Optional[Tuple[int, int]] = None

    @staticmethod
    def output_size(frame_size: Tuple[int, int]) -> Tuple[int, int]:
        """``(width, height)`` of the output for a ``(width, height)``
        frame; both even."""
        width, height = frame_size
        out_h = height + height % 2
        return width + out_h + width % 2, out_h

    def _setup(self, width: int, height: int) -> None:
        """Size-dependent parts; rebuilt when the frame size changes."""
        if self._frame_size == (width, height):
            return
        out_w, out_h = self.output_size((width, height))
        self._renderer = Skeleton3DRenderer(out_w - width, out_h,
                                            **self.view_cfg)
        self._frame_size = (width, height)
        self.line_width = max(2, round(max(width, height) / 400))
        self.font_scale, self.font_thickness = _text_scale(min(width, height))

    def _check_persons(self, persons: Sequence[Dict]) -> List[Dict]:
        checked = []
        for i, person in enumerate(persons):
            if not isinstance(person, dict):
                raise ValueError(f'persons[{i}] must be a dict, got '
                                 f'{type(person).__name__}')
            if 'track_id' not in person:
                raise ValueError(f'persons[{i}] has no track_id')
            kpts = person.get('keypoints_2d')
            scores = person.get('keypoint_scores')
            if kpts is not None:
                kpts = check_keypoints(kpts, self.num_keypoints, 2,
                                       f'persons[{i}] keypoints_2d')
            if scores is not None:
                scores = np.asarray(scores, dtype=np.float64)
                if scores.shape != (self.num_keypoints, ):
                    raise ValueError(
                        f'persons[{i}] keypoint_scores must have shape '
                        f'({self.num_keypoints},), got {scores.shape}')
            bbox = person.get('bbox')
            if bbox is not None and np.size(bbox) != 4:
                raise ValueError(f'persons[{i}] bbox must be [x1, y1, x2, '
                                 f'y2], got {np.shape(bbox)}')
            mask = person.get('mask')
            if mask is not None:
                try:
                    crop, (x0, y0) = mask
                    crop = np.asarray(crop, dtype=bool)
                    offset = (int(x0), int(y0))
                except (TypeError, ValueError):
                    raise ValueError(f'persons[{i}] mask must be (bool crop, '
                                     '(x0, y0))') from None
                if crop.ndim != 2:
                    raise ValueError(f'persons[{i}] mask crop must be 2D, got '
                                     f'shape {crop.shape}')
                mask = (crop, offset)
            checked.append(
                dict(
                    track_id=person['track_id'],
                    bbox=bbox,
                    keypoints_2d=kpts,
                    keypoint_scores=scores,
                    mask=mask))
        return checked

    def draw_frame(self,
                   frame_bgr: np.ndarray,
                   persons: Sequence[Dict],
                   referred_track_id: Optional[int],
                   keypoints_3d: Optional[np.ndarray],
                   frame_idx: int,
                   text: Optional[str] = None) -> np.ndarray:
        """Draw one output frame.

        Args:
            frame_bgr (np.ndarray): ``(H, W, 3)`` uint8 BGR video frame (not
                changed).
            persons (Sequence[dict]): The people of this frame, each with
                ``track_id``, ``bbox`` ``[x1, y1, x2, y2]`` (or None/NaN),
                ``keypoints_2d`` ``(K, 2)`` pixels (or None; NaN joints are
                not drawn), ``keypoint_scores`` ``(K,)`` and an optional
                ``mask``: ``(bool crop, (x0, y0))`` as in
                :attr:`PersonTrack.masks`.
            referred_track_id (int | None): The highlighted person.
            keypoints_3d (np.ndarray | None): ``(K, 3)`` root-relative
                camera-axes metres of the referred person, or None for a
                "no person" 3D view.
            frame_idx (int): Frame index (sets the 3D azimuth).
            text (str, optional): Caption (the sentence).

        Returns:
            np.ndarray: ``(H', W + P, 3)`` uint8 BGR canvas; see the class
            docstring for the sizes.
        """
        if (not isinstance(frame_bgr, np.ndarray) or frame_bgr.ndim != 3
                or frame_bgr.shape[2] != 3 or frame_bgr.dtype != np.uint8):
            got = (f'{frame_bgr.shape} {frame_bgr.dtype}' if isinstance(
                frame_bgr, np.ndarray) else type(frame_bgr).__name__)
            raise ValueError(f'frame_bgr must be (H, W, 3) uint8, got {got}')
        persons = self._check_persons(persons)
        height, width = frame_bgr.shape[:2]
        self._setup(width, height)
        out_w, out_h = self.output_size((width, height))
        canvas = np.empty((out_h, out_w, 3), np.uint8)
        view = canvas[:height, :width]
        np.copyto(view, frame_bgr)
        if out_h > height:
            canvas[height:, :width] = 0

        referred = [p for p in persons if p['track_id'] == referred_track_id]
        others = [p for p in persons if p['track_id'] != referred_track_id]
        for person in referred:
            if person['mask'] is not None:
                self._tint_mask(view, *person['mask'])
        for person in others:
            self._draw_person(view, person, False)
        for person in referred:  # on top of the others
            self._draw_person(view, person, True)
        if not persons:
            cv2.putText(view, 'no person',
                        (20, 20 + int(40 * self.font_scale)),
                        cv2.FONT_HERSHEY_SIMPLEX, self.font_scale * 1.5,
                        (0, 0, 255), self.font_thickness + 1, cv2.LINE_AA)
        if text:
            self._draw_caption(view, text)
        title = f'3D  frame {frame_idx}'
        if referred_track_id is not None:
            title = f'id {referred_track_id}  ' + title
        self._renderer.render(
            keypoints_3d, frame_idx, title=title, out=canvas[:, width:])
        return canvas

    @staticmethod
    def persons_from_tracks(tracks: Sequence, frame_idx: int) -> List[Dict]:
        """The ``persons`` of :meth:`draw_frame` for frame ``frame_idx`` of
        a video's :class:`~mmlpose.structures.PersonTrack` list: the tracks
        present in that frame, with their mask when they have one."""
        persons = []
        for track in tracks:
            if not 0 <= frame_idx < track.num_frames:
                raise ValueError(f'frame {frame_idx} is outside track '
                                 f'{track.track_id} ({track.num_frames} '
                                 'frames)')
            if not track.present[frame_idx]:
                continue
            persons.append(
                dict(
                    track_id=track.track_id,
                    bbox=track.bboxes[frame_idx],
                    keypoints_2d=track.keypoints_2d[frame_idx],
                    keypoint_scores=track.keypoint_scores[frame_idx],
                    mask=track.masks.get(frame_idx)))
        return persons

    def draw_tracks(self,
                    frame_bgr: np.ndarray,
                    tracks: Sequence,
                    referred_track_id: Optional[int],
                    frame_idx: int,
                    text: Optional[str] = None) -> np.ndarray:
        """:meth:`draw_frame` from ``PersonTrack`` s: every track present in
        frame ``frame_idx``, and the 3D view of the referred track when it is
        present and lifted ("no person" otherwise)."""
        keypoints_3d = None
        for track in tracks:
            if (track.track_id == referred_track_id
                    and track.keypoints_3d is not None
                    and 0 <= frame_idx < track.num_frames
                    and track.present[frame_idx]):
                keypoints_3d = track.keypoints_3d[frame_idx]
        return self.draw_frame(frame_bgr,
                               self.persons_from_tracks(tracks, frame_idx),
                               referred_track_id, keypoints_3d, frame_idx,
                               text)

    def _tint_mask(self, view: np.ndarray, crop: np.ndarray,
                   offset: Tuple[int, int]) -> None:
        """Blend ``highlight_color`` into the mask, inside its crop only."""
        height, width = view.shape[:2]
        x0, y0 = offset
        ch, cw = crop.shape
        xs, ys = max(x0, 0), max(y0, 0)
        xe, ye = min(x0 + cw, width), min(y0 + ch, height)
        if xe <= xs or ye <= ys:
            return
        region = view[ys:ye, xs:xe]
        inside = np.ascontiguousarray(crop[ys - y0:ye - y0,
                                           xs - x0:xe - x0]).view(np.uint8)
        if not inside.any():
            return
        alpha = self.mask_alpha
        tinted = cv2.convertScaleAbs(region, alpha=1. - alpha)
        cv2.add(
            tinted,
            tuple(alpha * c for c in self.highlight_color) + (0., ),
            dst=tinted)
        cv2.copyTo(tinted, inside, region)  # in place, 10x np.copyto's speed
        contours, _ = cv2.findContours(inside, cv2.RETR_EXTERNAL,
                                       cv2.CHAIN_APPROX_SIMPLE)
        cv2.drawContours(region, contours, -1, self.highlight_color,
                         max(1, self.line_width // 2), cv2.LINE_AA)

    def _draw_person(self, view: np.ndarray, person: Dict,
                     is_referred: bool) -> None:
        height, width = view.shape[:2]
        lw = self.line_width
        color = self.highlight_color if is_referred else self.bbox_color
        box = None
        if person['bbox'] is not None:
            box = _clip_box(person['bbox'], width, height)
        if box is not None:
            x1, y1, x2, y2 = box
            cv2.rectangle(view, (x1, y1), (x2, y2), color,
                          lw * 2 if is_referred else max(1, lw // 2))
        if person['keypoints_2d'] is not None:
            draw_skeleton_2d(
                view,
                person['keypoints_2d'],
                person['keypoint_scores'],
                score_thr=self.score_thr,
                links=self.links,
                sides=self.sides,
                thickness=lw + (1 if is_referred else 0))
        if box is not None:
            self._draw_label(view, f'id {person["track_id"]}', box[0], box[1],
                             color)

    def _draw_label(self, view: np.ndarray, label: str, x: int, y: int,
                    color: Color) -> None:
        font, fs, ft = (cv2.FONT_HERSHEY_SIMPLEX, self.font_scale,
                        self.font_thickness)
        (w, h), base = cv2.getTextSize(label, font, fs, ft)
        pad = max(2, h // 4)
        top = y - h - base - 2 * pad
        if top < 0:  # no room above the box: inside it
            top = y
        left = min(max(0, x), view.shape[1] - w - 2 * pad)
        cv2.rectangle(view, (left, top),
                      (left + w + 2 * pad, top + h + base + 2 * pad), color,
                      -1)
        cv2.putText(view, label, (left + pad, top + pad + h), font, fs,
                    (20, 20, 20), ft, cv2.LINE_AA)

    def _draw_caption(self, view: np.ndarray, text: str) -> None:
        """The sentence at the bottom of the frame on a darkened band."""
        height, width = view.shape[:2]
        font, fs, ft = (cv2.FONT_HERSHEY_SIMPLEX, self.font_scale * 1.1,
                        self.font_thickness)
        margin = int(12 * self.font_scale) + 4
        lines = _wrap(text, width - 2 * margin, font, fs, ft, max_lines=3)
        if not lines:
            return
        (_, h), base = cv2.getTextSize('Ag', font, fs, ft)
        line_h = int((h + base) * 1.35)
        top = max(0, height - len(lines) * line_h - 2 * margin)
        band = view[top:]
        band[:] = cv2.convertScaleAbs(band, alpha=0.35)
        y = top + margin + h
        for line in lines:
            cv2.putText(view, line, (margin, y), font, fs, (255, 255, 255), ft,
                        cv2.LINE_AA)
            y += line_h

    def close(self) -> None:
        """Free the 3D view."""
        if self._renderer is not None:
            self._renderer.close()
        self._renderer, self._frame_size = None, None
