"""Circuit's runtime: procedures, instances, registry, timers — no web framework here."""
