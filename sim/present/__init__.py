"""A Result turned into numbers, words, tables and figures (no files but the tables')."""

from sim.present.text import format_summary

__all__ = ["format_summary"]
