"""Probabilistic person matching after the crosswalk (Fellegi-Sunter, scored by Splink on
DuckDB): records to compare (records.py), the model and its training (model.py), and the
decision for a batch of documents (match.py). docs/decisions/0031."""
