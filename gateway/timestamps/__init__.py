"""Trusted timestamps (RFC 3161, issue 28): the hub's receipts, each accepted message's
audit entry, and the audit chain's head at an interval, stamped by a configured TSA.

``tsa`` (ask a TSA; check a token offline), ``store`` (what waits and what is stamped),
``stamper`` (the background pass that never holds anything up: a TSA outage leaves rows
waiting, and the next pass catches up).
"""

from gateway.timestamps.tsa import TokenCheck, check_token

__all__ = ["TokenCheck", "check_token"]
