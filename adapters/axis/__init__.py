"""axis: the hub speaks the national-axis style API, so office systems connect unchanged.

Features:
    - An office system (iOffice and the like) sends edXML documents and statuses, lists
      its pending documents and statuses, gets each one as edXML and confirms it
      (``done`` / ``fail``), exactly as it would with a document axis.
    - Per-system authentication: HMAC-SHA256 signed requests (system id + secret), or an
      OAuth2 client-credentials bearer token (``POST /axis/oauth/token``).
    - Everything goes through the hub facade as the system's unit: the envelope is sealed
      with the unit's key and passes the normal verify/accept; statuses become signed
      receipts with deterministic ids (a resend stores nothing new).
    - ``peer = true`` registers another hub (federation, see :mod:`adapters.upstream`).

Config keys (``options`` of an ``[[adapters]] name = "axis"`` entry):
    ``system_id`` (required), ``secret_env`` or ``secret_file`` (required; never the
    secret itself), ``peer`` (default false), ``token_ttl`` (seconds, 300).

Example::

    [[adapters]]
    name = "axis"
    unit = "000.00.01.H01"
    options = { system_id = "ioffice-h01", secret_env = "LIENTHONG_AXIS_IOFFICE_H01" }

The routes are mounted with :func:`setup_axis_routes` (``docs/axis-api.md``).
"""

from adapters.axis.adapter import AxisAdapter
from adapters.axis.client import AxisClient
from adapters.axis.routes import setup_axis_routes
from adapters.axis.systems import AxisSystem, AxisSystems

__all__ = ["AxisAdapter", "AxisClient", "AxisSystem", "AxisSystems", "setup_axis_routes"]
