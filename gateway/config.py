"""Configuration: frozen dataclasses built from a file, the environment and flags.

Imports nothing from the rest of ``gateway`` so every layer may depend on it.
"""

from __future__ import annotations
