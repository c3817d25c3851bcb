"""Test helpers: signing, fakes at the HTTP boundary, factories, and a worker that drains queues."""
