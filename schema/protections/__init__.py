"""Protections: what guards the gateway itself, around the policy rather than inside it.

Document limits (`limits`), registered documents (`persisted`, `trusted_documents`), rate
limits (`throttle`), the security log (`security`), typed errors and what callers see of them
(`errors`, `error_shaping`), and input checks (`validation`).
"""
