"""Buku Agenda -> Website: the press-release SOP of the office, automated."""

__version__ = "0.3.0"
