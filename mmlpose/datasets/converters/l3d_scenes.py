# Copyright (c) mmlpose contributors. All rights reserved.
"""Synthetic Panoptic-L3D scenes from real DeepMimic motions and real
Panoptic HD cameras, written in the released Panoptic-L3D layout.

A scene (one *clip*, video id ``scene_NNNNN``) holds 2 to 5 people:

* **appearance**: shirt and trousers colours from :data:`COLOURS` (each
  scene draws from a small subset so that colours are sometimes shared),
  skin, hair and shoe colours, a height (bone lengths = Human3.6M mean
  proportions x a per-person scale, :func:`sample_person`) and a build
  (:data:`BUILDS`, the capsule thickness);
* **motion**: one real DeepMimic clip per person (:func:`load_motion_library`),
  retargeted to the person's bones (:func:`retarget_clip`), started at a
  random phase and repeated to fill the scene (:func:`compose_motion`); each
  repetition continues from where the last one ended, turning where the
  path would leave the camera's view or meet another person; repetitions
  are joined by a short yaw-aware blend;
* **placement**: on the floor of the Panoptic dome (loader axes, z up, mm),
  inside :data:`AREA_RADIUS_MM`, every joint of every frame inside the image
  of the chosen real HD camera, and no two people closer than
  :data:`MIN_GAP_MM` (any joints, horizontally) at any frame.

Rendering (:func:`render_frame`) draws filled capsules per bone (per-person
radii by build), a face and a hair sphere, skin-coloured hands and neck,
the shirt colour on torso and arms and the trousers colour on hips and legs;
all parts of all people are painted far to near by camera depth (painter's
algorithm), into the JPEG and into the palette mask (index = body id + 1) at
once, so the mask's occlusion is the image's. The background is a floor and
dome walls seen through the real camera (distortion included) with tiles,
panels, camera dots and noise (:func:`make_background`), plus a soft blob
shadow under each person.

Sentences (:func:`make_sentences`) are measured from the scene and each is
checked to refer to exactly one person: appearance (category ``[0]``,
colour / height / build words used only when unique), behaviour (``[4]``,
the person's clip action, when no one else does it, :data:`BEHAVIOURS`) and
movement (``[5]``, measured from the joints inside the span,
:func:`movement_facts`; it must hold for the referred person and clearly
not for anyone else). A sentence is kept only if the referred person's mask
has at least :data:`~mmlpose.structures.panoptic.MIN_MASK_PIXELS` pixels on
every annotated frame of its span.

Only the frames the loader reads are rendered and shipped: the annotated
frames (multiples of 15 inside ``[begin, end)`` of some sentence) and the
5 window frames of every sentence (:func:`window_frames`); every rendered
frame has its coco19 body file. Other frames do not exist on disk.
"""
import json
import os
import os.path as osp
import shutil
import time
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Callable, Dict, List, Optional, Sequence, Tuple

import cv2
import numpy as np
from PIL import Image

from mmlpose.datasets.virtual_capture import (H36M_BONE_LENGTHS, body_axes,
                                              head_axes, retarget_bones)
from mmlpose.structures.panoptic import (LOADER_AXES, MIN_MASK_PIXELS,
                                         WINDOW_RATIO,
                                         frame_stem, h36m_to_panoptic15,
                                         hd_camera_name, load_hd_camera,
                                         project_to_image,
                                         span_frames as window_frames,
                                         world_to_camera_mm)
from .deepmimic import (clip_action, clip_to_h36m_world, default_motion_dir,
                        default_urdf_path, find_clips, load_humanoid)

FPS = 30
#: Annotated frames are the multiples of this inside a sentence's span.
ANNOTATION_STEP = 15
#: Window of the released loader: ``WINDOW_POINTS`` frames by linspace over
#: the central ``WINDOW_RATIO`` of ``[begin, end]`` (:func:`window_frames`).
WINDOW_POINTS = 5
IMAGE_SIZE = (1920, 1080)
JPEG_QUALITY = 85
#: Sentence spans (frames, 30 fps) and scene lengths.
SPAN_RANGE = (45, 120)
SCENE_FRAMES = (150, 240)
PEOPLE_RANGE = (2, 5)
#: People (every joint) stay within this radius of the dome's axis.
AREA_RADIUS_MM = 2600.
#: Smallest horizontal distance between any joints of two people.
MIN_GAP_MM = 300.
#: Lowest joint height (mm) allowed: frames are lifted to keep it.
FLOOR_CLEARANCE_MM = 30.
#: Clips whose root moves less than this (m) per repetition are drawn
#: when a person's first clip finds no place.
CALM_TRAVEL_M = 1.0
#: Image margin (px) that the root keeps; at every frame at least
#: ``MIN_INSIDE`` of a person's joints are inside the image.
IMAGE_MARGIN = 12
MIN_INSIDE = 0.7
#: Real Panoptic sequences whose calibrations are used.
CALIBRATION_SEQUENCES = ('160906_band1', '160906_band2')
#: Dome walls: a sphere (centre height, radius) in mm, cut by the floor.
DOME_CENTRE_Z_MM = 900.
DOME_RADIUS_MM = 3300.

#: Clothing colours (name -> BGR).
COLOURS: Dict[str, Tuple[int, int, int]] = {
    'red': (40, 35, 200),
    'orange': (25, 125, 240),
    'yellow': (40, 215, 235),
    'green': (55, 150, 40),
    'blue': (200, 90, 25),
    'purple': (150, 45, 125),
    'pink': (185, 140, 245),
    'white': (238, 238, 238),
    'black': (32, 32, 32),
    'grey': (128, 128, 128),
    'brown': (35, 70, 120),
}
SKIN_TONES = ((175, 200, 240), (140, 170, 220), (100, 135, 190), (60, 90, 140))
HAIR_COLOURS = ((20, 20, 25), (30, 55, 95), (80, 165, 205), (150, 150, 150))
SHOE_COLOURS = ((30, 30, 30), (225, 225, 225), (70, 60, 120))
#: Build -> (torso radius factor, limb radius factor).
BUILDS: Dict[str, Tuple[float, float]] = {
    'slim': (0.78, 0.82),
    'average': (1.0, 1.0),
    'heavy': (1.32, 1.18),
}
#: Person scale range (x Human3.6M mean bones; 1.0 is about 1.72 m).
SCALE_RANGE = (0.87, 1.12)
#: Height difference (m) that makes "tall"/"short" words unique.
HEIGHT_MARGIN_M = 0.07

#: Capsule radii (mm) of an average build at scale 1.
PART_RADII = dict(
    torso=128.,
    hips=100.,
    shoulders=68.,
    upper_arm=47.,
    forearm=40.,
    hand=38.,
    thigh=76.,
    shin=57.,
    foot=42.,
    neck=44.)

#: Behaviour per clip: ``(verb, phrases)`` candidates, general first; a
#: clip's verbs are all the verbs listed for it; a verb can be said of a
#: person only when no other person of the scene has it.
_WALK = ('walk', ('the person walking', 'the person who walks around'))
BEHAVIOURS: Dict[str, Tuple[Tuple[str, Tuple[str, ...]], ...]] = {
    'walk': (_WALK, ),
    'walk_forward': (_WALK, ),
    'turn_left0':
    (('turn_left', ('the person who walks and turns left',
                    'the person walking in a left turn')), _WALK),
    'turn_left1':
    (('turn_left', ('the person who walks and turns left',
                    'the person walking in a left turn')), _WALK),
    'turn_right0':
    (('turn_right', ('the person who walks and turns right',
                     'the person walking in a right turn')), _WALK),
    'turn_right1':
    (('turn_right', ('the person who walks and turns right',
                     'the person walking in a right turn')), _WALK),
    'run': (('run', ('the person running', 'the person who runs')), ),
    'jump': (('jump', ('the person who jumps',
                       'the person jumping forward')), ),
    'kick': (('kick', ('the person who kicks', 'the person kicking')), ),
    'spinkick': (('spinkick', ('the person doing a spinning kick',
                               'the person who kicks while spinning')),
                 ('kick', ('the person who kicks', ))),
    'punch': (('punch', ('the person who punches',
                         'the person throwing punches')), ),
    'backflip': (('backflip', ('the person doing a backflip',
                               'the person who does a backflip')),
                 ('jump', ('the person who jumps', ))),
    'cartwheel': (('cartwheel', ('the person doing a cartwheel',
                                 'the person who does cartwheels')), ),
    'crawl': (('crawl', ('the person crawling on the floor',
                         'the person who crawls')), ),
    'roll': (('roll', ('the person rolling on the floor',
                       'the person who rolls over on the floor')), ),
    'spin': (('spin', ('the person spinning around',
                       'the person who spins')), ),
    'dance_a': (('dance', ('the person dancing', 'the person who dances')), ),
    'dance_b': (('dance', ('the person dancing', 'the person who dances')), ),
    'getup_faceup': (('getup', ('the person who falls and gets up',
                                'the person getting up from the floor')),
                     ('getup_faceup',
                      ('the person who gets up from lying on their back', ))),
    'getup_facedown': (('getup', ('the person who falls and gets up',
                                  'the person getting up from the floor')),
                       ('getup_facedown',
                        ('the person who gets up from lying face down', ))),
}

#: Movement facts -> phrases (see :func:`movement_facts`).
MOVEMENTS: Dict[str, Tuple[str, ...]] = {
    'raise_left_arm': ('the person raising the left arm',
                       'the person who raises their left arm'),
    'raise_right_arm': ('the person raising the right arm',
                        'the person who raises their right arm'),
    'kick_left': ('the person kicking with the left leg',
                  'the person who kicks with the left foot'),
    'kick_right': ('the person kicking with the right leg',
                   'the person who kicks with the right foot'),
    'jump': ('the person jumping', 'the person who jumps off the ground'),
    'turn_around':
    ('the person turning around', 'the person who turns around'),
    'walk_forward':
    ('the person walking forward', 'the person moving forward'),
    'move_left': ('the person moving to the left',
                  'the person who moves to the left of the picture'),
    'move_right': ('the person moving to the right',
                   'the person who moves to the right of the picture'),
    'move_towards': ('the person coming towards the camera',
                     'the person moving closer to the camera'),
    'move_away': ('the person moving away from the camera',
                  'the person who goes away from the camera'),
    'crouch': ('the person crouching', 'the person who crouches down'),
}
#: A movement holds at strength >= 1; other people must stay below this.
MOVEMENT_CLEAR = 0.6
#: Frames a per-frame movement must last (k-th largest score).
_SUSTAIN = dict(
    raise_left_arm=5,
    raise_right_arm=5,
    kick_left=2,
    kick_right=2,
    jump=3,
    crouch=8)

#: Mask palette: index 0 black, then distinct colours per body.
_PALETTE = [0, 0, 0] + [
    c for rgb in ((230, 25, 75), (60, 180, 75), (255, 225, 25), (0, 130, 200),
                  (245, 130, 48), (145, 30, 180), (70, 240, 240),
                  (240, 50, 230), (210, 245, 60), (250, 190, 212)) for c in rgb
]
_PALETTE += [128] * (768 - len(_PALETTE))

CATEGORY_CODES = dict(appearance=0, behaviour=4, movement=5)


def default_calib_dir() -> str:
    """``$MMLPOSE_SHARED_DATA/panoptic_body3d``; without the variable, the
    sample data beside the repository (``../shared/data/mmpose_samples``),
    as the tests find it."""
    repo = osp.dirname(osp.dirname(osp.dirname(osp.dirname(
        osp.abspath(__file__)))))
    root = os.environ.get(
        'MMLPOSE_SHARED_DATA',
        osp.join(osp.dirname(repo), 'shared', 'data', 'mmpose_samples'))
    return osp.join(root, 'panoptic_body3d')


def find_calibrations(calib_dir: Optional[str] = None) -> Dict[str, str]:
    """``<calib_dir>/<seq>/calibration_<seq>.json`` -> ``{seq: path}`` for
    the sequences of :data:`CALIBRATION_SEQUENCES` that exist (all found
    ones when none of those does)."""
    calib_dir = calib_dir or default_calib_dir()
    if not osp.isdir(calib_dir):
        raise FileNotFoundError(
            f'Panoptic calibration folder not found: {calib_dir}')
    found = {}
    for seq in sorted(os.listdir(calib_dir)):
        path = osp.join(calib_dir, seq, f'calibration_{seq}.json')
        if osp.isfile(path):
            found[seq] = path
    if not found:
        raise FileNotFoundError(
            f'no <seq>/calibration_<seq>.json under {calib_dir}')
    preferred = {s: p for s, p in found.items() if s in CALIBRATION_SEQUENCES}
    return preferred or found


def annotated_frames(begin: int,
                     end: int,
                     step: int = ANNOTATION_STEP) -> List[int]:
    """Multiples of ``step`` inside ``[begin, end)``."""
    first = -(-int(begin) // step) * step
    return list(range(first, int(end), step))


def sentence_frames(begin: int, end: int) -> List[int]:
    """Every frame the loader reads for a sentence: annotated frames and
    the window frames, sorted."""
    return sorted(
        set(annotated_frames(begin, end))
        | set(int(f) for f in window_frames(begin, end)))


# ---------------------------------------------------------------- motion


@lru_cache(maxsize=4)
def load_motion_library(
        motion_dir: Optional[str] = None) -> Dict[str, np.ndarray]:
    """All DeepMimic clips as H36M-17 joints ``(T, 17, 3)``, z-up metres,
    30 fps (:func:`~.deepmimic.clip_to_h36m_world`), by clip name."""
    motion_dir = motion_dir or default_motion_dir()
    humanoid = load_humanoid(default_urdf_path())
    return {
        name: clip_to_h36m_world(path, humanoid, FPS)
        for name, path in find_clips(motion_dir).items()
    }


def _unit(v: np.ndarray) -> np.ndarray:
    return v / np.maximum(np.linalg.norm(v, axis=-1, keepdims=True), 1e-9)


def facing_yaw(joints: np.ndarray) -> np.ndarray:
    """``(T,)`` yaw (rad, from +x towards +y) of the torso's forward axis."""
    _, _, fwd = body_axes(joints)
    return np.arctan2(fwd[:, 1], fwd[:, 0])


def retarget_clip(joints: np.ndarray, lengths: np.ndarray) -> np.ndarray:
    """A clip ``(T, 17, 3)`` (z-up metres) on new bones ``lengths`` (17,):
    scaled by the leg-length ratio first (strides and jumps scale with the
    legs), bones set by :func:`retarget_bones`, then shifted in z so that
    the floor contact (10th percentile of the per-frame lowest joint) stays
    where the clip had it."""
    src_leg = np.linalg.norm(joints[:, 2] - joints[:, 1], axis=-1).mean() + \
        np.linalg.norm(joints[:, 3] - joints[:, 2], axis=-1).mean()
    ratio = (lengths[2] + lengths[3]) / src_leg
    out = retarget_bones(joints * ratio, lengths)
    floor_src = np.percentile(joints[..., 2].min(1), 10)
    floor_new = np.percentile(out[..., 2].min(1), 10)
    out[..., 2] += floor_src - floor_new
    return out


def _rot_z(yaw: float) -> np.ndarray:
    c, s = np.cos(yaw), np.sin(yaw)
    return np.array([[c, -s, 0.], [s, c, 0.], [0., 0., 1.]])


def _place(src: np.ndarray, yaw: float, anchor: np.ndarray) -> np.ndarray:
    """Rotate ``src`` (n, 17, 3) mm about its first root's vertical by
    ``yaw`` and move that root's ground point to ``anchor`` (2,)."""
    origin = np.array([src[0, 0, 0], src[0, 0, 1], 0.])
    out = (src - origin) @ _rot_z(yaw).T
    out[..., :2] += anchor
    return out


def _blend_junctions(joints: np.ndarray,
                     junctions: Sequence[int],
                     lengths_mm: np.ndarray,
                     width: int = 10) -> np.ndarray:
    """Smooth the repetitions' joins: frames within ``width / 2`` of a
    junction are interpolated between the poses just outside, root-relative
    pose in the body's own yaw frame (yaw interpolated on the short arc),
    root linearly; bones are re-set afterwards."""
    out = joints.copy()
    T = len(joints)
    yaw = facing_yaw(joints)
    for j in junctions:
        a, c = j - width // 2 - 1, j + width // 2
        if a < 0 or c >= T:
            continue
        rel_a = (joints[a] - joints[a, 0]) @ _rot_z(-yaw[a]).T
        rel_c = (joints[c] - joints[c, 0]) @ _rot_z(-yaw[c]).T
        dyaw = (yaw[c] - yaw[a] + np.pi) % (2 * np.pi) - np.pi
        for i in range(a + 1, c):
            w = (i - a) / (c - a)
            rel = ((1 - w) * rel_a + w * rel_c) @ _rot_z(yaw[a] + w * dyaw).T
            out[i] = rel + (1 - w) * joints[a, 0] + w * joints[c, 0]
    return retarget_bones(out, lengths_mm)


def compose_motion(
        rng: np.random.Generator,
        clip_mm: np.ndarray,
        num_frames: int,
        start_xy: np.ndarray,
        yaw0: float,
        check: Callable[[np.ndarray, int], bool],
        lengths_mm: np.ndarray,
        roam: float = 900.
) -> Optional[Tuple[np.ndarray, List[Tuple[int, int]]]]:
    """Repeat a retargeted clip (mm, z up) over ``num_frames`` frames.

    The first repetition starts at a random phase, at ``start_xy`` with
    yaw offset ``yaw0``; each next one starts where and facing as the last
    one ended while it ends within ``roam`` mm of the start (else the yaws
    leading back are tried first), or turned when ``check(frames (n, 17,
    3), first_frame)`` rejects it (12 yaws tried).

    Returns:
        tuple | None: ``(joints (T, 17, 3) mm, reps)`` with ``reps`` the
        scene frame range of each repetition, or None when no placement
        passes.
    """
    Tc = len(clip_mm)
    home = np.asarray(start_xy, np.float64)
    dyaw = float(np.diff(np.unwrap(facing_yaw(clip_mm))).sum())
    phase = int(rng.integers(0, Tc))
    pieces, reps, junctions = [], [], []
    t, anchor, yaw = 0, np.asarray(start_xy, np.float64), float(yaw0)
    first = True
    turns = np.deg2rad(np.arange(30, 360, 30))
    while t < num_frames:
        src = clip_mm[phase:] if first else clip_mm
        n = min(len(src), num_frames - t)
        src = src[:n]
        # keep near home: continue straight while the repetition ends
        # within ``roam`` of it, else prefer the yaws that lead back
        step = src[-1, 0, :2] - src[0, 0, :2]
        options = np.concatenate([[yaw], yaw + turns])
        ends = anchor + np.stack([
            np.cos(options) * step[0] - np.sin(options) * step[1],
            np.sin(options) * step[0] + np.cos(options) * step[1]
        ], 1)
        score = np.linalg.norm(
            ends - home, axis=1) + rng.uniform(0, 300, len(options))
        if score[0] - 300 < roam:
            score[0] = -1.
        placed = None
        for y in options[np.argsort(score, kind='stable')]:
            cand = _place(src, y, anchor)
            if check(cand, t):
                placed, used = cand, y
                break
        if placed is None:
            return None
        if not first:
            junctions.append(t)
        pieces.append(placed)
        reps.append((t - (phase if first else 0), t + n))
        anchor = placed[-1, 0, :2].copy()
        yaw = used + dyaw
        t += n
        first = False
    joints = np.concatenate(pieces)
    if junctions:
        joints = _blend_junctions(joints, junctions, lengths_mm)
    # no joint below the floor clearance (retargeted legs can sink)
    joints[...,
           2] += np.maximum(0.,
                            FLOOR_CLEARANCE_MM - joints[..., 2].min(1))[:,
                                                                        None]
    if junctions and not check(joints, 0):
        return None
    return joints, reps


# ---------------------------------------------------------------- scenes


@dataclass
class ScenePerson:
    """One person of a scene. ``joints`` (T, 17, 3): H36M-17, mm, loader
    axes (z up, floor z = 0); ``reps``: scene frame ranges of the clip's
    repetitions; ``lengths`` (17,) bone lengths (m); ``height_m`` the
    standing height; ``rest_mm`` the ankles' floor-contact height."""
    body_id: int
    clip: str
    shirt: str
    trousers: str
    skin: Tuple[int, int, int]
    hair: Tuple[int, int, int]
    shoes: Tuple[int, int, int]
    build: str
    scale: float
    lengths: np.ndarray
    height_m: float
    joints: Optional[np.ndarray] = None
    reps: List[Tuple[int, int]] = field(default_factory=list)
    rest_mm: float = 55.

    def info(self) -> dict:
        return dict(
            body_id=self.body_id,
            clip=self.clip,
            action=clip_action(self.clip)[1],
            shirt=self.shirt,
            trousers=self.trousers,
            build=self.build,
            height_m=round(float(self.height_m), 3),
            scale=round(float(self.scale), 4))


@dataclass
class Scene:
    """A clip: ``video_id``, the calibration sequence and file, the HD
    ``camera_id`` and its loader-axes ``camera``, ``num_frames`` and the
    ``people`` (body ids 0..n-1)."""
    index: int
    video_id: str
    sequence: str
    calib_path: str
    camera_id: int
    camera: dict
    num_frames: int
    people: List[ScenePerson]


def standing_height(lengths: np.ndarray, rest_m: float = 0.055) -> float:
    """Standing height (m) of bones ``lengths``: ankle rest height + shin +
    thigh + spine + neck + head (centre to top) + hair."""
    return float(rest_m + lengths[3] + lengths[2] + lengths[7] + lengths[8] +
                 lengths[9] + lengths[10] + 0.02)


def sample_person(rng: np.random.Generator, body_id: int, clip: str,
                  shirt: str, trousers: str) -> ScenePerson:
    """Random look and bones of a person (Human3.6M mean bones x scale x
    +-4 % per bone group)."""
    scale = float(rng.uniform(*SCALE_RANGE))
    lengths = H36M_BONE_LENGTHS * scale
    for group in ((1, 4), (2, 5), (3, 6), (7, 8), (11, 14), (12, 15), (13,
                                                                       16)):
        lengths[list(group)] *= rng.uniform(0.96, 1.04)
    build = str(rng.choice(list(BUILDS), p=[0.3, 0.4, 0.3]))
    return ScenePerson(
        body_id=body_id,
        clip=clip,
        shirt=shirt,
        trousers=trousers,
        skin=SKIN_TONES[rng.integers(len(SKIN_TONES))],
        hair=HAIR_COLOURS[rng.integers(len(HAIR_COLOURS))],
        shoes=SHOE_COLOURS[rng.integers(len(SHOE_COLOURS))],
        build=build,
        scale=scale,
        lengths=lengths,
        height_m=standing_height(lengths))


_GRID_CACHE: Dict[tuple, np.ndarray] = {}


def _camera_key(camera: dict) -> tuple:
    return (camera['name'], ) + tuple(np.round(camera['R'], 6).ravel()) + \
        tuple(np.round(camera['t'], 4).ravel())


def _in_image(pixels: np.ndarray, margin: float = IMAGE_MARGIN) -> bool:
    w, h = IMAGE_SIZE
    return bool(
        np.isfinite(pixels).all() and (pixels[..., 0] >= margin).all()
        and (pixels[..., 0] < w - margin).all()
        and (pixels[..., 1] >= margin).all()
        and (pixels[..., 1] < h - margin).all())


def floor_grid(camera: dict, step: float = 150.) -> np.ndarray:
    """``(N, 2)`` floor points (mm) where a 1.75 m tall, 0.3 m wide box
    fits inside the image and the dome area."""
    key = _camera_key(camera)
    if key not in _GRID_CACHE:
        r = AREA_RADIUS_MM - 150
        xs = np.arange(-r, r + 1, step)
        gx, gy = np.meshgrid(xs, xs)
        pts = np.stack([gx.ravel(), gy.ravel()], 1)
        pts = pts[np.hypot(pts[:, 0], pts[:, 1]) <= r]
        box = np.array([[dx, dy, dz] for dx in (-150, 150)
                        for dy in (-150, 150) for dz in (100, 1750)])
        ok = [
            _in_image(
                project_to_image(box + np.array([p[0], p[1], 0.]), camera), 20)
            for p in pts
        ]
        _GRID_CACHE[key] = pts[np.asarray(ok, bool)]
        if not len(_GRID_CACHE[key]):
            raise ValueError(f'camera {camera["name"]} sees no floor area '
                             f'inside {AREA_RADIUS_MM} mm of the dome axis')
    return _GRID_CACHE[key]


def _make_check(
        camera: dict,
        others: List[ScenePerson]) -> Callable[[np.ndarray, int], bool]:
    """Placement test of a person's frames ``(n, 17, 3)`` starting at scene
    frame ``t``: inside the area, root inside the image and most joints
    too (:data:`MIN_INSIDE`), away from ``others``."""

    def check(frames: np.ndarray, t: int) -> bool:
        if (np.hypot(frames[..., 0], frames[..., 1]) > AREA_RADIUS_MM).any():
            return False
        px = project_to_image(frames.reshape(-1, 3),
                              camera).reshape(frames.shape[:2] + (2, ))
        if not _in_image(px[:, 0]):  # the root always inside
            return False
        w, h = IMAGE_SIZE
        inside = np.isfinite(px).all(-1) & (px[..., 0] >= 0) & (
            px[..., 0] < w) & (px[..., 1] >= 0) & (
                px[..., 1] < h)
        if inside.mean(1).min() < MIN_INSIDE:
            return False
        n = len(frames)
        for o in others:
            other = o.joints[t:t + n, :, :2]
            d = np.linalg.norm(
                frames[:, :, None, :2] - other[:, None], axis=-1)
            if d.min() < MIN_GAP_MM:
                return False
        return True

    return check


def plan_scene(seed: int,
               index: int,
               calibrations: Dict[str, str],
               cameras: Sequence[int] = (16, 30),
               motion_dir: Optional[str] = None) -> Scene:
    """Draw scene ``index`` of generation ``seed`` (deterministic): camera,
    length, people, their clips, looks and placed motions."""
    rng = np.random.default_rng([int(seed), int(index), 1])
    library = load_motion_library(motion_dir)
    clip_names = sorted(library)
    calm = [
        n for n in clip_names
        if np.linalg.norm(library[n][-1, 0, :2] -
                          library[n][0, 0, :2]) < CALM_TRAVEL_M
    ] or clip_names
    seqs = sorted(calibrations)
    seq = seqs[rng.integers(len(seqs))]
    camera_id = int(cameras[rng.integers(len(cameras))])
    camera = load_hd_camera(calibrations[seq], camera_id)
    grid = floor_grid(camera)
    centre = camera['T'].ravel()[:2]
    for _ in range(6):
        num_frames = int(rng.integers(SCENE_FRAMES[0], SCENE_FRAMES[1] + 1))
        want = int(rng.integers(PEOPLE_RANGE[0], PEOPLE_RANGE[1] + 1))
        palette = list(rng.permutation(list(COLOURS)))
        shirts = palette[:max(2, want - int(rng.integers(0, 2)))]
        trousers = list(rng.permutation(
            list(COLOURS)))[:max(2, want - int(rng.integers(0, 3)))]
        people: List[ScenePerson] = []
        for body_id in range(want):
            placed = None
            for clip_try in range(3):
                # retries draw clips that stay near their place
                pool = clip_names if clip_try == 0 else calm
                clip = pool[rng.integers(len(pool))]
                person = sample_person(rng, len(people), clip,
                                       str(rng.choice(shirts)),
                                       str(rng.choice(trousers)))
                clip_m = retarget_clip(library[clip], person.lengths)
                ankles = clip_m[:, [3, 6], 2].min(1)
                person.rest_mm = float(np.percentile(ankles, 10) * 1000)
                clip_mm = clip_m * 1000.
                check = _make_check(camera, people)
                for _try in range(12):
                    if people and rng.random() < 0.5:
                        ref = people[rng.integers(len(people))]
                        root = ref.joints[0, 0, :2]
                        away = _unit(root - centre)
                        side = np.array([-away[1], away[0]])
                        dist = rng.uniform(900, 1600) * rng.choice([-1, 1])
                        start = root + away * dist + side * rng.uniform(
                            -350, 350)
                    else:
                        start = grid[rng.integers(len(grid))] + \
                            rng.uniform(-75, 75, 2)
                    out = compose_motion(rng, clip_mm, num_frames, start,
                                         rng.uniform(-np.pi, np.pi), check,
                                         person.lengths * 1000.,
                                         rng.uniform(300, 1000))
                    if out is not None:
                        person.joints, person.reps = out
                        placed = person
                        break
                if placed is not None:
                    break
            if placed is not None:
                people.append(placed)
        if len(people) >= PEOPLE_RANGE[0]:
            return Scene(index, f'scene_{index:05d}', seq, calibrations[seq],
                         camera_id, camera, num_frames, people)
    raise RuntimeError(f'scene {index}: could not place two people for '
                       f'camera {camera["name"]} of {seq}')


# ---------------------------------------------------------------- facts


def _kth_largest(x: np.ndarray, k: int) -> float:
    if len(x) < k:
        return 0.
    return float(np.partition(x, len(x) - k)[len(x) - k])


def movement_facts(scene: Scene, begin: int,
                   end: int) -> List[Dict[str, Tuple[float, float]]]:
    """Per person, movement -> ``(strength, peak)`` inside ``[begin,
    end)``: the movement holds when ``strength >= 1`` and is clearly absent
    when ``peak < MOVEMENT_CLEAR``. Per-frame scores (only frames where the
    torso is upright, ``up_z > 0.75``, unless said otherwise):

    * raise arm: (wrist z - shoulder z) / 100 mm, sustained 5 frames;
    * kick: min((ankle z - other ankle z) / 350 mm, ankle ahead of the
      pelvis along the facing / 250 mm), 2 frames;
    * jump: (lower ankle - floor contact) / 120 mm with the pelvis above
      75 % of its standing height, 3 frames;
    * crouch (``up_z > 0.5``, both ankles within 100 mm of the floor
      contact): (standing pelvis - pelvis) / (30 % standing pelvis),
      8 frames;
    * turn around: range of the unwrapped facing yaw / 120 deg (>= 10
      upright frames);
    * walk forward: net root displacement along the mean facing / 800 mm
      (>= 80 % upright frames); move left / right / towards / away: net
      displacement along the camera's horizontal x / -z / z axes / 800 mm.
    """
    cam_x = _unit(scene.camera['R'][0, :2])
    cam_z = _unit(scene.camera['R'][2, :2])
    out = []
    for p in scene.people:
        J = p.joints[begin:end]
        _, up, fwd = body_axes(J)
        upright = up[:, 2] > 0.75
        fwd_h = _unit(fwd[:, :2])
        pelvis_z = J[:, 0, 2]
        hp = (p.lengths[2] + p.lengths[3]) * 1000 * 0.97 + p.rest_mm
        scores = {}
        for side, (w, s) in (('left', (13, 11)), ('right', (16, 14))):
            scores[f'raise_{side}_arm'] = np.where(
                upright, (J[:, w, 2] - J[:, s, 2]) / 100., 0.)
        for side, (a, b) in (('left', (6, 3)), ('right', (3, 6))):
            dz = (J[:, a, 2] - J[:, b, 2]) / 350.
            ahead = ((J[:, a, :2] - J[:, 0, :2]) * fwd_h).sum(-1) / 250.
            scores[f'kick_{side}'] = np.where(upright, np.minimum(dz, ahead),
                                              0.)
        low = J[:, [3, 6], 2].min(1) - p.rest_mm
        scores['jump'] = np.where(upright & (pelvis_z > 0.75 * hp), low / 120.,
                                  0.)
        grounded = J[:, [3, 6], 2].max(1) < p.rest_mm + 100.
        scores['crouch'] = np.where((up[:, 2] > 0.5) & grounded,
                                    (hp - pelvis_z) / (0.3 * hp), 0.)
        facts = {
            k: (_kth_largest(v, _SUSTAIN[k]), float(v.max()))
            for k, v in scores.items()
        }
        if upright.sum() >= 10:
            yaw = np.unwrap(np.arctan2(fwd_h[upright, 1], fwd_h[upright, 0]))
            turn = float((yaw.max() - yaw.min()) / np.deg2rad(120))
        else:
            turn = 0.
        facts['turn_around'] = (turn, turn)
        d = J[-1, 0, :2] - J[0, 0, :2]
        if upright.mean() >= 0.8:
            forward = float(d @ _unit(fwd_h[upright].mean(0)) / 800.)
        else:
            forward = 0.
        facts['walk_forward'] = (forward, forward)
        for name, value in (('move_right', d @ cam_x), ('move_left',
                                                        -d @ cam_x),
                            ('move_away', d @ cam_z), ('move_towards',
                                                       -d @ cam_z)):
            facts[name] = (float(value / 800.), float(value / 800.))
        out.append(facts)
    return out


def unique_movements(facts: List[Dict[str, Tuple[float, float]]],
                     person: int) -> List[str]:
    """Movements that hold for ``person`` and clearly for nobody else."""
    return [
        k for k, (strength, _) in facts[person].items()
        if strength >= 1. and all(f[k][1] < MOVEMENT_CLEAR
                                  for i, f in enumerate(facts) if i != person)
    ]


def behaviour_verbs(clip: str) -> Tuple[str, ...]:
    """All behaviour verbs of a clip (see :data:`BEHAVIOURS`)."""
    if clip in BEHAVIOURS:
        return tuple(v for v, _ in BEHAVIOURS[clip])
    return (clip_action(clip)[1], )


def behaviour_candidates(people: Sequence[ScenePerson],
                         person: int) -> List[Tuple[str, Tuple[str, ...]]]:
    """``(verb, phrases)`` of ``person``'s clip that no one else has."""
    others = set()
    for i, p in enumerate(people):
        if i != person:
            others.update(behaviour_verbs(p.clip))
    clip = people[person].clip
    entries = BEHAVIOURS.get(
        clip, ((clip_action(clip)[1],
                (f'the person doing {clip_action(clip)[1]}', )), ))
    return [(v, ph) for v, ph in entries if v not in others]


def appearance_candidates(people: Sequence[ScenePerson],
                          person: int) -> List[Tuple[str, Tuple[str, ...]]]:
    """``(attribute key, phrases)`` true of ``person`` and of no one else:
    unique shirt / trousers colour, tallest / shortest by
    :data:`HEIGHT_MARGIN_M`, unique slim / heavy build, and combinations of
    those. The key names the attributes, e.g. ``'tall+shirt=red'``."""
    p = people[person]
    others = [q for i, q in enumerate(people) if i != person]
    shirt = all(q.shirt != p.shirt for q in others)
    trousers = all(q.trousers != p.trousers for q in others)
    heights = [q.height_m for q in others]
    tall = p.height_m - max(heights) >= HEIGHT_MARGIN_M
    short = min(heights) - p.height_m >= HEIGHT_MARGIN_M
    build = p.build != 'average' and all(q.build != p.build for q in others)
    out = []
    if shirt:
        out.append(
            (f'shirt={p.shirt}', (f'the person in a {p.shirt} shirt',
                                  f'the person wearing a {p.shirt} shirt',
                                  f'the person with the {p.shirt} top')))
    if trousers:
        out.append((f'trousers={p.trousers}',
                    (f'the person wearing {p.trousers} trousers',
                     f'the person in {p.trousers} trousers',
                     f'the person with {p.trousers} pants')))
    if shirt and trousers:
        out.append(
            (f'shirt={p.shirt}+trousers={p.trousers}',
             (f'the person in a {p.shirt} shirt and {p.trousers} trousers', )))
    for flag, word, most in ((tall, 'tall', 'tallest'), (short, 'short',
                                                         'shortest')):
        if not flag:
            continue
        out.append((word, (f'the {most} person', f'the {most} one')))
        if shirt:
            out.append((f'{word}+shirt={p.shirt}',
                        (f'the {word} person in a {p.shirt} shirt', )))
        if trousers:
            out.append(
                (f'{word}+trousers={p.trousers}',
                 (f'the {word} person wearing {p.trousers} trousers', )))
    if build:
        phrases = ('the slim person', 'the thin person') if \
            p.build == 'slim' else ('the heavily built person',
                                    'the stout person')
        out.append((f'build={p.build}', phrases))
    return out


def _random_span(rng: np.random.Generator, num_frames: int) -> Tuple[int, int]:
    length = int(rng.integers(SPAN_RANGE[0], SPAN_RANGE[1] + 1))
    length = min(length, num_frames)
    begin = int(rng.integers(0, num_frames - length + 1))
    return begin, begin + length


def _rep_span(rng: np.random.Generator, person: ScenePerson,
              num_frames: int) -> Tuple[int, int]:
    """A span covering one of the person's repetitions (as much of it as
    ``SPAN_RANGE`` allows)."""
    s, e = person.reps[rng.integers(len(person.reps))]
    s, e = max(s, 0), min(e, num_frames)
    length = int(np.clip(e - s + rng.integers(0, 31), *SPAN_RANGE))
    length = min(length, num_frames)
    slack = max(length - (e - s), 0)
    begin = s - int(rng.integers(0, slack + 1))
    begin = int(np.clip(begin, 0, num_frames - length))
    return begin, begin + length


def make_sentences(rng: np.random.Generator,
                   scene: Scene,
                   mask_pixels: Callable[[int], np.ndarray],
                   extra_prob: float = 0.35) -> List[dict]:
    """Sentences of a scene: for each category, one for a random person
    whose description is unique (and, with ``extra_prob``, one more for
    another person). ``mask_pixels(frame)`` gives the per-body mask pixel
    counts; a sentence needs :data:`MIN_MASK_PIXELS` on every annotated
    frame. Returns records with an extra ``fact`` key (dropped on
    writing)."""
    n = len(scene.people)
    records = []

    def visible(person: int, begin: int, end: int) -> bool:
        frames = annotated_frames(begin, end)
        return bool(frames) and all(
            mask_pixels(f)[person] >= MIN_MASK_PIXELS for f in frames)

    for category in ('appearance', 'behaviour', 'movement'):
        used = []
        for person in rng.permutation(n):
            person = int(person)
            found = None
            for _ in range(6):
                if category == 'behaviour':
                    cands = behaviour_candidates(scene.people, person)
                    begin, end = _rep_span(rng, scene.people[person],
                                           scene.num_frames)
                elif category == 'appearance':
                    cands = appearance_candidates(scene.people, person)
                    begin, end = _random_span(rng, scene.num_frames)
                else:
                    begin, end = _random_span(rng, scene.num_frames)
                    facts = movement_facts(scene, begin, end)
                    cands = [(k, MOVEMENTS[k])
                             for k in unique_movements(facts, person)]
                if not cands:
                    if category != 'movement':
                        break
                    continue
                if not visible(person, begin, end):
                    continue
                key, phrases = cands[rng.integers(len(cands))]
                found = dict(
                    video_id=scene.video_id,
                    camera_id=scene.camera_id,
                    begin_frame=begin,
                    end_frame=end,
                    body_id=scene.people[person].body_id,
                    category=[CATEGORY_CODES[category]],
                    label=str(phrases[rng.integers(len(phrases))]),
                    fact=key)
                break
            if found is None:
                continue
            records.append(found)
            used.append(person)
            if len(used) >= 2 or rng.random() >= extra_prob:
                break
    return records


# ---------------------------------------------------------------- render

_CIRCLE = np.stack([
    np.cos(np.linspace(0, 2 * np.pi, 16, endpoint=False)),
    np.sin(np.linspace(0, 2 * np.pi, 16, endpoint=False))
], 1)


def person_parts(
        joints: np.ndarray, person: ScenePerson
) -> Tuple[np.ndarray, np.ndarray, np.ndarray, list]:
    """Capsules of a person at one frame: ``(p1 (N, 3), p2 (N, 3), radius
    (N,) mm, colours (N BGR tuples))``; a sphere has ``p1 == p2``.

    Args:
        joints (np.ndarray): H36M-17 joints of the frame, mm, loader axes.
        person (ScenePerson): Look and build.
    """
    J = joints
    tf, lf = BUILDS[person.build]
    s = person.scale
    r = {
        k: v * s * (tf if k in ('torso', 'hips', 'shoulders') else lf)
        for k, v in PART_RADII.items()
    }
    _, _, fwd = body_axes(J[None])
    fwd = fwd[0]
    _, h_up, h_fwd = (a[0] for a in head_axes(J[None], fwd[None]))
    shirt, trousers = COLOURS[person.shirt], COLOURS[person.trousers]
    skin = person.skin
    parts = []

    def add(a, b, radius, colour):
        parts.append((a, b, radius, colour))

    waist = J[0] + 0.3 * (J[7] - J[0])
    add(waist, J[8] + 0.1 * (J[0] - J[8]), r['torso'], shirt)
    add(J[4], J[1], r['hips'], trousers)
    add(J[11], J[14], r['shoulders'], shirt)
    for s_, e_, w_ in ((11, 12, 13), (14, 15, 16)):
        add(J[s_], J[e_], r['upper_arm'], shirt)
        add(J[e_], J[w_], r['forearm'], shirt)
        hand_dir = _unit(J[w_] - J[e_])
        add(J[w_], J[w_] + 70. * s * hand_dir, r['hand'], skin)
    for h_, k_, a_ in ((1, 2, 3), (4, 5, 6)):
        add(J[h_], J[k_], r['thigh'], trousers)
        add(J[k_], J[a_], r['shin'], trousers)
        shin = _unit(J[a_] - J[k_])
        foot = _unit(fwd - (fwd @ shin) * shin)
        add(J[a_], J[a_] + 150. * s * foot, r['foot'], person.shoes)
    add(J[8], J[8] + 0.7 * (J[9] - J[8]), r['neck'], skin)
    radius = 0.95 * np.linalg.norm(J[10] - J[9])
    face = J[9] + 0.1 * radius * h_fwd
    hair = J[9] + 0.15 * radius * h_up - 0.14 * radius * h_fwd
    add(face - 0.12 * radius * h_up, face + 0.12 * radius * h_up, radius, skin)
    add(hair, hair, radius * 0.98, person.hair)
    p1 = np.array([p[0] for p in parts])
    p2 = np.array([p[1] for p in parts])
    rad = np.array([p[2] for p in parts])
    return p1, p2, rad, [p[3] for p in parts]


def _capsule(a: np.ndarray, b: np.ndarray, ra: float, rb: float) -> np.ndarray:
    """Convex polygon (int32, 4 fractional bits) of a 2D capsule."""
    pts = np.concatenate(
        [a + max(ra, 0.5) * _CIRCLE, b + max(rb, 0.5) * _CIRCLE])
    return cv2.convexHull(np.round(pts * 16).astype(np.int32))


def render_frame(
    scene: Scene,
    frame: int,
    background: Optional[np.ndarray] = None
) -> Tuple[Optional[np.ndarray], np.ndarray]:
    """Paint every person's parts far to near (camera depth of the part's
    centre) into the mask (palette index ``body_id + 1``) and, when
    ``background`` (H, W, 3) is given, into a copy of it.

    Returns:
        tuple: ``(image (H, W, 3) uint8 BGR or None, mask (H, W) uint8)``.
    """
    w, h = IMAGE_SIZE
    cam = scene.camera
    mask = np.zeros((h, w), np.uint8)
    img = None if background is None else background.copy()
    P1, P2, R, colours, index = [], [], [], [], []
    for p in scene.people:
        a, b, rad, cols = person_parts(p.joints[frame], p)
        P1.append(a)
        P2.append(b)
        R.append(rad)
        colours += cols
        index += [p.body_id + 1] * len(rad)
        if img is not None:
            _blob_shadow(img, p.joints[frame], cam, p.scale)
    P1, P2, R = np.concatenate(P1), np.concatenate(P2), np.concatenate(R)
    z1 = world_to_camera_mm(P1, cam)[:, 2]
    z2 = world_to_camera_mm(P2, cam)[:, 2]
    u1, u2 = project_to_image(P1, cam), project_to_image(P2, cam)
    f = 0.5 * (cam['fx'] + cam['fy'])
    order = np.argsort(-(z1 + z2), kind='stable')
    light = np.array([-0.45, -0.55])
    for i in order:
        if z1[i] < 100 or z2[i] < 100 or not (np.isfinite(u1[i]).all()
                                              and np.isfinite(u2[i]).all()):
            continue
        ra, rb = f * R[i] / z1[i], f * R[i] / z2[i]
        poly = _capsule(u1[i], u2[i], ra, rb)
        cv2.fillConvexPoly(mask, poly, int(index[i]), cv2.LINE_8, 4)
        if img is not None:
            base = np.asarray(colours[i], np.float64)
            cv2.fillConvexPoly(img, poly, tuple(int(c) for c in base * 0.82),
                               cv2.LINE_8, 4)
            off = light * 0.3 * min(ra, rb)
            hi = _capsule(u1[i] + off, u2[i] + off, 0.55 * ra, 0.55 * rb)
            cv2.fillConvexPoly(
                img, hi,
                tuple(int(c) for c in np.minimum(base * 1.08 + 8, 255)),
                cv2.LINE_8, 4)
    return img, mask


def _blob_shadow(img: np.ndarray, joints: np.ndarray, camera: dict,
                 scale: float) -> None:
    """Darken a soft disc of the floor under the person (in place)."""
    centre = joints[:, :2].mean(0)
    spread = np.linalg.norm(joints[:, :2] - centre, axis=-1).max()
    radius = max(300. * scale, spread + 120.)
    ring = np.concatenate([centre + radius * _CIRCLE, np.zeros((16, 1))], 1)
    px = project_to_image(ring, camera)
    if not np.isfinite(px).all():
        return
    h, w = img.shape[:2]
    x0, y0 = np.floor(px.min(0)).astype(int) - 8
    x1, y1 = np.ceil(px.max(0)).astype(int) + 8
    x0, y0, x1, y1 = max(x0, 0), max(y0, 0), min(x1, w), min(y1, h)
    if x1 - x0 < 4 or y1 - y0 < 4:
        return
    m = np.zeros((y1 - y0, x1 - x0), np.float32)
    cv2.fillConvexPoly(m, np.round(px - [x0, y0]).astype(np.int32), 1.)
    m = cv2.GaussianBlur(m, (0, 0), 5)
    sub = img[y0:y1, x0:x1].astype(np.float32)
    img[y0:y1, x0:x1] = (sub * (1 - 0.35 * m[..., None])).astype(np.uint8)


_GEOMETRY_CACHE: Dict[tuple, dict] = {}


def background_geometry(camera: dict) -> dict:
    """What every pixel (half resolution, 960 x 540) of ``camera`` sees:
    ``floor`` (bool), floor ``x``/``y`` (mm), wall azimuth ``az`` and
    elevation ``el`` (rad) on the dome sphere. Cached per camera."""
    key = _camera_key(camera)
    if key in _GEOMETRY_CACHE:
        return _GEOMETRY_CACHE[key]
    w, h = IMAGE_SIZE[0] // 2, IMAGE_SIZE[1] // 2
    u, v = np.meshgrid(np.arange(w) * 2 + 0.5, np.arange(h) * 2 + 0.5)
    pix = np.stack([u.ravel(), v.ravel()], 1).reshape(-1, 1, 2)
    norm = cv2.undistortPoints(pix, camera['K'], camera['dist']).reshape(-1, 2)
    d = np.concatenate([norm, np.ones((len(norm), 1))], 1) @ camera['R']
    d = _unit(d)
    C = camera['T'].ravel()
    S = np.array([0., 0., DOME_CENTRE_Z_MM])
    oc = C - S
    b = d @ oc
    c = oc @ oc - DOME_RADIUS_MM**2
    t_s = -b + np.sqrt(np.maximum(b * b - c, 0.))
    with np.errstate(divide='ignore', invalid='ignore'):
        t_f = np.where(d[:, 2] < -1e-6, -C[2] / d[:, 2], np.inf)
    floor = t_f < t_s
    pf = C + np.minimum(t_f, 1e7)[:, None] * d
    ps = C + t_s[:, None] * d - S
    geom = dict(
        floor=floor.reshape(h, w),
        x=pf[:, 0].reshape(h, w),
        y=pf[:, 1].reshape(h, w),
        az=np.arctan2(ps[:, 1], ps[:, 0]).reshape(h, w),
        el=np.arcsin(np.clip(ps[:, 2] / DOME_RADIUS_MM, -1, 1)).reshape(h, w))
    _GEOMETRY_CACHE[key] = geom
    return geom


def _cell_hash(i: np.ndarray, j: np.ndarray, salt: int) -> np.ndarray:
    """Pseudo-random [0, 1) per integer cell."""
    v = (i.astype(np.int64) * 73856093 + j.astype(np.int64) * 19349663 +
         salt * 83492791) % 1000003
    v = (v * 2654435761) % 1000003
    return v / 1000003.


def make_background(rng: np.random.Generator, camera: dict) -> np.ndarray:
    """A textured dome seen by ``camera``: floor tiles (random size, colour
    and per-tile shade, grout lines, wave noise, sometimes a painted ring)
    and wall panels (per-panel shade, seams, dark camera dots, vertical
    light gradient), plus pixel noise. ``(1080, 1920, 3)`` uint8 BGR."""
    g = background_geometry(camera)
    salt = int(rng.integers(1, 10**6))
    # floor
    tile = rng.uniform(400, 900)
    fbase = np.array([
        (90, 90, 95), (60, 75, 95), (70, 100, 140), (80, 105, 80),
        (120, 115, 110)
    ][rng.integers(5)], np.float64) * rng.uniform(0.8, 1.2)
    x, y = g['x'] / tile, g['y'] / tile
    i, j = np.floor(x), np.floor(y)
    fu, fv = x - i, y - j
    shade = 1 + 0.22 * (_cell_hash(i, j, salt) - 0.5)
    for _ in range(3):
        k = rng.normal(0, 1, 2) * 2 * np.pi / rng.uniform(600, 2500)
        shade = shade + 0.05 * np.sin(k[0] * g['x'] + k[1] * g['y'] +
                                      rng.uniform(0, 2 * np.pi))
    floor = fbase * shade[..., None]
    grout = np.minimum(np.minimum(fu, 1 - fu), np.minimum(fv, 1 - fv)) < 0.025
    floor[grout] *= 0.55
    if rng.random() < 0.6:
        ring_r = rng.uniform(900, 1800)
        ring = np.abs(np.hypot(g['x'], g['y']) - ring_r) < 30
        floor[ring] = (200, 200, 200)
    # walls
    panel = rng.uniform(450, 800) / DOME_RADIUS_MM
    wbase = np.array([(200, 200, 200), (170, 185, 200), (150, 160, 175),
                      (185, 175, 160), (120, 125, 130)][rng.integers(5)],
                     np.float64)
    a, b = g['az'] / panel, g['el'] / panel
    ia, ib = np.floor(a), np.floor(b)
    fa, fb = a - ia, b - ib
    wshade = (1 + 0.16 * (_cell_hash(ia, ib, salt + 7) - 0.5)) * (
        0.78 + 0.3 * np.clip(g['el'] + 0.3, 0, 1.2))
    wall = wbase * wshade[..., None]
    seam = np.minimum(np.minimum(fa, 1 - fa), np.minimum(fb, 1 - fb)) < 0.03
    wall[seam] *= 0.6
    dot = (np.hypot(fa - 0.5, fb - 0.5) < 0.07) & (
        _cell_hash(ia, ib, salt + 13) < 0.5)
    wall[dot] = (25, 25, 25)
    img = np.where(g['floor'][..., None], floor, wall)
    img = img * rng.uniform(0.85, 1.1, 3) + rng.normal(0, 1.5, img.shape)
    img = np.clip(img, 0, 255).astype(np.uint8)
    return cv2.resize(img, IMAGE_SIZE, interpolation=cv2.INTER_LINEAR)


# ---------------------------------------------------------------- files


def coco19_joints(joints: np.ndarray) -> np.ndarray:
    """``(19, 4)`` coco19 joints (x, y, z cm in the Panoptic world, y down;
    confidence 1) from H36M-17 joints ``(17, 3)`` mm in loader axes. The
    nose, eyes and ears are derived from the head sphere (centre = H36M
    joint 9, radius = its distance to the head top) and the head's axes."""
    J = np.asarray(joints, np.float64)
    _, _, fwd = body_axes(J[None])
    right, up, hfwd = (a[0] for a in head_axes(J[None], fwd))
    c, r = J[9], np.linalg.norm(J[10] - J[9])
    p15 = h36m_to_panoptic15(J)
    p15[1] = c + r * (0.6 * hfwd - 0.25 * up)
    extra = np.stack([
        c + r * (0.72 * hfwd + 0.22 * up - 0.38 * right),  # left eye
        c + r * (-0.1 * hfwd - 0.95 * right),  # left ear
        c + r * (0.72 * hfwd + 0.22 * up + 0.38 * right),  # right eye
        c + r * (-0.1 * hfwd + 0.95 * right),  # right ear
    ])
    pts = np.concatenate([p15, extra]) @ LOADER_AXES.T / 10.
    return np.concatenate([pts, np.ones((19, 1))], 1)


def body_file(scene: Scene, frame: int) -> dict:
    """The ``body3DScene_FFFFFFFF.json`` content of a frame."""
    bodies = []
    for p in scene.people:
        j19 = coco19_joints(p.joints[frame])
        bodies.append(
            dict(
                id=int(p.body_id),
                joints19=[round(float(v), 3) for v in j19.ravel()]))
    return dict(
        version=0.7,
        univTime=round(frame * 1000. / 29.97, 3),
        fpsType='hd_29_97',
        bodies=bodies)


def save_mask(path: str, mask: np.ndarray) -> None:
    """Palette PNG (mode P): index = body id + 1, 0 = background."""
    im = Image.frombytes('P', (mask.shape[1], mask.shape[0]),
                         np.ascontiguousarray(mask).tobytes())
    im.putpalette(_PALETTE)
    im.save(path, compress_level=3)


def write_scene(scene: Scene, data_root: str, seed: int) -> dict:
    """Make the sentences of ``scene``, render their frames and write
    images, masks, coco19 files and the calibration under ``data_root``.

    Returns:
        dict: ``records`` (sentence records with ``fact``), ``frames``
        (rendered frame ids), ``bytes`` written and the scene ``info``.
    """
    rng = np.random.default_rng([int(seed), scene.index, 2])
    n = len(scene.people)
    masks: Dict[int, np.ndarray] = {}

    def mask_pixels(f: int) -> np.ndarray:
        if f not in masks:
            _, m = render_frame(scene, f)
            masks[f] = np.bincount(m.ravel(), minlength=n + 1)[1:n + 1]
        return masks[f]

    records = make_sentences(rng, scene, mask_pixels)
    frames = sorted({
        f
        for r in records
        for f in sentence_frames(r['begin_frame'], r['end_frame'])
    })
    info = dict(
        video_id=scene.video_id,
        sequence=scene.sequence,
        camera_id=scene.camera_id,
        num_frames=scene.num_frames,
        frames=frames,
        people=[p.info() for p in scene.people],
        sentences=[dict(r) for r in records])
    nbytes = 0
    if records:
        cam = hd_camera_name(scene.camera_id)
        vid = scene.video_id
        img_dir = osp.join(data_root, 'panoptic', vid, 'hdImgs', cam)
        pose_dir = osp.join(data_root, 'panoptic', vid,
                            'hdPose3d_stage1_coco19')
        mask_dir = osp.join(data_root, 'storage_mask', vid, cam)
        for d in (img_dir, pose_dir, mask_dir):
            os.makedirs(d, exist_ok=True)
        calib = osp.join(data_root, 'panoptic', vid, f'calibration_{vid}.json')
        shutil.copyfile(scene.calib_path, calib)
        nbytes += osp.getsize(calib)
        background = make_background(rng, scene.camera)
        for f in frames:
            img, mask = render_frame(scene, f, background)
            stem = frame_stem(scene.camera_id, f)
            ok, buf = cv2.imencode('.jpg', img,
                                   [cv2.IMWRITE_JPEG_QUALITY, JPEG_QUALITY])
            if not ok:
                raise RuntimeError(f'JPEG encoding failed for {vid} {stem}')
            with open(osp.join(img_dir, stem + '.jpg'), 'wb') as fh:
                fh.write(buf.tobytes())
            save_mask(osp.join(mask_dir, stem + '.png'), mask)
            with open(osp.join(pose_dir, f'body3DScene_{f:08d}.json'),
                      'w') as fh:
                json.dump(body_file(scene, f), fh)
            nbytes += len(buf) + osp.getsize(
                osp.join(mask_dir, stem + '.png')) + osp.getsize(
                    osp.join(pose_dir, f'body3DScene_{f:08d}.json'))
    return dict(records=records, frames=frames, bytes=nbytes, info=info)


def split_clips(num_clips: int, seed: int, val_ratio: float,
                test_ratio: float) -> List[str]:
    """Split of each clip index (``'train'``, ``'val'`` or ``'test'``),
    seeded; a positive ratio gets at least one clip when at least three
    clips exist."""
    if not (0 <= val_ratio < 1 and 0 <= test_ratio < 1
            and val_ratio + test_ratio < 1):
        raise ValueError('val_ratio and test_ratio must be in [0, 1) with '
                         f'a sum below 1, got {val_ratio}, {test_ratio}')
    n_val = int(round(num_clips * val_ratio))
    n_test = int(round(num_clips * test_ratio))
    if num_clips >= 3:
        n_val = max(n_val, 1 if val_ratio > 0 else 0)
        n_test = max(n_test, 1 if test_ratio > 0 else 0)
    while n_val + n_test >= num_clips and (n_val or n_test):
        if n_val >= n_test:
            n_val -= 1
        else:
            n_test -= 1
    order = np.random.default_rng([int(seed), 0]).permutation(num_clips)
    splits = ['train'] * num_clips
    for k, idx in enumerate(order):
        if k < n_test:
            splits[idx] = 'test'
        elif k < n_test + n_val:
            splits[idx] = 'val'
    return splits


def _scene_job(args: tuple) -> Tuple[int, dict]:
    seed, index, calibrations, cameras, motion_dir, data_root = args
    scene = plan_scene(seed, index, calibrations, cameras, motion_dir)
    return index, write_scene(scene, data_root, seed)


def write_l3d_scenes(out_dir: str,
                     num_clips: int,
                     seed: int = 0,
                     val_ratio: float = 0.1,
                     test_ratio: float = 0.15,
                     cameras: Sequence[int] = (16, 30),
                     calib_dir: Optional[str] = None,
                     motion_dir: Optional[str] = None,
                     workers: int = 1,
                     verbose: bool = False) -> dict:
    """Generate ``num_clips`` scenes under ``<out_dir>/Panoptic-L3D`` (the
    released layout) with ``sentences_{train,val,test}.json``; write
    ``<out_dir>/l3d_scenes_summary.json`` (parameters and counts),
    ``<out_dir>/scene_info.json`` (per clip: camera, rendered frames,
    people's attributes, sentences with their fact) and a README.

    A previous generation in ``out_dir`` (with its summary file) is
    removed first. Same arguments -> identical files.

    Returns:
        dict: ``clips`` and ``sentences`` per split, ``sentences_per_category``
        per split, ``frames``, ``people``, ``bytes``, ``seconds``,
        ``clips_per_s``, ``mb_per_clip`` and ``data_root``.
    """
    if num_clips < 1:
        raise ValueError(f'num_clips must be >= 1, got {num_clips}')
    cameras = tuple(int(c) for c in cameras)
    bad = [c for c in cameras if c not in (16, 30)]
    if not cameras or bad:
        raise ValueError(f'cameras must be HD nodes 16 and/or 30, got '
                         f'{list(cameras)}')
    start = time.time()
    calibrations = find_calibrations(calib_dir)
    for path in calibrations.values():
        for c in cameras:
            load_hd_camera(path, c)  # clear error when a camera is missing
    data_root = osp.join(out_dir, 'Panoptic-L3D')
    summary_path = osp.join(out_dir, 'l3d_scenes_summary.json')
    if osp.isfile(summary_path) and osp.isdir(data_root):
        shutil.rmtree(data_root)
    os.makedirs(data_root, exist_ok=True)
    load_motion_library(motion_dir)
    splits = split_clips(num_clips, seed, val_ratio, test_ratio)
    jobs = [(seed, i, calibrations, cameras, motion_dir, data_root)
            for i in range(num_clips)]
    results: Dict[int, dict] = {}
    if workers > 1:
        from multiprocessing import get_context
        with get_context('fork').Pool(workers) as pool:
            for i, res in pool.imap_unordered(_scene_job, jobs):
                results[i] = res
    else:
        for job in jobs:
            i, res = _scene_job(job)
            results[i] = res
            if verbose and (i + 1) % 10 == 0:
                el = time.time() - start
                print(
                    f'{i + 1}/{num_clips} clips, {(i + 1) / el:.2f} '
                    'clips/s',
                    flush=True)
    per_split = {s: [] for s in ('train', 'val', 'test')}
    infos, frames, people, nbytes = [], 0, 0, 0
    for i in range(num_clips):
        res = results[i]
        for r in res['records']:
            per_split[splits[i]].append({
                k: v
                for k, v in r.items() if k != 'fact'
            })
        res['info']['split'] = splits[i]
        infos.append(res['info'])
        frames += len(res['frames'])
        people += len(res['info']['people'])
        nbytes += res['bytes']
    for split, recs in per_split.items():
        with open(osp.join(data_root, f'sentences_{split}.json'), 'w') as f:
            json.dump(recs, f, indent=1)
    counts = {
        split: {
            name: sum(1 for r in recs if r['category'][0] == code)
            for name, code in CATEGORY_CODES.items()
        }
        for split, recs in per_split.items()
    }
    params = dict(
        num_clips=num_clips,
        seed=seed,
        val_ratio=val_ratio,
        test_ratio=test_ratio,
        cameras=list(cameras),
        calibrations=sorted(calibrations),
        clips_used=sorted(load_motion_library(motion_dir)),
        fps=FPS,
        image_size=list(IMAGE_SIZE),
        people_range=list(PEOPLE_RANGE),
        scene_frames=list(SCENE_FRAMES),
        span_range=list(SPAN_RANGE),
        annotation_step=ANNOTATION_STEP,
        window=dict(ratio=WINDOW_RATIO, points=WINDOW_POINTS),
        min_mask_pixels=MIN_MASK_PIXELS,
        area_radius_mm=AREA_RADIUS_MM,
        min_gap_mm=MIN_GAP_MM,
        colours=list(COLOURS),
        builds=list(BUILDS))
    summary = dict(
        clips={s: splits.count(s)
               for s in ('train', 'val', 'test')},
        sentences={
            s: len(r)
            for s, r in per_split.items()
        },
        sentences_per_category=counts,
        clips_without_sentences=sum(1 for x in infos if not x['sentences']),
        frames=frames,
        people=people,
        bytes=nbytes)
    with open(summary_path, 'w') as f:
        json.dump(dict(parameters=params, summary=summary), f, indent=1)
    with open(osp.join(out_dir, 'scene_info.json'), 'w') as f:
        json.dump(infos, f, indent=1)
    with open(osp.join(out_dir, 'README.md'), 'w') as f:
        f.write(
            _README.format(
                params=json.dumps(params, indent=1),
                summary=json.dumps(summary, indent=1)))
    seconds = time.time() - start
    summary.update(
        seconds=seconds,
        clips_per_s=num_clips / max(seconds, 1e-9),
        mb_per_clip=nbytes / 1e6 / num_clips,
        data_root=data_root)
    return summary


_README = """# Synthetic Panoptic-L3D scenes

Generated by `tools/dataset_converters/generate_l3d_scenes.py`
(`mmlpose.datasets.converters.l3d_scenes`). `Panoptic-L3D/` follows the
released layout: `sentences_{{train,val,test}}.json`,
`storage_mask/<video>/00_CC/00_CC_FFFFFFFF.png` (palette index = body id + 1),
`panoptic/<video>/hdImgs/00_CC/00_CC_FFFFFFFF.jpg` (1920x1080),
`panoptic/<video>/hdPose3d_stage1_coco19/body3DScene_FFFFFFFF.json` (cm,
Panoptic world, y down) and `panoptic/<video>/calibration_<video>.json` (a
copy of the real Panoptic calibration whose HD camera renders the clip).

Only the frames the loader reads are shipped: multiples of 15 inside the
span of some sentence and the 5 window frames of every sentence (linspace
over the central 90 % of [begin, end]). Every shipped frame has its coco19
file; other frames of a clip do not exist. People move with real DeepMimic
mocap clips (pybullet_data), retargeted per person. `scene_info.json` lists
each clip's people (clothes, height, build, clip) and the fact behind each
sentence.

Parameters:
```
{params}
```
Counts:
```
{summary}
```
"""
