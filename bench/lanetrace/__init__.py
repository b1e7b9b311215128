"""The write-lane trace (``python -m bench e2e --trace-lane``)."""
