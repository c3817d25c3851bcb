"""The email designer's domain: a shop's brand kit, a message designed as blocks (JSON), and the
responsive, CSS-inlined HTML and derived text they render to (docs/email-designer.md)."""
