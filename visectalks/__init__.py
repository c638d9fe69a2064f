"""ViSecTalks-2022: an annotated corpus of Vietnamese news on the January 2022 security talks."""

__version__ = "0.1.0"
DATASET_NAME = "ViSecTalks-2022"
