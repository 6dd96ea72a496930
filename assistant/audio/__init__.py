"""Audio input: sources (file, microphone) and the endpointer, all at 16 kHz mono int16."""
from .endpointer import (
    Endpointer,
    EndpointerConfig,
    SegmentDiscarded,
    SpeechAudio,
    SpeechPaused,
    SpeechResumed,
    SpeechStarted,
    Utterance,
    UtteranceEnded,
    VadEvent,
)
from .errors import AudioInputError
from .mic_source import InputDevice, MicSource, list_input_devices, refresh_devices, resolve_input_device
from .pcm import FRAME_SAMPLES, SAMPLE_RATE, dbfs, iter_chunks, resample, to_16k_mono_int16
from .wav_source import AudioInfo, WavSource, paced, probe, read_audio

__all__ = [
    "FRAME_SAMPLES", "SAMPLE_RATE", "AudioInfo", "AudioInputError", "Endpointer", "EndpointerConfig",
    "InputDevice", "MicSource", "SegmentDiscarded", "SpeechAudio", "SpeechPaused", "SpeechResumed", "SpeechStarted", "Utterance",
    "UtteranceEnded", "VadEvent", "WavSource", "dbfs", "iter_chunks", "list_input_devices", "paced", "probe",
    "read_audio", "refresh_devices", "resample", "resolve_input_device", "to_16k_mono_int16",
]
