"""The presentation layer: every sentence, number and amount a user reads or hears.

The trading core emits typed data (events, results, refusal codes with their parameters); the fronts
(voice, chat, terminal, dashboard, alerts) render it here, through one set of locale formatters.
"""
