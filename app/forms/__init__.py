"""Signup forms: the merchant's designs, the shoppers' submissions, and how each form does."""
