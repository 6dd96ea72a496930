"""The dialogue: read-back, confirmation and answers, shared by every front end (voice, typed text,
Telegram). See `manager.Dialogue`."""
from assistant.dialogue.answers import HELP_EXAMPLES, confirm_labels, for_speech
from assistant.dialogue.manager import CopySink, Dialogue, shared_parser
from assistant.dialogue.reply import ActionKind, PendingConfirmation, PendingFollowUp, Reply, ReplyKind

__all__ = [
    "ActionKind", "CopySink", "Dialogue", "HELP_EXAMPLES", "PendingConfirmation", "PendingFollowUp", "Reply",
    "ReplyKind",
    "confirm_labels", "for_speech", "shared_parser",
]
