"""Fetching trained weights and datasets: from mirrors, then the official URL, verified, never half-written.

Layering: below benchgen.registry (whose `downloads` turns a variant's `download` entry into a file to
fetch) and benchgen.measure; it reads registry entries only by their fields. Only `download` opens a connection, and only
`benchgen fetch` and `benchgen refresh --fetch` call it.
"""
