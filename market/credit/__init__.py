"""Credit grading (一表分级评价)."""
