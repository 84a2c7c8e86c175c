"""Jobs: the customers' print jobs, their states and their files."""
