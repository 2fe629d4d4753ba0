# Copyright (c) mmlpose contributors. All rights reserved.
"""Clothing colours of a tracked person, named from the pixels in its mask.

The upper body is the torso quadrilateral (shoulders -> hips), the lower
body the legs (hips -> knees -> ankles, drawn as thick lines); both are
intersected with the person's (slightly eroded) mask. Each pixel gets a
colour word from its HSV value (:func:`name_colours`); skin and pixels that
look like the background right around the person (grass leaking into a
loose mask) are set aside while they are a minority. A region's colour is
the word with the largest median share over the sampled frames, with
"light"/"dark" from its pixels' brightness.
"""
from dataclasses import dataclass
from typing import Dict, List, Optional, Tuple

import cv2
import numpy as np

from mmlpose.structures.track import PersonTrack

COLOUR_WORDS = ('black', 'white', 'grey', 'red', 'orange', 'yellow', 'green',
                'blue', 'purple', 'pink', 'brown')
BLACK, WHITE, GREY, RED, ORANGE, YELLOW, GREEN, BLUE, PURPLE, PINK, BROWN = \
    range(len(COLOUR_WORDS))

# --- colour naming (OpenCV HSV: H in [0, 180), S and V in [0, 255]) --------
#: Below this value (brightness) a pixel is black whatever its hue.
BLACK_MAX_V = 55
#: Below this saturation a pixel has no hue (white or grey) ...
ACHROMATIC_MAX_S = 45
#: ... and so has a dim, weakly saturated one (dark greys read as blue-ish).
DIM_ACHROMATIC_MAX_S = 80
DIM_MAX_V = 110
#: An achromatic pixel at least this bright is white, else grey.
WHITE_MIN_V = 180
#: Upper hue bounds of red, orange, yellow, green, blue, purple, pink (red
#: wraps around at 180).
HUE_BOUNDS = ((8, RED), (20, ORANGE), (33, YELLOW), (85, GREEN), (128, BLUE),
              (148, PURPLE), (170, PINK), (180, RED))
#: Orange/yellow hues darker than this are brown (red ones dark red).
BROWN_MAX_V = 150
#: Red hues this bright and this weakly saturated are pink.
PINK_MIN_V, PINK_MAX_S = 150, 140

# --- tone -------------------------------------------------------------------
#: Median brightness of a region above which its colour is "light" (for
#: chromatic colours also below LIGHT_MAX_S saturation) ...
LIGHT_MIN_V, LIGHT_MAX_S = 175, 110
#: ... and below which it is "dark".
DARK_MAX_V = 95

# --- pixel selection --------------------------------------------------------
#: The mask is eroded by this fraction of the body height (px) so that a
#: loose outline leaks less background.
MASK_ERODE_FRACTION = 0.015
#: Legs are drawn this wide, as a fraction of the body height.
LEG_WIDTH_FRACTION = 0.07
#: Skin (YCrCb box of Chai & Ngan 1999) is ignored while it is at most this
#: share of a region (bare arms, legs under shorts).
SKIN_CR, SKIN_CB, SKIN_MIN_Y = (133, 173), (77, 127), 60
SKIN_MAX_FRACTION = 0.6
#: Lower-leg skin share above which the person is taken to wear shorts.
SHORTS_MIN_SKIN = 0.45
#: The background ring around the box is this fraction of its size.
BACKGROUND_RING_FRACTION = 0.15
#: A colour word that covers at least this share of the ring is the
#: background's; region pixels of that word are dropped while they are at
#: most BACKGROUND_LEAK_MAX_FRACTION of the region (more means the garment
#: itself has the background's colour).
BACKGROUND_MIN_SHARE = 0.35
BACKGROUND_LEAK_MAX_FRACTION = 0.5
#: Regions with fewer pixels than this in a frame are skipped.
MIN_REGION_PIXELS = 30
#: At most this many pixels of a region (or of the background) are named
#: per frame (evenly subsampled).
MAX_PIXELS = 3000
#: Frames sampled per track.
MAX_COLOUR_FRAMES = 16
#: A colour is reported when its median share is at least this.
MIN_COLOUR_SHARE = 0.25

# H36M-17 joints
_R_HIP, _R_KNEE, _R_ANKLE, _L_HIP, _L_KNEE, _L_ANKLE = 1, 2, 3, 4, 5, 6
_L_SHOULDER, _R_SHOULDER = 11, 14


@dataclass
class RegionColour:
    """The colour of one body region.

    Attributes:
        word (str): One of :data:`COLOUR_WORDS`.
        tone (str): ``'light'``, ``'dark'`` or ``''``.
        share (float): Median share of the region's pixels with that word.
        num_frames (int): Frames that had pixels of the region.
    """
    word: str
    tone: str
    share: float
    num_frames: int

    @property
    def name(self) -> str:
        """``'dark blue'``, ``'white'``, ..."""
        if self.word in ('black', 'white') or not self.tone:
            return self.word
        return f'{self.tone} {self.word}'


def name_colours(hsv: np.ndarray) -> np.ndarray:
    """Colour word index of each pixel.

    Args:
        hsv (np.ndarray): ``(N, 3)`` uint8 OpenCV HSV pixels.

    Returns:
        np.ndarray: ``(N,)`` int64 indices into :data:`COLOUR_WORDS`.
    """
    hsv = np.asarray(hsv).reshape(-1, 3).astype(np.int64)
    h, s, v = hsv[:, 0], hsv[:, 1], hsv[:, 2]
    words = np.full(len(hsv), RED, np.int64)
    for upper, word in reversed(HUE_BOUNDS):
        words[h < upper] = word
    reddish = np.isin(words, (RED, ORANGE, YELLOW))
    words[reddish & (h >= 8) & (h < 33) & (v < BROWN_MAX_V)] = BROWN
    words[(words == RED) & (v >= PINK_MIN_V) & (s <= PINK_MAX_S)] = PINK
    achromatic = (s < ACHROMATIC_MAX_S) | ((s < DIM_ACHROMATIC_MAX_S) &
                                           (v < DIM_MAX_V))
    words[achromatic] = np.where(v[achromatic] >= WHITE_MIN_V, WHITE, GREY)
    words[v < BLACK_MAX_V] = BLACK
    return words


def skin_pixels(bgr: np.ndarray) -> np.ndarray:
    """``(N,)`` bool: the ``(N, 3)`` uint8 BGR pixels look like skin."""
    ycc = cv2.cvtColor(bgr.reshape(-1, 1, 3), cv2.COLOR_BGR2YCrCb)[:, 0]
    y, cr, cb = ycc[:, 0], ycc[:, 1], ycc[:, 2]
    return ((y >= SKIN_MIN_Y) & (cr >= SKIN_CR[0]) & (cr <= SKIN_CR[1]) &
            (cb >= SKIN_CB[0]) & (cb <= SKIN_CB[1]))


def _tone(word: int, hsv: np.ndarray) -> str:
    v, s = np.median(hsv[:, 2]), np.median(hsv[:, 1])
    if word in (BLACK, WHITE):
        return ''
    if v < DARK_MAX_V:
        return 'dark'
    if v > LIGHT_MIN_V and (word == GREY or s < LIGHT_MAX_S):
        return 'light'
    return ''


def body_regions(keypoints: np.ndarray, shape: Tuple[int, int],
                 height: float) -> Tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Upper-body, lower-body and lower-leg masks of one frame from its 2D
    skeleton.

    Args:
        keypoints (np.ndarray): ``(17, 2)`` H36M pixel keypoints.
        shape (tuple): ``(H, W)`` of the image.
        height (float): Body height in pixels (sets the leg width).

    Returns:
        tuple: three ``(H, W)`` bool masks.
    """
    h, w = shape[:2]
    upper = np.zeros((h, w), np.uint8)
    torso = keypoints[[_L_SHOULDER, _R_SHOULDER, _R_HIP, _L_HIP]]
    cv2.fillConvexPoly(upper, np.round(torso).astype(np.int32), 1)
    lower = np.zeros((h, w), np.uint8)
    shin = np.zeros((h, w), np.uint8)
    width = max(int(round(LEG_WIDTH_FRACTION * height)), 2)
    for hip, knee, ankle in ((_R_HIP, _R_KNEE, _R_ANKLE), (_L_HIP, _L_KNEE,
                                                           _L_ANKLE)):
        p = np.round(keypoints[[hip, knee, ankle]]).astype(np.int32)
        cv2.line(lower, tuple(map(int, p[0])), tuple(map(int, p[1])), 1, width)
        cv2.line(shin, tuple(map(int, p[1])), tuple(map(int, p[2])), 1, width)
    lower |= shin
    lower[upper.astype(bool)] = 0
    return upper.astype(bool), lower.astype(bool), shin.astype(bool)


def _subsample(pixels: np.ndarray) -> np.ndarray:
    """Every k-th pixel, so that at most MAX_PIXELS are named."""
    step = -(-len(pixels) // MAX_PIXELS)
    return pixels[::step] if step > 1 else pixels


def _grown_window(box: np.ndarray,
                  shape: Tuple[int, ...]) -> Tuple[int, int, int, int]:
    """``(x0, y0, x1, y1)`` integer window of the box grown by the
    background ring, inside the image."""
    h, w = shape[:2]
    x1, y1, x2, y2 = box
    mx = BACKGROUND_RING_FRACTION * (x2 - x1)
    my = BACKGROUND_RING_FRACTION * (y2 - y1)
    return (int(max(np.floor(x1 - mx), 0)), int(max(np.floor(y1 - my), 0)),
            int(min(np.ceil(x2 + mx), w)), int(min(np.ceil(y2 + my), h)))


def _mask_window(track: PersonTrack, idx: int,
                 window: Tuple[int, int, int, int]) -> Optional[np.ndarray]:
    """The track's mask of frame ``idx`` inside an image window (what
    :meth:`PersonTrack.mask_in_image` gives, cut to the window, without
    building the full image), or None."""
    if idx not in track.masks:
        return None
    crop, (mx, my) = track.masks[idx]
    x0, y0, x1, y1 = window
    out = np.zeros((y1 - y0, x1 - x0), bool)
    ch, cw = crop.shape
    xs, ys = max(mx, x0), max(my, y0)
    xe, ye = min(mx + cw, x1), min(my + ch, y1)
    if xe > xs and ye > ys:
        out[ys - y0:ye - y0, xs - x0:xe - x0] = \
            crop[ys - my:ye - my, xs - mx:xe - mx]
    return out


def _background_word(image: np.ndarray, person: np.ndarray) -> Optional[int]:
    """The dominant colour word of the pixels around the person (an image
    window of the box grown by the ring), if any."""
    pixels = _subsample(image[~person])
    if len(pixels) < MIN_REGION_PIXELS:
        return None
    hsv = cv2.cvtColor(pixels.reshape(-1, 1, 3), cv2.COLOR_BGR2HSV)[:, 0]
    counts = np.bincount(name_colours(hsv), minlength=len(COLOUR_WORDS))
    word = int(np.argmax(counts))
    return word if counts[word] >= BACKGROUND_MIN_SHARE * len(pixels) \
        else None


def _frame_region_shares(image: np.ndarray, region: np.ndarray,
                         background: Optional[int]) -> Optional[tuple]:
    """Word shares of one region of one frame, with its kept pixels' HSV,
    their words and the region's skin share; None if too few pixels."""
    pixels = _subsample(image[region])
    if len(pixels) < MIN_REGION_PIXELS:
        return None
    skin = skin_pixels(pixels)
    skin_share = float(skin.mean())
    if skin_share <= SKIN_MAX_FRACTION:
        pixels = pixels[~skin]
    if len(pixels) < MIN_REGION_PIXELS:
        return None
    hsv = cv2.cvtColor(pixels.reshape(-1, 1, 3), cv2.COLOR_BGR2HSV)[:, 0]
    words = name_colours(hsv)
    if background is not None:
        leak = words == background
        if 0 < leak.mean() <= BACKGROUND_LEAK_MAX_FRACTION:
            hsv, words = hsv[~leak], words[~leak]
    if len(words) < MIN_REGION_PIXELS:
        return None
    shares = np.bincount(words, minlength=len(COLOUR_WORDS)) / len(words)
    return shares, hsv, words, skin_share


def skeleton_height(keypoints: np.ndarray) -> np.ndarray:
    """Body height of a 2D or 3D H36M skeleton: head -> neck -> thorax ->
    spine -> pelvis plus the mean hip -> knee -> ankle length.

    Args:
        keypoints (np.ndarray): ``(..., 17, D)``.

    Returns:
        np.ndarray: ``(...)`` lengths (NaN where a joint is NaN).
    """

    def seg(a, b):
        return np.linalg.norm(
            keypoints[..., a, :] - keypoints[..., b, :], axis=-1)

    spine = seg(10, 9) + seg(9, 8) + seg(8, 7) + seg(7, 0)
    legs = (seg(1, 2) + seg(2, 3) + seg(4, 5) + seg(5, 6)) / 2
    return spine + legs


def clothing_colours(
    track: PersonTrack,
    frames: Dict[int, np.ndarray],
    max_frames: int = MAX_COLOUR_FRAMES
) -> Tuple[Dict[str, RegionColour], Dict[str, float]]:
    """Upper- and lower-body clothing colours of a track.

    Frames of ``frames`` where the track is present are sampled evenly (at
    most ``max_frames``); in a frame without a mask the skeleton regions
    are used alone.

    Args:
        track (PersonTrack): The person, with 2D keypoints (and masks).
        frames (dict): frame index -> ``(H, W, 3)`` uint8 BGR image.
        max_frames (int): Frames to sample. Defaults to 16.

    Returns:
        tuple: ``{'upper': RegionColour, 'lower': RegionColour}`` (a region
        without enough pixels or without a clear colour is left out), and
        measurements (``'shin_skin'``: median skin share of the lower legs,
        ``'frames'``: frames used).
    """
    present = set(track.frame_ids.tolist())
    usable = sorted(i for i in frames if i in present)
    if len(usable) > max_frames:
        pick = np.linspace(0, len(usable) - 1, max_frames).round()
        usable = [usable[int(i)] for i in pick]
    per_region: Dict[str, List[tuple]] = dict(upper=[], lower=[])
    shin_skin = []
    for idx in usable:
        image = frames[idx]
        if image is None or image.ndim != 3 or image.shape[2] != 3:
            raise ValueError(f'frame {idx} is not an (H, W, 3) BGR image')
        kpts = track.keypoints_2d[idx].astype(np.float64)
        height = float(skeleton_height(kpts))
        if not np.isfinite(height) or height < 4:
            continue
        box = track.bboxes[idx].astype(np.float64)
        if not np.isfinite(box).all():
            box = np.concatenate([kpts.min(0), kpts.max(0)])
        # work in the box grown by the background ring
        xa, ya, xb, yb = _grown_window(box, image.shape)
        if xb - xa < 2 or yb - ya < 2:
            continue
        image = image[ya:yb, xa:xb]
        kpts = kpts - (xa, ya)
        box = box - (xa, ya, xa, ya)
        upper, lower, shin = body_regions(kpts, image.shape, height)
        mask = _mask_window(track, idx, (xa, ya, xb, yb))
        background = None
        if mask is not None:
            background = _background_word(image, mask)
            radius = int(round(MASK_ERODE_FRACTION * height))
            if radius > 0:
                kernel = np.ones((2 * radius + 1, 2 * radius + 1), np.uint8)
                mask = cv2.erode(mask.astype(np.uint8), kernel).astype(bool)
            upper, lower, shin = upper & mask, lower & mask, shin & mask
        for name, region in (('upper', upper), ('lower', lower)):
            result = _frame_region_shares(image, region, background)
            if result is not None:
                per_region[name].append(result)
        if shin.sum() >= MIN_REGION_PIXELS:
            shin_skin.append(float(skin_pixels(image[shin]).mean()))

    colours = {}
    for name, results in per_region.items():
        if not results:
            continue
        shares = np.median(np.stack([r[0] for r in results]), axis=0)
        word = int(np.argmax(shares))
        if shares[word] < MIN_COLOUR_SHARE:
            continue
        hsv = np.concatenate([r[1][r[2] == word] for r in results])
        colours[name] = RegionColour(COLOUR_WORDS[word], _tone(word, hsv),
                                     float(shares[word]), len(results))
    facts = dict(
        frames=float(len(usable)),
        shin_skin=float(np.median(shin_skin)) if shin_skin else float('nan'))
    return colours, facts


def colour_phrases(
    colours: Dict[str, RegionColour], shin_skin: float = float('nan')
) -> List[str]:
    """Phrases about the clothes: ``'a person in a dark blue top'``, ...

    The first phrase, when both regions have a colour, names both
    (``'a person in a white top and black trousers'``); ``'shorts'`` replaces
    ``'trousers'`` when the lower legs show skin.
    """
    bottoms = 'shorts' if shin_skin >= SHORTS_MIN_SKIN else 'trousers'
    phrases = []
    upper, lower = colours.get('upper'), colours.get('lower')
    if upper is not None and lower is not None:
        phrases.append(f'a person in {_article(upper.name)} {upper.name} top '
                       f'and {lower.name} {bottoms}')
    if upper is not None:
        phrases.append(f'a person wearing {_article(upper.name)} '
                       f'{upper.name} shirt')
    if lower is not None:
        phrases.append(f'a person wearing {lower.name} {bottoms}')
    return phrases


def _article(word: str) -> str:
    return 'an' if word[0] in 'aeiou' else 'a'


#: The ground patch under the feet: this tall and wide (fractions of the
#: body height), starting GROUND_PATCH_GAP below the lower ankle (below the
#: shoes; the mask takes out what remains of them).
GROUND_PATCH_GAP, GROUND_PATCH_HEIGHT, GROUND_PATCH_WIDTH = 0.03, 0.08, 0.4
#: Grass: hue from yellow-green (sunlit lawn) to green, saturated enough
#: (OpenCV HSV), over at least GROUND_MIN_SHARE of the patch.
GRASS_HUE, GRASS_MIN_S = (22, 90), 30
GROUND_MIN_SHARE = 0.5


def grass_under_feet(track: PersonTrack,
                     frames: Dict[int, np.ndarray]) -> Dict[int, bool]:
    """Whether the ground just below the person's lower ankle (outside its
    mask) looks like grass, in each frame of ``frames`` where the person is
    present.

    Returns:
        dict: frame index -> bool (frames without a usable patch left out).
    """
    present = track.present
    result = {}
    for idx in sorted(frames):
        if not (0 <= idx < len(present) and present[idx]):
            continue
        image = frames[idx]
        h, w = image.shape[:2]
        kpts = track.keypoints_2d[idx].astype(np.float64)
        height = float(skeleton_height(kpts))
        if not np.isfinite(height) or height < 4:
            continue
        foot_y = kpts[[_L_ANKLE, _R_ANKLE], 1].max()
        foot_x = kpts[[_L_ANKLE, _R_ANKLE], 0].mean()
        y0 = int(foot_y + GROUND_PATCH_GAP * height)
        y1 = int(y0 + max(GROUND_PATCH_HEIGHT * height, 2))
        x0 = int(foot_x - GROUND_PATCH_WIDTH * height / 2)
        x1 = int(foot_x + GROUND_PATCH_WIDTH * height / 2)
        y0, y1, x0, x1 = max(y0, 0), min(y1, h), max(x0, 0), min(x1, w)
        if y1 <= y0 or x1 <= x0:
            continue
        keep = np.ones((y1 - y0, x1 - x0), bool)
        mask = _mask_window(track, idx, (x0, y0, x1, y1))
        if mask is not None:
            keep &= ~mask
        pixels = image[y0:y1, x0:x1][keep]
        if len(pixels) < MIN_REGION_PIXELS:
            continue
        hsv = cv2.cvtColor(pixels.reshape(-1, 1, 3), cv2.COLOR_BGR2HSV)[:, 0]
        grass = ((hsv[:, 0] >= GRASS_HUE[0]) & (hsv[:, 0] <= GRASS_HUE[1]) &
                 (hsv[:, 1] >= GRASS_MIN_S) & (hsv[:, 2] >= BLACK_MAX_V))
        result[idx] = bool(grass.mean() >= GROUND_MIN_SHARE)
    return result
