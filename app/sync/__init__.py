"""The history sync: a shop's past customers, products and orders merged into our state, sending nothing."""
