"""The daily calendar: dates that start flows (birthdays, anniversaries, merchant dates), shoppers
who lapsed or went quiet, and the next batches of catalogue alerts. One idempotent tick does it all."""
