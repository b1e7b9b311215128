"""PDF signatures checked on arrival (issue 28): pyHanko against the hub's PDF trust list.

``check`` (one PDF → :class:`PdfVerdict`), ``trustlist`` (the folder of CA certificates),
``stage`` (the pipeline stage and the policy), ``store`` (the verdicts with the message).
"""

from gateway.pdfsig.verdict import PdfVerdict, SignatureVerdict, summary, verdict_from_json

__all__ = ["PdfVerdict", "SignatureVerdict", "summary", "verdict_from_json"]
