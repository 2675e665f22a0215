"""Booking-platform adapters (implementations of `hoststand.connectors.base.BookingPort`)."""
