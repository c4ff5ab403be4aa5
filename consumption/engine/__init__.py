"""The allocation engine: the integer-coded model, its keys and runs, encoding, and the kernels.

``model`` (Instance, Allocation), ``keys`` (the one packing primitive), ``runs`` and
``text`` (array primitives), ``encode`` (checked frames to an Instance), ``routes``,
``nested`` and ``sequential`` (the two greedy kernels), ``greedy`` (the passes) and
``invariants`` (what every result must satisfy).
"""
