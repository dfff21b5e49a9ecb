"""Who is calling and what they may see: principals, tokens, the policy table and its decisions.

This package imports nothing from `schema` or `gateway`: it is the policy, usable on its own.
"""
