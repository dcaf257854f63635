"""Notifications through the channels staff use: e-mail, and the 企业微信 (WeCom) and 钉钉 (DingTalk) group
robot of each unit.

It sits above accounts and units and below the campaign apps, which call it explicitly (never through a
signal) and never the other way round:

    from apps.messaging.services import Notice, notify

    notify(notices=[Notice(user_id=..., event=Event.CLOSED, title="…", lines=("…",), path="/service/…")])

The path of a piece of news:

1. `notify` (in the caller's transaction) enqueues one job, tasks.notices_send, with the notices: one
   statement on the caller's write path, so a transition stays within its statement budget whatever the
   channels.
2. The job calls `deliveries_create`, which reads each recipient's address, preferences
   (models.Preference; in-app is always on and is the caller's business) and unit robots, writes one
   Delivery per message and channel — one per e-mail recipient, one per robot of a recipient's unit
   (deduplicated: a group hears a message once) — and enqueues one tasks.delivery_send job per row.
3. That job calls `deliver`, which records every attempt on the row (the delivery log in the admin) and
   raises on a failure worth retrying, so the queue's back-off applies (apps.jobs); after
   MESSAGING_MAX_ATTEMPTS attempts the delivery is FAILED and the job is in the failed-jobs list.
"""
