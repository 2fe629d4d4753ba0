# Copyright (c) mmlpose contributors. All rights reserved.
"""Drawing of 17-joint Human3.6M skeletons with cv2: 2D overlays and a
rotating 3D view."""
import math
from typing import Optional, Sequence, Tuple

import cv2
import numpy as np

# (joint, joint) pairs of the H36M skeleton.
H36M_LINKS = ((0, 1), (1, 2), (2, 3), (0, 4), (4, 5), (5, 6), (0, 7), (7, 8),
              (8, 9), (9, 10), (8, 11), (11, 12), (12, 13), (8, 14), (14, 15),
              (15, 16))
# Side of each joint: 'L' (person's left), 'R' (right) or 'C' (centre).
H36M_JOINT_SIDES = 'CRRRLLLCCCCLLLRRR'
# RGB colours of the sides.
SIDE_COLORS = dict(L=(30, 144, 255), R=(255, 69, 0), C=(50, 205, 50))
GREY_BGR = (160, 160, 160)
# fixed-point bits of cv2 drawing coordinates (sub-pixel positions)
_SHIFT = 4


def link_side(link: Tuple[int, int], sides: str = H36M_JOINT_SIDES) -> str:
    """Side of a link: a limb takes its side, the trunk is the centre."""
    a, b = (sides[j] for j in link)
    if a == b or b == 'C':
        return a
    return b


def side_color(side: str, channel_order: str = 'bgr') -> Tuple[int, int, int]:
    """Colour of ``'L'``, ``'R'`` or ``'C'`` as a BGR (or RGB) tuple."""
    rgb = SIDE_COLORS[side]
    return tuple(reversed(rgb)) if channel_order == 'bgr' else tuple(rgb)


def _fixed(points: np.ndarray) -> np.ndarray:
    """Float pixel coordinates -> int32 cv2 coordinates with ``_SHIFT``
    (far-off points clipped so that they cannot overflow)."""
    return np.round(np.clip(points, -1e5, 1e5) * (1 << _SHIFT)).astype(
        np.int32)


def check_keypoints(keypoints: np.ndarray, num_keypoints: int, dims: int,
                    name: str) -> np.ndarray:
    """``keypoints`` as a float64 ``(num_keypoints, dims)`` array, or a
    one-line ValueError naming ``name``."""
    array = np.asarray(keypoints, dtype=np.float64)
    if array.shape != (num_keypoints, dims):
        raise ValueError(f'{name} must have shape ({num_keypoints}, {dims}), '
                         f'got {tuple(array.shape)}')
    return array


def draw_skeleton_2d(image_bgr: np.ndarray,
                     keypoints: np.ndarray,
                     scores: Optional[np.ndarray] = None,
                     score_thr: float = 0.3,
                     links: Sequence[Tuple[int, int]] = H36M_LINKS,
                     sides: str = H36M_JOINT_SIDES,
                     thickness: Optional[int] = None) -> np.ndarray:
    """Draw a 2D skeleton on an image with cv2, in place.

    Joints (and links touching joints) whose score is below ``score_thr`` are
    drawn thin and grey instead of being hidden, so that uncertain joints
    stay visible. Joints with non-finite coordinates (missing) are not drawn,
    nor are their links.

    Args:
        image_bgr (np.ndarray): ``(H, W, 3)`` uint8 BGR image, drawn on.
        keypoints (np.ndarray): ``(K, 2)`` pixel coordinates.
        scores (np.ndarray, optional): ``(K,)`` confidences.
        score_thr (float): Confidence below which a joint is uncertain.
            Defaults to 0.3.
        links (Sequence[tuple]): Joint pairs. Defaults to H36M links.
        sides (str): One of ``'L'``, ``'R'``, ``'C'`` per joint.
        thickness (int, optional): Line width; by default it grows with the
            image size.

    Returns:
        np.ndarray: The same image.
    """
    keypoints = check_keypoints(keypoints, len(sides), 2, 'keypoints')
    if scores is None:
        scores = np.ones(len(keypoints))
    else:
        scores = np.asarray(scores, dtype=np.float64).reshape(-1)
        if scores.shape != (len(keypoints), ):
            raise ValueError(f'scores must have shape ({len(keypoints)},), '
                             f'got {tuple(np.shape(scores))}')
    if thickness is None:
        thickness = max(2, round(max(image_bgr.shape[:2]) / 400))
    found = np.isfinite(keypoints).all(axis=1)
    pts = _fixed(np.where(found[:, None], keypoints, 0.))
    sure = found & (np.nan_to_num(scores) >= score_thr)
    for a, b in links:
        if not (found[a] and found[b]):
            continue
        ok = sure[a] and sure[b]
        color = side_color(link_side((a, b), sides)) if ok else GREY_BGR
        cv2.line(image_bgr, tuple(pts[a]), tuple(pts[b]), color,
                 thickness if ok else max(1, thickness // 2), cv2.LINE_AA,
                 _SHIFT)
    for j in np.flatnonzero(found):
        color = side_color(sides[j]) if sure[j] else GREY_BGR
        cv2.circle(image_bgr, tuple(pts[j]), (thickness + 1) << _SHIFT, color,
                   -1, cv2.LINE_AA, _SHIFT)
    return image_bgr


def _text_scale(size: int) -> Tuple[float, int]:
    """Hershey font scale and stroke width for an image of ``size`` px."""
    return max(0.4, size / 1100.), max(1, round(size / 450))


class Skeleton3DRenderer:
    """Render 3D skeletons with cv2 in a view that turns about the vertical.

    Input keypoints are root-relative, in camera axes (x right, y down,
    z forward, metres); they are shown with the person upright (up = -y) in
    a cube of half size ``radius`` with a floor grid at its bottom, the
    skeleton's shadow on the floor, and the view turning about the vertical
    axis by ``azim_step`` degrees per frame (``elev``/``azim`` as in
    matplotlib's ``view_init``). Links are drawn far to near, left/right
    sides in :data:`SIDE_COLORS`. The plain background and the legend are
    drawn once; a frame draws about sixty anti-aliased lines, so a 994x994
    view takes about 1.2 ms of CPU where a matplotlib redraw takes 34 ms
    (:class:`MatplotlibSkeleton3DRenderer`). ``azim=-90, elev=0`` is the
    input camera's own view.

    Args:
        width (int): Image width in pixels.
        height (int): Image height in pixels.
        radius (float): Half size of the shown cube, in metres.
            Defaults to 1.0.
        elev (float): Camera elevation in degrees. Defaults to 15.
        azim (float): Azimuth of the first frame in degrees. Defaults to -60.
        azim_step (float): Azimuth change per frame in degrees.
            Defaults to 1.0.
        title (str): Title of the view. Defaults to ``'3D'``.
        links (Sequence[tuple]): Joint pairs. Defaults to H36M links.
        sides (str): One of ``'L'``, ``'R'``, ``'C'`` per joint.
        projection (str): ``'persp'`` (a viewer at ``6 * radius`` from the
            centre) or ``'ortho'``. Defaults to ``'persp'``.
        channel_order (str): ``'rgb'`` or ``'bgr'`` output.
            Defaults to ``'rgb'``.
    """

    BACKGROUND = (247, 247, 247)
    GRID = (205, 205, 205)
    EDGES = (175, 175, 175)
    SHADOW = (215, 215, 215)
    TEXT = (40, 40, 40)
    NOTE = (128, 128, 128)

    def __init__(self,
                 width: int,
                 height: int,
                 radius: float = 1.0,
                 elev: float = 15.,
                 azim: float = -60.,
                 azim_step: float = 1.0,
                 title: str = '3D',
                 links: Sequence[Tuple[int, int]] = H36M_LINKS,
                 sides: str = H36M_JOINT_SIDES,
                 projection: str = 'persp',
                 channel_order: str = 'rgb') -> None:
        self.width, self.height = int(width), int(height)
        if self.width < 32 or self.height < 32:
            raise ValueError('the 3D view must be at least 32x32 pixels, got '
                             f'{self.width}x{self.height}')
        if not radius > 0:
            raise ValueError(f'radius must be positive, got {radius}')
        if projection not in ('persp', 'ortho'):
            raise ValueError("projection must be 'persp' or 'ortho', got "
                             f'{projection!r}')
        if channel_order not in ('rgb', 'bgr'):
            raise ValueError("channel_order must be 'rgb' or 'bgr', got "
                             f'{channel_order!r}')
        self.radius, self.elev = float(radius), float(elev)
        self.azim, self.azim_step = float(azim), float(azim_step)
        self.title, self.sides = title, sides
        self.links = tuple(links)
        if any(j >= len(sides) for link in self.links for j in link):
            raise ValueError(f'links name joints beyond the {len(sides)} '
                             'of sides')
        self.channel_order = channel_order
        self.eye_distance = 6. * radius if projection == 'persp' else None
        size = min(self.width, self.height)
        self.line_width = max(2, round(size / 160))
        self.joint_radius = self.line_width // 2 + 2
        self.font_scale, self.font_thickness = _text_scale(size)
        self._link_colors = [
            self._color(side_color(link_side(link, sides), 'rgb'))
            for link in self.links
        ]
        self._joint_colors = [self._color(side_color(s, 'rgb')) for s in sides]
        self._init_scene()
        self._background = self._draw_background()

    def _color(self, rgb: Tuple[int, int, int]) -> Tuple[int, int, int]:
        return tuple(rgb) if self.channel_order == 'rgb' else tuple(
            reversed(rgb))

    # scene: plot axes (X, Y, Z) = camera (x, z, -y), Z up
    def _init_scene(self) -> None:
        r = self.radius
        ticks = np.linspace(-r, r, 5)
        floor = []
        for t in ticks:
            floor += [((t, -r, -r), (t, r, -r)), ((-r, t, -r), (r, t, -r))]
        self._floor = np.asarray(floor, np.float64).reshape(-1, 3)
        corners = np.array([(x, y, z) for x in (-r, r) for y in (-r, r)
                            for z in (-r, r)], np.float64)
        edges = [(i, j) for i in range(8) for j in range(i + 1, 8)
                 if bin(i ^ j).count('1') == 1]
        self._edges = corners[np.asarray(edges).reshape(-1)]
        self._labels = (('x', np.array([[r * 1.12, 0., -r]])),
                        ('z', np.array([[0., r * 1.12, -r]])))
        (_, text_h), _ = cv2.getTextSize('Ag', cv2.FONT_HERSHEY_SIMPLEX,
                                         self.font_scale, self.font_thickness)
        self._title_h = int(text_h * 2.2)
        # the largest extent of the cube over all azimuths sets the scale
        self.scale, self.center = 1., (0., 0.)
        extent = np.zeros(2)
        for azim in np.arange(0., 360., 3.):
            uv, _ = self._view(corners, self._rotation(azim))
            extent = np.maximum(extent, np.abs(uv).max(axis=0))
        margin = 0.04 * min(self.width, self.height)
        avail_w = self.width / 2 - margin
        avail_h = (self.height - self._title_h) / 2 - margin
        self.scale = min(avail_w / extent[0], avail_h / extent[1])
        self.center = (self.width / 2,
                       self._title_h + (self.height - self._title_h) / 2)

    def _rotation(self, azim: float) -> np.ndarray:
        """``(3, 3)`` rows: screen right, screen up, towards the viewer."""
        a, e = math.radians(azim), math.radians(self.elev)
        toward = np.array([
            math.cos(e) * math.cos(a),
            math.cos(e) * math.sin(a),
            math.sin(e)
        ])
        right = np.array([-math.sin(a), math.cos(a), 0.])
        up = np.cross(right, -toward)
        return np.stack([right, up, toward])

    def _view(self, points: np.ndarray,
              rotation: np.ndarray) -> Tuple[np.ndarray, np.ndarray]:
        """Scene points ``(N, 3)`` -> ``(N, 2)`` pixels (screen units
        before ``_init_scene`` sets the scale) and ``(N,)`` depths towards
        the viewer, for a :meth:`_rotation`."""
        cam = points @ rotation.T
        if self.eye_distance is not None:
            # points at or behind the eye (far outside the cube) are kept
            # in front of it
            depth = np.minimum(cam[:, 2], 0.9 * self.eye_distance)
            factor = self.eye_distance / (self.eye_distance - depth)
        else:
            factor = np.ones(len(cam))
        uv = np.empty((len(cam), 2))
        uv[:, 0] = self.center[0] + self.scale * cam[:, 0] * factor
        uv[:, 1] = self.center[1] - self.scale * cam[:, 1] * factor
        return uv, cam[:, 2]

    def azimuth(self, frame_idx: int) -> float:
        """Azimuth in degrees of frame ``frame_idx``."""
        return self.azim + frame_idx * self.azim_step

    def project(self,
                keypoints_3d: np.ndarray,
                frame_idx: int = 0) -> np.ndarray:
        """Pixel positions of keypoints in the view of frame ``frame_idx``.

        Args:
            keypoints_3d (np.ndarray): ``(K, 3)`` camera-axes keypoints.
            frame_idx (int): Frame index. Defaults to 0.

        Returns:
            np.ndarray: ``(K, 2)`` float ``(u, v)`` pixels.
        """
        kpts = np.asarray(keypoints_3d, dtype=np.float64).reshape(-1, 3)
        scene = np.stack([kpts[:, 0], kpts[:, 2], -kpts[:, 1]], axis=1)
        return self._view(scene, self._rotation(self.azimuth(frame_idx)))[0]

    def _draw_background(self) -> np.ndarray:
        """The plain background with the side legend in the bottom-right
        corner (the title takes the top)."""
        image = np.empty((self.height, self.width, 3), np.uint8)
        image[:] = self.BACKGROUND
        font, fs, ft = (cv2.FONT_HERSHEY_SIMPLEX, self.font_scale * 0.8,
                        self.font_thickness)
        x, y = self.width - 10, self.height - 10
        for name, side in (('right', 'R'), ('left', 'L')):
            (w, _), _ = cv2.getTextSize(name, font, fs, ft)
            x -= w
            cv2.putText(image, name, (x, y), font, fs,
                        self._color(side_color(side, 'rgb')), ft, cv2.LINE_AA)
            x -= w // 2
        return image

    def render(self,
               keypoints_3d: Optional[np.ndarray],
               frame_idx: int = 0,
               title: Optional[str] = None,
               out: Optional[np.ndarray] = None) -> np.ndarray:
        """Render one skeleton.

        Args:
            keypoints_3d (np.ndarray | None): ``(K, 3)`` root-relative
                keypoints in camera axes, or None for an empty view with a
                "no person" note.
            frame_idx (int): Frame index; sets the azimuth
                ``azim + frame_idx * azim_step``. Defaults to 0.
            title (str, optional): Title of this frame instead of the
                constructor's.
            out (np.ndarray, optional): ``(height, width, 3)`` uint8 array
                (for example a view of a larger canvas) to draw into.

        Returns:
            np.ndarray: ``(height, width, 3)`` uint8 image in
            ``channel_order`` (``out`` when given).
        """
        if keypoints_3d is not None:
            kpts = check_keypoints(keypoints_3d, len(self.sides), 3,
                                   'keypoints_3d')
            if not np.isfinite(kpts).all():
                raise ValueError('keypoints_3d has non-finite values; pass '
                                 'None for a frame without a person')
        shape = (self.height, self.width, 3)
        if out is None:
            out = self._background.copy()
        elif out.shape != shape or out.dtype != np.uint8:
            raise ValueError(f'out must be a {shape} uint8 array, got '
                             f'{out.shape} {out.dtype}')
        else:
            np.copyto(out, self._background)
        rotation = self._rotation(self.azimuth(frame_idx))
        aa, lw = cv2.LINE_AA, self.line_width

        def segments(points: np.ndarray) -> np.ndarray:
            return _fixed(self._view(points, rotation)[0]).reshape(-1, 2, 2)

        cv2.polylines(out, segments(self._floor), False,
                      self._color(self.GRID), max(1, lw // 3), aa, _SHIFT)
        cv2.polylines(out, segments(self._edges), False,
                      self._color(self.EDGES), max(1, lw // 3), aa, _SHIFT)
        for text, point in self._labels:
            u, v = self._view(point, rotation)[0][0]
            cv2.putText(out, text, (int(u) - 5, int(v) + 5),
                        cv2.FONT_HERSHEY_SIMPLEX, self.font_scale * 0.8,
                        self._color(self.NOTE), self.font_thickness, aa)
        if keypoints_3d is None:
            self._put_centred(out, 'no person')
        else:
            self._draw_skeleton(out, kpts, rotation)
        cv2.putText(out, self.title if title is None else title,
                    (10, int(self._title_h * 0.65)),
                    cv2.FONT_HERSHEY_SIMPLEX, self.font_scale,
                    self._color(self.TEXT), self.font_thickness, aa)
        return out

    def _put_centred(self, image: np.ndarray, text: str) -> None:
        font, fs, ft = (cv2.FONT_HERSHEY_SIMPLEX, self.font_scale * 1.3,
                        self.font_thickness + 1)
        (w, h), _ = cv2.getTextSize(text, font, fs, ft)
        org = (int(self.center[0] - w / 2), int(self.center[1] + h / 2))
        cv2.putText(image, text, org, font, fs, self._color(self.NOTE), ft,
                    cv2.LINE_AA)

    def _draw_skeleton(self, image: np.ndarray, kpts: np.ndarray,
                       rotation: np.ndarray) -> None:
        aa, lw = cv2.LINE_AA, self.line_width
        scene = np.stack([kpts[:, 0], kpts[:, 2], -kpts[:, 1]], axis=1)
        shadow = scene.copy()
        shadow[:, 2] = -self.radius
        pts = _fixed(self._view(shadow, rotation)[0])
        links = np.asarray(self.links)
        cv2.polylines(image, pts[links], False, self._color(self.SHADOW),
                      max(1, lw // 2), aa, _SHIFT)
        uv, depth = self._view(scene, rotation)
        pts = _fixed(uv)
        # painter's order, far to near: links at their mean depth, joints a
        # little in front of their own depth
        items = [(depth[a] + depth[b]) / 2 for a, b in self.links]
        items += list(depth + 1e-3)
        radius = self.joint_radius << _SHIFT
        num_links = len(self.links)
        for i in np.argsort(items, kind='stable'):
            if i < num_links:
                a, b = self.links[i]
                cv2.line(image, tuple(pts[a]), tuple(pts[b]),
                         self._link_colors[i], lw, aa, _SHIFT)
            else:
                j = i - num_links
                cv2.circle(image, tuple(pts[j]), radius, self._joint_colors[j],
                           -1, aa, _SHIFT)

    def close(self) -> None:
        """Nothing to free (kept for the matplotlib renderer's API)."""
