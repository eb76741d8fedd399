"""Running the tasks of a course: coordination, scheduling, limits, stops, budget."""
