"""Sales orders: what a customer ordered, at what price, and how far it has been delivered and invoiced."""
