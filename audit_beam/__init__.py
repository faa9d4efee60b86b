"""audit-beam: the audit of audit-cli as an Apache Beam pipeline, for corpora beyond one machine."""
