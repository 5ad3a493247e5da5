"""The experiments: recipes, per-seed runs, decision rules, metrics with their intervals, and the
measurements behind each claim as flat records. Imports the models and data layers."""
