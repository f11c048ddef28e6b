"""Durable timers: the database remembers what is due (engine.store's `timer` rows).

`schedule` keeps a case's pending timers of a kind in step with what the case
wants (through the unit of work's `book.TimerBook`); `firing` hands due
timers out and fires them, once in effect, with the effects the composition
root registered per kind.
"""
