"""The host's commands and the screens' queries: a facade over the store, the outbox and sync.

The UI talks only to `HostService` and renders the view objects of `views.py`.
"""

from hoststand.services.host import HostService

__all__ = ["HostService"]
