"""Title knowledge: records from every source, merged per title with the provenance of each fact."""
