"""The development keys, public in this repository: the settings use them only with
DEBUG on, and without DEBUG start-up refuses them (bokvar/checks.py)."""

FIELD_KEYS = "dev1:ZGV2LW9ubHktZmllbGQta2V5LTMyLWJ5dGVzLWxvbmc="
BLIND_INDEX_KEY = "dev-only-blind-index-key"
AUDIT_CHAIN_KEY = "dev-only-audit-chain-key"
