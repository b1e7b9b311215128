"""The evidence bundle (issue 28): one zip that proves a message's journey offline.

``bundle`` makes it from the hub's store; ``verify`` checks it without the hub. The
format is described in ``docs/evidence.md``.
"""

from gateway.evidence.verify import Failure, Report, verify_bundle

__all__ = ["Failure", "Report", "verify_bundle"]
