# Copyright (c) mmlpose contributors. All rights reserved.
"""The matplotlib 3D skeleton view (slow, kept as a reference)."""
from typing import Optional, Sequence, Tuple

import numpy as np

from .skeleton3d import H36M_JOINT_SIDES, H36M_LINKS, SIDE_COLORS, link_side


class MatplotlibSkeleton3DRenderer:
    """Render 3D skeletons to RGB images with matplotlib, one figure reused.

    Every frame redraws the whole figure (about 15 frames/s for a 994x994
    view); :class:`Skeleton3DRenderer` draws the same view with cv2 more than
    ten times faster. This one is kept for figures with matplotlib's look
    and as the reference of ``tools/analysis_tools/benchmark_render.py``.

    Input keypoints are root-relative, in camera axes (x right, y down,
    z forward, metres); they are shown with the person upright (up = -y) and
    the view turning about the vertical axis.

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
    """

    def __init__(self,
                 width: int,
                 height: int,
                 radius: float = 1.0,
                 elev: float = 15.,
                 azim: float = -60.,
                 azim_step: float = 1.0,
                 title: str = '3D',
                 links: Sequence[Tuple[int, int]] = H36M_LINKS,
                 sides: str = H36M_JOINT_SIDES) -> None:
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure

        self.width, self.height = int(width), int(height)
        self.elev, self.azim, self.azim_step = elev, azim, azim_step
        self.links = tuple(links)
        dpi = 100
        self.fig = Figure(
            figsize=(self.width / dpi, self.height / dpi), dpi=dpi)
        self.canvas = FigureCanvasAgg(self.fig)
        self.ax = self.fig.add_subplot(projection='3d')
        self.fig.subplots_adjust(left=0, right=1, bottom=0, top=1)
        ax = self.ax
        ax.set_xlim3d(-radius, radius)
        ax.set_ylim3d(-radius, radius)
        ax.set_zlim3d(-radius, radius)
        ax.set_box_aspect((1, 1, 1))
        ax.set_xlabel('x')
        ax.set_ylabel('z')
        ax.set_zlabel('-y')
        for axis in (ax.xaxis, ax.yaxis, ax.zaxis):
            axis.set_ticklabels([])
        lw = max(1.5, min(self.width, self.height) / 160)
        self.lines = []
        for link in self.links:
            color = np.array(SIDE_COLORS[link_side(link, sides)]) / 255
            line, = ax.plot([0, 0], [0, 0], [0, 0], color=color, lw=lw)
            self.lines.append(line)
        self.title = ax.text2D(
            0.03, 0.95, title, transform=ax.transAxes, fontsize=12)
        self.note = ax.text2D(
            0.5,
            0.5,
            '',
            transform=ax.transAxes,
            fontsize=14,
            ha='center',
            color='grey')

    def render(self,
               keypoints_3d: Optional[np.ndarray],
               frame_idx: int = 0,
               title: Optional[str] = None) -> np.ndarray:
        """Render one skeleton.

        Args:
            keypoints_3d (np.ndarray | None): ``(K, 3)`` root-relative
                keypoints in camera axes, or None for an empty view with a
                "no person" note.
            frame_idx (int): Frame index; sets the azimuth
                ``azim + frame_idx * azim_step``. Defaults to 0.
            title (str, optional): Replaces the title.

        Returns:
            np.ndarray: ``(height, width, 3)`` uint8 RGB image.
        """
        if keypoints_3d is None:
            for line in self.lines:
                line.set_visible(False)
            self.note.set_text('no person')
        else:
            kpts = np.asarray(keypoints_3d, dtype=np.float64)
            # camera (x right, y down, z forward) -> plot (x, z, -y)
            px, py, pz = kpts[:, 0], kpts[:, 2], -kpts[:, 1]
            for line, (a, b) in zip(self.lines, self.links):
                line.set_data_3d([px[a], px[b]], [py[a], py[b]],
                                 [pz[a], pz[b]])
                line.set_visible(True)
            self.note.set_text('')
        if title is not None:
            self.title.set_text(title)
        self.ax.view_init(
            elev=self.elev, azim=self.azim + frame_idx * self.azim_step)
        self.canvas.draw()
        rgb = np.asarray(self.canvas.buffer_rgba())[..., :3]
        if rgb.shape[:2] != (self.height, self.width):
            # figure sizes in inches can round to one pixel less or more
            import cv2
            rgb = cv2.resize(rgb, (self.width, self.height))
        return np.ascontiguousarray(rgb)

    def close(self) -> None:
        """Free the figure."""
        self.fig.clear()
