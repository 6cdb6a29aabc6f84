"""Pure judgement: which title an entry is, what explains it, how surprising it is."""
