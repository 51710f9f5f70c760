"""Items, warehouses and stock: an append-only move ledger with one locked balance row per item and warehouse."""
