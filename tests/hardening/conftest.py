"""Fixtures of the hardening suites: each suite keeps its own in its module or in its
support modules (`chaos_*`, `security_*`, `platform_*`), since they share no state."""
