"""Vendor adapters behind two ports (`base.BookingPort`, `base.PosPort`), the shared HTTP setup, and the rate pacer.

Nothing outside this package sees vendor JSON. It imports only `hoststand.domain` and itself.
"""
