"""Writes of campaign 1. Every status change goes through `request_transition` and its table of moves
(moves.py); every write names the roll-ups it changes (rollups.py)."""

from .attachments import attachment_add, can_attach
from .joint_actions import joint_action_close, joint_action_create
from .moves import HANDLING, MOVES, WORKING, A, S, TransitionError, allowed_moves
from .notifications import notifications_read, notifications_send, reminders_notify
from .requests import counted_unit_move, request_create, request_transition, requests_recompute_clocks
from .visits import visit_assign, visit_record

__all__ = [
    "HANDLING",
    "MOVES",
    "WORKING",
    "A",
    "S",
    "TransitionError",
    "allowed_moves",
    "attachment_add",
    "can_attach",
    "counted_unit_move",
    "joint_action_close",
    "joint_action_create",
    "notifications_read",
    "notifications_send",
    "reminders_notify",
    "request_create",
    "request_transition",
    "requests_recompute_clocks",
    "visit_assign",
    "visit_record",
]
