"""Enforcement: where the policy (`authz`) meets each request, wired into Strawberry once.

The audit surface, readable in one sitting: the request's context (`context`), the guard every
guarded value is read through (`guard`), entry points decided before they run (`authorize`,
`preflight`), the document shapes and projections (`shapes`, `projection`, `selection`),
access-aware batched loading (`loading`), the per-operation extensions that record
disclosures and run reject mode (`extensions`), and the schema-to-policy check (`coverage`).
"""
