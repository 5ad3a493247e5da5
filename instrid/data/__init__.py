"""Recordings and their labels: MusicNet-format trees, the split, relabeling into examples, the synthetic
dataset and where its sources come from. Imports only the foundation (``instrid.errors``, ``files``,
``cache``, ``outputs``)."""
