"""Everything that reads: metric selectors, views, exports."""
