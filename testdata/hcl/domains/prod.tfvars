audit_bucket_name = "audit-logs-prod"
