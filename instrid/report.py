"""The report's own numbers, to be shown next to ours (Steinberg & Elimelech, 2023).

"Accuracy" in the report is recall; "false positives" are per frame (see
:mod:`instrid.metrics`). Numbers the report prints only in figures come from
its code's logged outputs, as quoted in this project's issues.
"""

#: Final test result with top-3 and no normalization ("accuracy of 76%, 1.6 false positives").
FINAL_TEST = {"recall": 0.762, "fp_per_frame": 1.66}

#: Validation, top-N without normalization: N -> (recall, false positives per frame).
TOP_N_VALIDATION = {1: (0.532, 0.222), 2: (0.723, 0.943), 3: (0.859, 1.745), 4: (0.963, 2.592)}

#: Validation at threshold 0.6: loss -> (recall, false positives per frame).
LOSS_AT_THRESHOLD_06 = {"mse": (0.220, 0.493), "iou": (0.691, 1.661)}

#: Claims checked by the notebooks.
CLAIMS = {
    "max_polyphony": 3,          # "at most 3 instruments playing at the same time"
    "chosen_top_n": 3,           # "taking the top 3 classes gives us the best combination"
    "first_four_majority": True,  # "the first 4 instruments constitute a large majority"
}
