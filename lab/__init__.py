"""lab: hands-on Docker courses that run in a terminal and check themselves."""

__version__ = "0.1.0"
