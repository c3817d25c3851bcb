"""What the flows earned: delivery, engagement, conversions and attributed revenue, per shop."""
