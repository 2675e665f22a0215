"""The host stand's screens (PySide6 only): main window, floor plan, reservation list, details, dialogs.

Renders the view objects of `hoststand.services.views` and sends every command through `HostService`;
never touches the store, sync, connectors or the network (DESIGN.md §2).
"""
