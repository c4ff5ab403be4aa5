"""Inputs and outputs on disk: the schema, the one validator, CSV reading by stage, writing.

``schema`` says what each table is; ``validate`` checks it (files and frames alike);
``source``, ``header``, ``rows``, ``cells`` and ``lines`` are the stages of reading a CSV
file, joined by ``read``; ``write`` writes CSV and JSON atomically; ``scenario`` reads
scenario folders.
"""
