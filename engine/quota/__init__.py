"""ResourceQuota accounting (k8s-semantics.md section 10): what an object costs (`usage`), which
quotas it falls under (`scopes`), the namespace's running totals kept in the `idx_usage` table
(`index`), and the admission check (`engine.pipeline.admission.resource_quota`)."""
