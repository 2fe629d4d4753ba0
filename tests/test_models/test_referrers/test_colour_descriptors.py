# Copyright (c) mmlpose contributors. All rights reserved.
"""Clothing colours from pixels inside the mask (solid-colour images)."""
import cv2
import numpy as np
import pytest
import synthetic_tracks as st

from mmlpose.models.referrers.colour_descriptors import (
    COLOUR_WORDS, RegionColour, clothing_colours, colour_phrases,
    grass_under_feet, name_colours, skeleton_height, skin_pixels)


def _names(bgr_list):
    bgr = np.array(bgr_list, np.uint8).reshape(-1, 1, 3)
    hsv = cv2.cvtColor(bgr, cv2.COLOR_BGR2HSV)[:, 0]
    return [COLOUR_WORDS[i] for i in name_colours(hsv)]


def test_name_colours_by_hand():
    # BGR pixels -> words
    assert _names([(0, 0, 0), (250, 250, 250), (128, 128, 128), (30, 30, 200),
                   (0, 128, 255), (0, 230, 230), (40, 160, 40), (200, 60, 20),
                   (160, 40, 120), (180, 150, 255), (20, 60, 110),
                   (70, 60, 60)]) == [
                       'black', 'white', 'grey', 'red', 'orange', 'yellow',
                       'green', 'blue', 'purple', 'pink', 'brown', 'grey'
                   ]
    # OpenCV HSV directly: the hue wraps around to red at 170+
    hsv = np.array(
        [[175, 200, 200], [4, 200, 200], [100, 20, 200], [100, 20, 40]],
        np.uint8)
    assert [COLOUR_WORDS[i]
            for i in name_colours(hsv)] == ['red', 'red', 'white', 'black']


def test_skin_pixels():
    assert skin_pixels(np.array([st.BGR['skin']], np.uint8)).all()
    assert not skin_pixels(
        np.array([st.BGR['blue'], st.BGR['green']], np.uint8)).any()


def test_clothing_colours_inside_the_mask():
    track = st.standing()
    frames = st.paint_frames(track, 'red', 'blue', background='green')
    colours, facts = clothing_colours(track, frames)
    assert colours['upper'].word == 'red'
    assert colours['lower'].word == 'blue'
    assert colours['upper'].share > 0.9  # skin and green leak set aside
    assert colours['upper'].num_frames == facts['frames'] == 9
    assert facts['shin_skin'] < 0.1  # trousers, not shorts


def test_grass_leaking_into_a_loose_mask_is_ignored():
    track = st.standing()
    frames = st.paint_frames(track, 'white', 'black', loose=25)
    colours, _ = clothing_colours(track, frames)
    assert colours['upper'].name == 'white'
    assert colours['lower'].name == 'black'


def test_a_green_top_is_kept_when_it_is_most_of_the_region():
    track = st.standing()
    frames = st.paint_frames(track, 'green', 'grey', background='green')
    colours, _ = clothing_colours(track, frames)
    assert colours['upper'].word == 'green'
    assert colours['lower'].word == 'grey'


def test_tone_and_phrases():
    track = st.standing()
    frames = st.paint_frames(track, 'blue', 'white', background='grey')
    for image in frames.values():  # darken the top: dark blue
        image[np.all(image == st.BGR['blue'], axis=-1)] = (90, 25, 10)
    colours, facts = clothing_colours(track, frames)
    assert colours['upper'].name == 'dark blue'
    assert colour_phrases(colours, facts['shin_skin'])[0] == \
        'a person in a dark blue top and white trousers'
    shorts = colour_phrases(
        dict(upper=RegionColour('orange', '', 1., 1)), shin_skin=0.8)
    assert shorts == ['a person wearing an orange shirt']
    both = colour_phrases(
        dict(
            upper=RegionColour('orange', '', 1., 1),
            lower=RegionColour('black', '', 1., 1)),
        shin_skin=0.8)
    assert both[0] == 'a person in an orange top and black shorts'


def test_frames_without_masks_and_without_the_person():
    track = st.standing()
    frames = st.paint_frames(track, 'red', 'blue', background='grey')
    track.masks.clear()  # skeleton regions alone
    colours, _ = clothing_colours(track, frames)
    assert colours['upper'].word == 'red'
    absent = st.make_track(30, lambda i, t: dict(present=False))
    assert clothing_colours(absent, frames) == ({},
                                                dict(
                                                    frames=0.,
                                                    shin_skin=pytest.approx(
                                                        np.nan, nan_ok=True)))
    with pytest.raises(ValueError, match='not an'):
        clothing_colours(track, {0: np.zeros((10, 10), np.uint8)})


def test_grass_under_feet():
    track = st.standing()
    on_grass = st.paint_frames(track, 'red', 'blue', background='green')
    assert set(grass_under_feet(track, on_grass).values()) == {True}
    indoors = st.paint_frames(track, 'red', 'blue', background='grey')
    assert set(grass_under_feet(track, indoors).values()) == {False}


def test_skeleton_height():
    track = st.standing()
    height = skeleton_height(track.keypoints_2d[0].astype(np.float64))
    assert height == pytest.approx(st.SKELETON_HEIGHT * 250., rel=1e-4)
    k3d = track.keypoints_3d[0].astype(np.float64)
    assert skeleton_height(k3d) == pytest.approx(st.SKELETON_HEIGHT, 1e-4)
