"""What a user runs: the command line, predictions on one's own audio, the notebook runner. The top layer."""
