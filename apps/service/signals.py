"""Signals the service app sends for writes that bypass Model.save() (queryset updates)."""

from django.dispatch import Signal

# Sent after a queryset update of requests. Arguments: `pks` (the requests), `before` (their
# (handling_unit_id, received_on, close_due) before the update), `closed_before` (their closed_at before it).
# The figures roll-ups listen.
requests_changed = Signal()
