"""TWAP execution rules: the job spec and its validation, the slicer, order pricing and the report maths."""
