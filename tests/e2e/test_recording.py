"""Recording a meeting in real Chromium (issue 14): a host starts and stops it, everyone in the
meeting sees that it is recorded, and the room's owner downloads the file from her dashboard."""

from __future__ import annotations

import re
import time
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Locator, expect

from tests.e2e.conftest import GlimpseServer
from tests.e2e.meeting import change_room, notice
from tests.e2e.people import Person
from tests.e2e.test_sfu import SMALL_CAMERA, person
from tests.recordings.media import probe
from tests.recordings.test_record_meeting import DURATION_TOLERANCE

ROOM = "Recorded standup"
RECORDED_SECONDS = 4.0
FILE_TIMEOUT_MS = 40_000
"""For the recording to be made into a file (janus-pp-rec, then ffmpeg) and shown as ready: the
dashboard reads an unfinished recording's list again every 10 s (here, ready at the first
reading after the one on opening the dashboard)."""


def recording_badge(viewer: Person) -> Locator:
    """What tells `viewer`, on their meeting screen, that the meeting is recorded."""
    return viewer.page.get_by_title("A host is recording this meeting")


@pytest.mark.timeout(120)
def test_a_host_records_everyone_sees_it_and_the_owner_downloads_the_file(
    browser: Browser, sfu_server: GlimpseServer, tmp_path: Path
) -> None:
    ann = Person(browser, sfu_server.base_url, "Ann")
    ann.context.add_init_script(path=str(SMALL_CAMERA))
    ann.sign_up()
    invite = ann.create_room(ROOM)
    change_room(sfu_server.base_url, ann, invite, media_mode="sfu")
    ann.page.get_by_role("link", name="Open room").click()  # in the app: the dashboard's data kept
    ann.join()
    bob = person(browser, sfu_server, "Bob", invite)
    bob.sees_video_of("Ann")
    ann.sees_video_of("Bob")

    ann.control("Start recording").click()
    for each in (ann, bob):
        expect(recording_badge(each)).to_have_text("Recording")
    began = time.monotonic()
    ann.page.wait_for_timeout(RECORDED_SECONDS * 1000)
    ann.control("Stop recording").click()
    recorded = time.monotonic() - began
    for each in (ann, bob):
        expect(notice(each, "Recording stopped")).to_be_visible()
        expect(recording_badge(each)).to_have_count(0)
    expect(ann.control("Start recording")).to_be_enabled()

    ann.control("Leave").click()
    ann.page.get_by_role("link", name="Back to the dashboard").click()
    recordings = ann.page.get_by_role("list", name=f"Recordings of {ROOM}")
    download = recordings.get_by_role("button", name=re.compile("^Download recording of "))
    expect(download).to_be_visible(timeout=FILE_TIMEOUT_MS)
    expect(recordings.get_by_role("listitem")).to_contain_text("Ready")
    with ann.page.expect_download() as downloading:
        download.click()
    file = tmp_path / downloading.value.suggested_filename
    downloading.value.save_as(file)
    assert file.suffix == ".mp4", file.name
    probed = probe(file)
    assert sorted(s["codec_type"] for s in probed["streams"]) == ["audio", "video"], probed
    duration = float(probed["format"]["duration"])
    print(f"recorded {recorded:.1f} s as seen by the test; the file lasts {duration:.1f} s")
    assert abs(duration - recorded) <= DURATION_TOLERANCE, (duration, recorded)

    # Bob was in the meeting but does not own the room: his dashboard lists it among his recent
    # rooms, without its recordings.
    bob.control("Leave").click()
    bob.page.get_by_role("link", name="Back to the dashboard").click()
    recent = bob.page.get_by_role("region", name="Recent rooms")
    expect(recent.get_by_role("link", name=ROOM)).to_be_visible()
    expect(bob.page.get_by_role("list", name=f"Recordings of {ROOM}")).to_have_count(0)
    expect(bob.page.get_by_role("button", name=re.compile("^Download recording"))).to_have_count(0)
