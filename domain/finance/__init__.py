"""Receivables: invoices for delivered goods and the payments against them."""
