"""Microphone errors when there is no sound device (this machine, outside the private daemon)."""
from __future__ import annotations

import pytest

from assistant.audio import AudioInputError, MicSource, list_input_devices, resolve_input_device


def test_no_input_device_is_a_clear_error() -> None:
    # outside the private PulseAudio of test_mic_pulse this machine has no sound device at all
    if list_input_devices():
        pytest.skip("this machine has an input device")
    with pytest.raises(AudioInputError) as err:
        MicSource()
    assert "Aucun micro" in str(err.value) and "No microphone" in str(err.value)


def test_no_device_error_also_for_a_named_device() -> None:
    if list_input_devices():
        pytest.skip("this machine has an input device")
    with pytest.raises(AudioInputError, match="No microphone"):
        resolve_input_device("USB Audio")
