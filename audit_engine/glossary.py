"""The report's glossary: what its words mean, in the words the report uses."""

GLOSSARY = [
    "reliance: what happens to the prediction when the forbidden words are removed from the text; a flip is a "
    "prediction that changes, the drop is how much p(predicted label) falls (in percentage points).",
    "share: the forbidden words' part of the attribution mass of a document (gradient saliency, integrated "
    "gradients, or occlusion: how far p(predicted) moves without each word); a second view, which a model can "
    "drive to 0 on a word it still decides by.",
    "flagged: a document whose share is at least the threshold.",
    "intervals: every rate comes with its Wilson score interval and every mean with a Poisson-bootstrap interval "
    "at the confidence shown (95 % by default): the range of true values these documents are consistent with. A "
    "gate passes only when its interval lies within the limit, fails when it lies beyond, and is INCONCLUSIVE "
    "when the interval holds the limit (more documents would decide it).",
    "control: the same documents with as many other words removed at random. Deleting any words changes some "
    "predictions; the excess (forbidden minus control) is what is specific to the forbidden words, and the "
    "McNemar p-value says whether it could be chance.",
    "per-term findings: a term found in fewer than 10 documents is 'too few to conclude'; the others are tested "
    "against the control (one-sided exact McNemar) with Holm's correction for testing many terms at once.",
    "discovery (--discover): every word of a sample of documents removed alone, as a forbidden term is; words in "
    "at least 10 sampled documents are ranked by their mean drop (Student's t interval), and an unlisted word whose "
    "mean drop reaches the listed terms' median is one the lexicon may have missed.",
]
